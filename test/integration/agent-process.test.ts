import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { exitOf, removeAgentBundle, spawnAgent } from '../helpers/agent-process.js';
import { cleanupRoot, fixturePod, freePort, hostFor, isAlive, pidOf, processesWith, tempRoot, waitFor, writeManifest } from '../helpers/agent-harness.js';
import { readAgentPid, readAgentStatus, type AgentStatus } from '../../src/agent/index.js';

const roots: string[] = [];
const agents: ChildProcess[] = [];

afterEach(async () => {
  for (const a of agents.splice(0)) if (a.exitCode === null && a.signalCode === null) a.kill('SIGKILL');
  for (const root of roots.splice(0)) await cleanupRoot(root);
});

async function readyPids(root: string, count: number): Promise<{ status: AgentStatus; pids: number[] }> {
  const host = hostFor(root);
  const status = await waitFor(`${count} Ready pods in the status file`, async () => {
    const s = await readAgentStatus(host.files);
    return s && s.pods.length === count && s.pods.every((p) => p.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True')) && s;
  }, 20_000);
  return { status, pids: status.pods.map((p) => pidOf(p.status.containerStatuses[0]?.containerID)!) };
}

afterAll(() => removeAgentBundle());

/** A root with one fixture pod, web.yaml, and an agent process on it. */
async function agentWithWeb() {
  const root = tempRoot();
  roots.push(root);
  const host = hostFor(root);
  await writeManifest(host, 'web.yaml', fixturePod({ tag: root, name: 'web', port: await freePort() }));
  const agent = await spawnAgent(root);
  agents.push(agent);
  return { root, host, agent };
}

describe('the agent as its own process', () => {
  it('stops every pod in reverse start order on SIGTERM and exits', async () => {
    const root = tempRoot();
    roots.push(root);
    const host = hostFor(root);
    const stopLog = path.join(root, 'stop-order');
    for (const name of ['a', 'b']) await writeManifest(host, `${name}.yaml`, fixturePod({ tag: root, name, port: await freePort(), args: [`--stop-log=${stopLog}`] }));
    const agent = await spawnAgent(root);
    agents.push(agent);
    const { pids } = await readyPids(root, 2);
    agent.kill('SIGTERM');
    expect(await exitOf(agent)).toEqual({ code: 0, signal: null });
    expect(readFileSync(stopLog, 'utf8')).toBe('b\na\n');
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    expect((await readAgentStatus(host.files))?.state).toBe('stopped');
    expect(readFileSync(path.join(root, 'agent.log'), 'utf8')).toContain('SIGTERM received, stopping every pod');
  });

  it('refuses to run a second agent on the same root', async () => {
    const { root, host, agent: first } = await agentWithWeb();
    const { pids } = await readyPids(root, 1);
    expect(await readAgentPid(host)).toMatchObject({ pid: first.pid });
    const second = await spawnAgent(root);
    agents.push(second);
    expect((await exitOf(second)).code).not.toBe(0);
    expect(readFileSync(path.join(root, 'agent.log'), 'utf8')).toContain(`KF_AGENT_RUNNING: an agent (pid ${first.pid}) already runs on ${root}`);
    expect(processesWith(`--tag=${root}`)).toEqual(pids);
  });

  it('leaves the pods running when killed with SIGKILL, and the next agent adopts them', async () => {
    const { root, host, agent: first } = await agentWithWeb();
    const { pids: [pid] } = await readyPids(root, 1);
    first.kill('SIGKILL');
    await exitOf(first);
    expect(isAlive(pid!)).toBe(true);

    const second = await spawnAgent(root);
    agents.push(second);
    await waitFor('the second agent to report', async () => (await readAgentStatus(host.files))?.pid === second.pid);
    const { pids: after } = await readyPids(root, 1);
    expect(after).toEqual([pid]);
    expect(processesWith(`--tag=${root}`)).toEqual([pid]);
    expect(readFileSync(path.join(root, 'agent.log'), 'utf8')).toContain(`adopted kube-system/web-node1/web (process://${pid}.`);
    second.kill('SIGTERM');
    await exitOf(second);
    expect(isAlive(pid!)).toBe(false);
  });
});
