/**
 * The rendered manifests checked by the real kubectl (1.32):
 * - `kubectl create --dry-run=client --validate=false -f <file> -o name` accepts each file. kubectl
 *   cannot map kinds without API discovery even in client dry-run, so the test serves the three
 *   discovery documents it reads (/api, /apis, /api/v1) from a local stub; nothing else is served.
 * - `kubectl set env --local` decodes each file into the typed core/v1 Pod (a wrong type fails)
 *   and prints it back; the round trip must give back our object unchanged, so a misspelt or
 *   misplaced field (which the typed decode drops) fails the test too.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultInitConfig } from '../../src/config/defaults.js';
import type { Pod } from '../../src/manifests/pod.js';
import { renderStaticPods, type StaticPodManifest } from '../../src/manifests/render.js';

const run = promisify(execFile);

const DISCOVERY: Record<string, unknown> = {
  '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] },
  '/apis': { kind: 'APIGroupList', apiVersion: 'v1', groups: [] },
  '/api/v1': {
    kind: 'APIResourceList',
    groupVersion: 'v1',
    resources: [{ name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['create', 'get', 'list'] }],
  },
};

let dir = '';
let server: http.Server;
let serverURL = '';
let files: { manifest: StaticPodManifest; file: string }[] = [];

function kubectl(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run('kubectl', args, { env: { ...process.env, KUBECONFIG: path.join(dir, 'no-kubeconfig') }, timeout: 30_000 });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kf-manifests-'));
  server = http.createServer((req, res) => {
    const body = DISCOVERY[new URL(req.url ?? '/', 'http://stub').pathname];
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body ?? { kind: 'Status', status: 'Failure', code: 404 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  serverURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const cfg = defaultInitConfig('node1', '127.0.0.2');
  cfg.cluster.networking.podSubnet = '10.244.0.0/16';
  cfg.cluster.apiServer.extraVolumes = [{ name: 'audit', hostPath: '/var/log/kubernetes', mountPath: '/var/log/kubernetes', readOnly: false, pathType: 'DirectoryOrCreate' }];
  cfg.cluster.apiServer.extraEnvs = [{ name: 'GOGC', value: '50' }];
  const manifests = renderStaticPods(cfg, { proxyEnv: { HTTPS_PROXY: 'http://proxy:3128' }, caCertDirs: ['/etc/ca-certificates'] });
  files = await Promise.all(
    manifests.map(async (manifest) => {
      const file = path.join(dir, `${manifest.component}.yaml`);
      await writeFile(file, manifest.yaml);
      return { manifest, file };
    }),
  );
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

describe('kubectl accepts the rendered static pods', () => {
  it('creates each manifest in client dry-run as a Pod', async () => {
    expect(files).toHaveLength(4);
    for (const { manifest, file } of files) {
      const { stdout } = await kubectl(['--server', serverURL, 'create', '--dry-run=client', '--validate=false', '-f', file, '-o', 'name']);
      expect(stdout.trim()).toBe(`pod/${manifest.component}`);
    }
  });

  it('decodes each manifest into the typed Pod and round-trips it without losing a field', async () => {
    for (const { manifest, file } of files) {
      const { stdout } = await kubectl(['set', 'env', '--local', '-f', file, 'KF_ROUND_TRIP=1', '-o', 'json']);
      const pod = JSON.parse(stdout) as Pod;
      const container = pod.spec.containers[0];
      if (!container) throw new Error('kubectl returned a pod without containers');
      container.env = (container.env ?? []).filter((e) => e.name !== 'KF_ROUND_TRIP');
      if (container.env.length === 0) delete container.env;
      expect(pod).toEqual(manifest.pod);
    }
  });

  it('rejects a manifest with a wrongly typed field (the check can fail)', async () => {
    const file = path.join(dir, 'broken.yaml');
    await writeFile(file, (files[0]?.manifest.yaml ?? '').replace('hostNetwork: true', 'hostNetwork: "yes"'));
    await expect(kubectl(['set', 'env', '--local', '-f', file, 'KF_ROUND_TRIP=1', '-o', 'json'])).rejects.toThrow(/hostNetwork/);
  });
});
