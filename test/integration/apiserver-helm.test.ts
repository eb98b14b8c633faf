import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestCluster } from '../helpers/apiserver-harness.js';
import { startClusterWithNewestClients, type ClientRunner } from '../helpers/newest-clients.js';

let cluster: TestCluster;
let helm: ClientRunner;
let chart: string;

beforeAll(async () => {
  ({ cluster, helm } = await startClusterWithNewestClients());
  chart = path.join(cluster.dir, 'demo');
});
afterAll(async () => {
  await cluster?.stop();
});

const ok = async (args: string[]) => {
  const res = await helm(args, { timeoutMs: 60_000 });
  expect(res.stderr, `helm ${args.join(' ')}`).not.toMatch(/Error|error/);
  expect(res.code, `helm ${args.join(' ')}: ${res.stderr}`).toBe(0);
  return res.stdout;
};

describe('helm 4 with its defaults (server-side apply)', () => {
  it('create → install → upgrade → rollback → uninstall', async () => {
    expect(await ok(['create', chart])).toContain('Creating');
    expect(await ok(['install', 'demo', chart])).toMatch(/STATUS: deployed/);
    const installed = JSON.parse((await cluster.kubectl(['get', 'deployment', 'demo', '-o', 'json', '--show-managed-fields'])).stdout);
    expect(installed.spec.replicas).toBe(1);
    expect(installed.metadata.managedFields.map((m: { manager: string; operation: string }) => `${m.manager}/${m.operation}`)).toContain('helm/Apply');
    expect(await ok(['upgrade', 'demo', chart, '--set', 'replicaCount=2'])).toMatch(/STATUS: deployed/);
    expect(JSON.parse((await cluster.kubectl(['get', 'deployment', 'demo', '-o', 'json'])).stdout).spec.replicas).toBe(2);
    expect(await ok(['rollback', 'demo', '1'])).toContain('Rollback was a success');
    expect(JSON.parse((await cluster.kubectl(['get', 'deployment', 'demo', '-o', 'json'])).stdout).spec.replicas).toBe(1);
    expect(await ok(['history', 'demo'])).toMatch(/3\s+.*deployed\s+demo-0\.1\.0/);
    expect(await ok(['uninstall', 'demo'])).toContain('release "demo" uninstalled');
    expect((await cluster.kubectl(['get', 'deployment,service,serviceaccount', '-l', 'app.kubernetes.io/instance=demo', '-o', 'name'])).stdout).toBe('');
    expect((await cluster.kubectl(['get', 'secrets', '-l', 'owner=helm', '-o', 'name'])).stdout).toBe('');
  });
});
