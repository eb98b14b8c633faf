/**
 * Standalone entry for tests and benchmarks: `node dist/controlplane/apiserver/main.js <flags>`.
 * The CLI wires the same function as `kubeforge component kube-apiserver`.
 */
import { runKubeApiserver } from './index.js';

const server = await runKubeApiserver(process.argv.slice(2)).catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  // Flag errors already name the component (as the other components' do).
  process.stderr.write(`${message.startsWith('kube-apiserver: ') ? '' : 'kube-apiserver: '}${message}\n`);
  process.exitCode = 1;
  return undefined;
});
if (server) {
  // Closing the listener, the etcd client and its watches lets the event loop drain and the process end.
  const stop = () => void server.close();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
