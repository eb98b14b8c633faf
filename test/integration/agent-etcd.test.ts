import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { cleanupRoot, freePort, hostFor, pidOf, tempRoot, waitFor, writeManifest } from '../helpers/agent-harness.js';
import { createMemoryLogger } from '../../src/log.js';
import { runAgent, type RunningAgent } from '../../src/agent/index.js';

let root: string | undefined;
let agent: RunningAgent | undefined;
const pids = new Set<number>();

afterEach(async () => {
  await agent?.stop('terminate');
  if (root) await cleanupRoot(root, pids);
  root = agent = undefined;
});

it('runs the registry.k8s.io/etcd image as the installed etcd binary and sees it Ready through /health', async () => {
  root = tempRoot();
  const host = hostFor(root);
  const [client, peer] = [await freePort(), await freePort()];
  await writeManifest(host, 'etcd.yaml', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'etcd', namespace: 'kube-system', labels: { component: 'etcd', tier: 'control-plane' } },
    spec: {
      hostNetwork: true,
      priorityClassName: 'system-node-critical',
      containers: [
        {
          name: 'etcd',
          image: 'registry.k8s.io/etcd:3.5.16-0',
          command: [
            'etcd',
            '--name=node1',
            '--data-dir=/var/lib/etcd',
            `--listen-client-urls=http://127.0.0.1:${client}`,
            `--advertise-client-urls=http://127.0.0.1:${client}`,
            `--listen-peer-urls=http://127.0.0.1:${peer}`,
            `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
            `--initial-cluster=node1=http://127.0.0.1:${peer}`,
          ],
          startupProbe: { httpGet: { host: '127.0.0.1', path: '/health', port: client, scheme: 'HTTP' }, periodSeconds: 1, failureThreshold: 24 },
          readinessProbe: { httpGet: { host: '127.0.0.1', path: '/health', port: client, scheme: 'HTTP' }, periodSeconds: 1 },
          volumeMounts: [{ name: 'etcd-data', mountPath: '/var/lib/etcd' }],
        },
      ],
      volumes: [{ name: 'etcd-data', hostPath: { path: '/var/lib/etcd', type: 'DirectoryOrCreate' } }],
    },
  });
  const started = Date.now();
  agent = await runAgent({ host, nodeName: 'node1', nodeAddress: '127.0.0.1', log: createMemoryLogger(), rescanMs: 1000, syncIntervalMs: 200 });
  const status = await waitFor('etcd to be Ready', () => {
    const s = agent!.pods()[0]?.status;
    const pid = pidOf(s?.containerStatuses[0]?.containerID);
    if (pid) pids.add(pid);
    return s?.conditions.some((c) => c.type === 'Ready' && c.status === 'True') && s;
  }, 30_000);
  console.log(`etcd Ready after ${Date.now() - started} ms`);
  expect(status.containerStatuses[0]).toMatchObject({ name: 'etcd', image: 'registry.k8s.io/etcd:3.5.16-0', ready: true, started: true, restartCount: 0 });
  expect(existsSync(path.join(root, 'var/lib/etcd/member'))).toBe(true);
  const res = await fetch(`http://127.0.0.1:${client}/health`);
  expect(await res.json()).toMatchObject({ health: 'true' });
});
