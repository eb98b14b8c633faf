import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDryRunHost, createHost, type RecordedWrite } from '../host/index.js';
import { buildKubeconfig, currentClusterAndUser, parseKubeconfig } from '../kubeconfig/index.js';
import { createMemoryLogger } from '../log.js';
import { KUBELET_KUBECONFIG } from './agent-start.js';
import { enableClientCertRotation } from './kubelet-finalize.js';

const PEM = '/var/lib/kubelet/pki/kubelet-client-current.pem';
const CA = '-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n';
const EMBEDDED = buildKubeconfig({ clusterName: 'kubernetes', server: 'https://127.0.0.2:6443', caPem: CA, userName: 'system:node:cp1', clientCertPem: 'NODE CERT', clientKeyPem: 'NODE KEY' });
const UPDATING = '[kubelet-finalize] Updating "/etc/kubernetes/kubelet.conf" to point to a rotatable kubelet client certificate and key';

const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

async function initRoot() {
  const root = await mkdtemp(path.join(tmpdir(), 'kf-finalize-'));
  roots.push(root);
  const host = createHost(root);
  await host.files.writeFile(KUBELET_KUBECONFIG, EMBEDDED, { mode: 0o600 });
  return { root, host };
}

describe('kubelet-finalize enable-client-cert-rotation', () => {
  it('waits for the agent to write kubelet-client-current.pem, then points kubelet.conf at it (0600, nothing else changed)', async () => {
    const { host } = await initRoot();
    const log = createMemoryLogger();
    setTimeout(() => void host.files.writeFile(PEM, 'CERT\nKEY\n', { mode: 0o600 }), 300);
    await enableClientCertRotation(host, log, { timeoutMs: 5000, pollMs: 50 });
    expect(log.lines).toEqual([UPDATING]);
    const text = (await host.files.readFile(KUBELET_KUBECONFIG)).toString();
    const { cluster, user } = currentClusterAndUser(parseKubeconfig(text));
    expect(user).toEqual({ name: 'system:node:cp1', clientCertificate: PEM, clientKey: PEM });
    expect(cluster).toEqual(currentClusterAndUser(parseKubeconfig(EMBEDDED)).cluster);
    expect(text.split('\n').filter((l) => !/client-(certificate|key)/.test(l))).toEqual(EMBEDDED.split('\n').filter((l) => !/client-(certificate|key)/.test(l)));
    expect((await host.files.stat(KUBELET_KUBECONFIG))?.mode).toBe(0o600);
  });

  it('is idempotent on a root it already finalized', async () => {
    const { host } = await initRoot();
    await host.files.writeFile(PEM, 'CERT\nKEY\n', { mode: 0o600 });
    await enableClientCertRotation(host, createMemoryLogger(), { timeoutMs: 1000 });
    const once = (await host.files.readFile(KUBELET_KUBECONFIG)).toString();
    const again = createMemoryLogger();
    await enableClientCertRotation(host, again, { timeoutMs: 1000 });
    expect(again.lines).toEqual([UPDATING]);
    expect((await host.files.readFile(KUBELET_KUBECONFIG)).toString()).toBe(once);
  });

  it('fails naming kubelet-client-current.pem when the agent never writes it, leaving kubelet.conf as it was', async () => {
    const { host } = await initRoot();
    const err = await enableClientCertRotation(host, createMemoryLogger(), { timeoutMs: 300, pollMs: 50 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'KF_KUBELET_CLIENT_CERT_MISSING', message: expect.stringContaining(host.files.resolve(PEM)), hint: expect.stringContaining('agent') });
    expect((await host.files.readFile(KUBELET_KUBECONFIG)).toString()).toBe(EMBEDDED);
  });

  it('with --dry-run says what it would do and writes nothing', async () => {
    const { root } = await initRoot();
    const writes: RecordedWrite[] = [];
    const host = createDryRunHost(root, (w) => writes.push(w), () => {});
    const log = createMemoryLogger();
    await enableClientCertRotation(host, log, { timeoutMs: 100 });
    expect(log.lines).toEqual([
      `[dryrun] Would wait for the agent to write "${PEM}", then update "/etc/kubernetes/kubelet.conf" to point to a rotatable kubelet client certificate and key`,
    ]);
    expect(writes).toEqual([]);
    expect((await createHost(root).files.readFile(KUBELET_KUBECONFIG)).toString()).toBe(EMBEDDED);
  });
});
