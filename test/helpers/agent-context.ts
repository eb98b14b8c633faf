/**
 * The in-process agent tests' context: a temp root, a memory logger, the agents started and every
 * container pid seen, all cleaned up after each test (agents stopped, processes killed, root removed).
 */
import { afterEach } from 'vitest';
import { runAgent, type AgentOptions, type RunningAgent } from '../../src/agent/index.js';
import type { Host } from '../../src/host/index.js';
import { createMemoryLogger } from '../../src/log.js';
import { cleanupRoot, fixturePod, freePort, hostFor, pidOf, tempRoot, waitFor, writeManifest } from './agent-harness.js';

export interface Ctx {
  root: string;
  host: Host;
  log: ReturnType<typeof createMemoryLogger>;
  agents: RunningAgent[];
  pids: Set<number>;
}

const contexts: Ctx[] = [];

export function setup(): Ctx {
  const root = tempRoot();
  const ctx: Ctx = { root, host: hostFor(root), log: createMemoryLogger(), agents: [], pids: new Set() };
  contexts.push(ctx);
  return ctx;
}

export async function start(ctx: Ctx, extra: Partial<AgentOptions> = {}): Promise<RunningAgent> {
  const agent = await runAgent({
    host: ctx.host,
    nodeName: 'node1',
    nodeAddress: '127.0.0.1',
    log: ctx.log,
    backoffBaseMs: 400,
    rescanMs: 300,
    syncIntervalMs: 100,
    defaultGracePeriodMs: 3000,
    ...extra,
  });
  ctx.agents.push(agent);
  agent.onChange(() => {
    for (const p of agent.pods()) for (const c of p.status.containerStatuses) {
      const pid = pidOf(c.containerID);
      if (pid) ctx.pids.add(pid);
    }
  });
  return agent;
}

export function podNamed(agent: RunningAgent, name: string) {
  return agent.pods().find((p) => p.pod.pod.metadata.name === `${name}-node1`);
}

export function container(agent: RunningAgent, name: string) {
  return podNamed(agent, name)?.status.containerStatuses[0];
}

export const ready = (agent: RunningAgent, name: string) => podNamed(agent, name)?.status.conditions.find((c) => c.type === 'Ready')?.status === 'True';

/** Writes web.yaml (the fixture server with `args`), starts an agent and waits until web is Ready. */
export async function startReadyWeb(ctx: Ctx, args: string[] = [], extra: Partial<AgentOptions> = {}) {
  const port = await freePort();
  await writeManifest(ctx.host, 'web.yaml', fixturePod({ tag: ctx.root, name: 'web', port, args }));
  const agent = await start(ctx, extra);
  await waitFor('web to be Ready', () => ready(agent, 'web'));
  return { agent, port, pid: pidOf(container(agent, 'web')!.containerID)! };
}

afterEach(async () => {
  // Every root is cleaned up even when an agent fails to stop; the failure then fails the test.
  const failures: unknown[] = [];
  for (const ctx of contexts.splice(0)) {
    for (const agent of ctx.agents) await agent.stop('terminate').catch((err: unknown) => failures.push(err));
    await cleanupRoot(ctx.root, ctx.pids);
  }
  if (failures.length) throw new AggregateError(failures, `${failures.length} agent(s) failed to stop`);
});
