import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { procStat } from '../agent/proc.js';
import { createHost } from '../host/index.js';
import { KubeApiError, type KubeClient } from '../kube/index.js';
import { createMemoryLogger } from '../log.js';
import { KUBELET_KUBECONFIG } from './agent-start.js';
import type { JoinContext, TLSBootstrap } from './join.js';
import { waitForJoinedNode } from './join-wait.js';

const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

/** A root whose agent.pid names this (running) process, and a client answering from `answers` in turn. */
async function setup(answers: Array<() => unknown>) {
  const root = await mkdtemp(path.join(tmpdir(), 'kf-join-wait-'));
  roots.push(root);
  const host = createHost(root);
  const startTicks = (await procStat(host.system, process.pid))?.startTicks ?? -1;
  await host.files.writeFile('/run/kubeforge/agent.pid', JSON.stringify({ pid: process.pid, startTicks }));
  const log = createMemoryLogger();
  const next = async () => {
    const answer = answers.shift();
    if (!answer) throw new Error('no more answers');
    return answer();
  };
  const client = { list: next, get: next } as unknown as KubeClient;
  const ctx = { host, log, cfg: { join: { nodeRegistration: { name: 'w1' } } }, tlsBootstrapTimeoutMs: 10_000 } as unknown as JoinContext;
  const tls = { user: { token: 'abcdef.0123456789abcdef' } } as unknown as TLSBootstrap;
  return { host, log, client, ctx, tls };
}

const unreachable = () => {
  throw new KubeApiError(0, '', 'cannot reach the API server at https://127.0.0.1:6443: read ECONNRESET');
};

describe('waitForJoinedNode', () => {
  it('keeps waiting through an API server that does not answer, then sees the Node Ready', async () => {
    const ready = { metadata: { name: 'w1' }, status: { conditions: [{ type: 'Ready', status: 'True' }] } };
    // the answers run only once waitForJoinedNode polls, after `s` is set
    const s: Awaited<ReturnType<typeof setup>> = await setup([
      unreachable,
      () => ({ items: [] }),
      () => {
        throw new KubeApiError(503, 'ServiceUnavailable', 'the server is currently unable to handle the request');
      },
      async () => {
        await s.host.files.writeFile(KUBELET_KUBECONFIG, 'apiVersion: v1\n');
        return { items: [] };
      },
      unreachable,
      () => ready,
    ]);
    await waitForJoinedNode(s.ctx, s.client, s.tls, 0);
    expect(s.log.lines.at(-1)).toContain('The Node "w1" is Ready');
  });

  it('still fails at once on an error that is not transient', async () => {
    const s = await setup([
      () => {
        throw new KubeApiError(403, 'Forbidden', 'certificatesigningrequests is forbidden');
      },
    ]);
    await expect(waitForJoinedNode(s.ctx, s.client, s.tls, 0)).rejects.toMatchObject({ code: 'KF_API_FORBIDDEN' });
  });
});
