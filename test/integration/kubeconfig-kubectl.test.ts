/** Kubeconfig files made by ensureKubeconfig, read back and used by the real kubectl (Go's clientcmd, crypto/tls and crypto/x509). */
import fs from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost, type Host } from '../../src/host/index.js';
import { createMemoryLogger } from '../../src/log.js';
import { ensureCertificates, loadCertificate, verifySignedBy } from '../../src/pki/index.js';
import { testInitConfig } from '../helpers/pki-config.js';
import {
  buildKubeconfig, currentClusterAndUser, ensureKubeconfig, kubeconfigPath, kubeconfigTable, parseKubeconfig, referClientCredentialsTo,
} from '../../src/kubeconfig/index.js';

const EXPECTED_CLIENTS: Record<string, { cn: string; o: string[]; server: 'endpoint' | 'local' }> = {
  admin: { cn: 'kubernetes-admin', o: ['kubeadm:cluster-admins'], server: 'endpoint' },
  'super-admin': { cn: 'kubernetes-super-admin', o: ['system:masters'], server: 'endpoint' },
  kubelet: { cn: 'system:node:node-a', o: ['system:nodes'], server: 'endpoint' },
  'controller-manager': { cn: 'system:kube-controller-manager', o: [], server: 'local' },
  scheduler: { cn: 'system:kube-scheduler', o: [], server: 'local' },
};

async function kubectl(host: Host, args: string[]): Promise<string> {
  const result = await host.processes.run('kubectl', args, { timeoutMs: 30_000 });
  if (result.exitCode !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

describe.each(['RSA-2048', 'ECDSA-P256'] as const)('kubeconfig files with %s keys', (algorithm) => {
  let root: string;
  let host: Host;
  let server: https.Server;
  const cfg = testInitConfig(algorithm);
  cfg.cluster.controlPlaneEndpoint = '127.0.0.2';
  const log = createMemoryLogger();

  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'kf-kubeconfig-'));
    host = createHost(root);
    await ensureCertificates(host, cfg, createMemoryLogger(), ['ca', 'apiserver']);
    // An HTTPS endpoint with our apiserver serving cert that requires client certs from our CA:
    // kubectl (Go's crypto/tls and crypto/x509) must accept both directions.
    const pki = (f: string) => host.files.readFile(`/etc/kubernetes/pki/${f}`);
    server = https.createServer({ cert: await pki('apiserver.crt'), key: await pki('apiserver.key'), ca: await pki('ca.crt'), requestCert: true, rejectUnauthorized: true }, (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      res.end(`ok ${peer.subject.CN}`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.2', resolve));
    cfg.init.localAPIEndpoint.bindPort = (server.address() as AddressInfo).port;
    for (const spec of kubeconfigTable) await ensureKubeconfig(host, cfg, spec.name, log);
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await fs.rm(root, { recursive: true, force: true });
  });

  it.each(kubeconfigTable.map((s) => [s.fileName, s] as const))('%s: kubectl config view --raw reproduces it byte for byte', async (_f, spec) => {
    const file = kubeconfigPath(spec);
    expect((await host.files.stat(file))?.mode).toBe(0o600);
    const text = (await host.files.readFile(file)).toString();
    expect(await kubectl(host, ['--kubeconfig', host.files.resolve(file), 'config', 'view', '--raw'])).toBe(text);
  });

  it.each(kubeconfigTable.map((s) => [s.name, s] as const))('%s: client identity, CA and server URL follow kubeadm', async (name, spec) => {
    const config = parseKubeconfig((await host.files.readFile(kubeconfigPath(spec))).toString());
    const { cluster, user } = currentClusterAndUser(config);
    const expected = EXPECTED_CLIENTS[name]!;
    const port = cfg.init.localAPIEndpoint.bindPort;
    expect(cluster.server).toBe(`https://127.0.0.2:${port}`);
    expect(config.currentContext).toBe(`${expected.cn}@kubernetes`);
    const cert = loadCertificate(user!.clientCertificateData!);
    expect(cert.subject).toEqual({ commonName: expected.cn, organizations: expected.o });
    expect(cert.extKeyUsage).toEqual(['clientAuth']);
    expect(verifySignedBy(cert, loadCertificate(cluster.certificateAuthorityData!))).toBe(true);
    expect(user!.clientKeyData).toMatch(algorithm === 'RSA-2048' ? /^-----BEGIN RSA PRIVATE KEY-----/ : /^-----BEGIN EC PRIVATE KEY-----/);
  });

  it('admin.conf authenticates to a TLS server with kubectl (Go crypto/x509 accepts our chain and client cert)', async () => {
    const out = await kubectl(host, ['--kubeconfig', host.files.resolve('/etc/kubernetes/admin.conf'), 'get', '--raw', '/healthz']);
    expect(out).toBe('ok kubernetes-admin');
  });

  it('reuses existing files with the same CA', async () => {
    const before = (await host.files.readFile('/etc/kubernetes/scheduler.conf')).toString();
    const again = createMemoryLogger();
    expect(await ensureKubeconfig(host, cfg, 'scheduler', again)).toBe('reused');
    expect(again.lines).toEqual(['[kubeconfig] Using existing kubeconfig file: "/etc/kubernetes/scheduler.conf"']);
    expect((await host.files.readFile('/etc/kubernetes/scheduler.conf')).toString()).toBe(before);
    expect(log.lines).toContain('[kubeconfig] Writing "scheduler.conf" kubeconfig file');
  });

  it('warns, as kubeadm, when an existing file points at another server', async () => {
    const moved = structuredClone(cfg);
    moved.init.localAPIEndpoint.bindPort = 1;
    const warned = createMemoryLogger();
    expect(await ensureKubeconfig(host, moved, 'controller-manager', warned)).toBe('reused');
    expect(warned.lines[0]).toBe(
      `[WARNING] a kubeconfig file "/etc/kubernetes/controller-manager.conf" exists already but has an unexpected API Server URL: expected: https://127.0.0.2:1, got: https://127.0.0.2:${cfg.init.localAPIEndpoint.bindPort}`,
    );
  });

  it('kubelet.conf pointed at kubelet-client-current.pem is what clientcmd writes, and init reuses it', async () => {
    const file = '/etc/kubernetes/kubelet.conf';
    const pem = '/var/lib/kubelet/pki/kubelet-client-current.pem';
    const finalized = referClientCredentialsTo((await host.files.readFile(file)).toString(), pem);
    await host.files.writeFile(file, finalized, { mode: 0o600 });
    expect(await kubectl(host, ['--kubeconfig', host.files.resolve(file), 'config', 'view', '--raw'])).toBe(finalized);
    // kubeadm's validateKubeConfig looks at the CA and the server only: no embedded certificate is needed.
    const again = createMemoryLogger();
    expect(await ensureKubeconfig(host, cfg, 'kubelet', again)).toBe('reused');
    expect(again.lines).toEqual(['[kubeconfig] Using existing kubeconfig file: "/etc/kubernetes/kubelet.conf"']);
    expect((await host.files.readFile(file)).toString()).toBe(finalized);
  });

  it('refuses an existing file that trusts another CA, naming the file', async () => {
    const other = buildKubeconfig({ clusterName: 'kubernetes', server: 'https://127.0.0.2:6443', caPem: (await host.files.readFile('/etc/kubernetes/pki/apiserver.crt')).toString(), userName: 'x' });
    await host.files.writeFile('/etc/kubernetes/kubelet.conf', other, { mode: 0o600 });
    await expect(ensureKubeconfig(host, cfg, 'kubelet', createMemoryLogger())).rejects.toMatchObject({
      code: 'KF_KUBECONFIG_WRONG_CA',
      exitCode: 3,
      message: expect.stringContaining(host.files.resolve('/etc/kubernetes/kubelet.conf')),
    });
  });
});
