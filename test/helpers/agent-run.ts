/**
 * `kubeforge agent` in miniature for tests that need the agent in its own process (signals,
 * kill -9): runs the agent on the root given as argv[2] until SIGTERM. Bundled by
 * agent-process.ts with esbuild so it runs on plain node, like the built CLI.
 */
import { runAgent } from '../../src/agent/index.js';
import { createLogger } from '../../src/log.js';

const root = process.argv[2]!;
try {
  const agent = await runAgent({
    root,
    nodeName: 'node1',
    nodeAddress: '127.0.0.1',
    log: createLogger({ verbosity: 1, color: false }),
    handleSignals: true,
    backoffBaseMs: 400,
    rescanMs: 500,
    syncIntervalMs: 200,
    defaultGracePeriodMs: 3000,
  });
  await agent.stopped;
  console.error('agent: stopped');
} catch (err) {
  const { code, message } = err as { code?: string; message: string };
  console.error(`${code ?? 'ERROR'}: ${message}`);
  process.exitCode = 1;
}
