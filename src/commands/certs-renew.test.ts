import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createHost } from '../host/index.js';
import { createMemoryLogger } from '../log.js';
import { ensureCertificate, loadCertificate } from '../pki/index.js';
import { testInitConfig } from '../../test/helpers/pki-config.js';
import { runCertsRenew } from './certs-renew.js';

const HOUR = 3600_000;
const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await fs.rm(root, { recursive: true, force: true });
});

/** A root with the cluster CA and an apiserver certificate, renewed with the given validity sources. */
async function renewApiserver(options: { validityPeriod?: string; clusterConfiguration: () => Promise<string> }) {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'kf-renew-'));
  roots.push(root);
  const host = createHost(root);
  const log = createMemoryLogger();
  const cfg = testInitConfig('ECDSA-P256', 'cp1', '127.0.0.160');
  await ensureCertificate(host, cfg, 'ca', log);
  await ensureCertificate(host, cfg, 'apiserver', log);
  const before = Date.now();
  await runCertsRenew({ root, verbosity: 0, name: 'apiserver', dryRun: false, host, log, ...options });
  const cert = loadCertificate(await host.files.readFile('/etc/kubernetes/pki/apiserver.crt'));
  return { lifetimeMs: cert.notAfter.getTime() - before, log };
}

const clusterConfig = (period: string) => async () => `apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\ncertificateValidityPeriod: ${period}\n`;

describe('certs renew validity', () => {
  it("keeps the cluster's certificateValidityPeriod when no --validity-period is given", async () => {
    const { lifetimeMs } = await renewApiserver({ clusterConfiguration: clusterConfig('100h') });
    expect(Math.abs(lifetimeMs - 100 * HOUR)).toBeLessThan(60_000);
  });

  it('lets --validity-period win over the cluster configuration', async () => {
    const { lifetimeMs } = await renewApiserver({ validityPeriod: '48h', clusterConfiguration: clusterConfig('100h') });
    expect(Math.abs(lifetimeMs - 48 * HOUR)).toBeLessThan(60_000);
  });

  it("falls back to kubeadm's default 8760h with a warning when the cluster cannot be read", async () => {
    const { lifetimeMs, log } = await renewApiserver({ clusterConfiguration: async () => { throw new Error('connect ECONNREFUSED 127.0.0.160:6443'); } });
    expect(Math.abs(lifetimeMs - 8760 * HOUR)).toBeLessThan(60_000);
    expect(log.lines.join('\n')).toContain('Error reading configuration from the Cluster. Falling back to default configuration');
  });
});
