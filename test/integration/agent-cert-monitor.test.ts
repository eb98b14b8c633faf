import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupRoot, hostFor, tempRoot, waitFor } from '../helpers/agent-harness.js';
import { renewDueCertificates } from '../../src/commands/certs-renew.js';
import { runInit } from '../../src/commands/init.js';
import type { Host } from '../../src/host/index.js';
import { createMemoryLogger } from '../../src/log.js';
import { loadCertificate } from '../../src/pki/index.js';
import { CertificateMonitor } from '../../src/agent/cert-monitor.js';

const DAY = 24 * 3600 * 1000;
const roots: string[] = [];
const monitors: CertificateMonitor[] = [];

afterEach(async () => {
  for (const m of monitors.splice(0)) await m.stop();
  for (const r of roots.splice(0)) await cleanupRoot(r);
});

const serial = async (host: Host, file: string) => loadCertificate((await host.files.readFile(file)).toString()).serialNumber;

describe('the certificate monitor with auto-renew', () => {
  it('renews due certificates of CAs it holds the key of, and skips the externally managed ones with one log line', async () => {
    const root = tempRoot();
    roots.push(root);
    await runInit({
      root, verbosity: 0, flags: { nodeName: 'cp1', apiserverAdvertiseAddress: '127.0.0.1' }, dryRun: false,
      skipPhases: [], ignorePreflightErrors: [], phase: 'certs/all', log: createMemoryLogger(),
    });
    rmSync(`${root}/etc/kubernetes/pki/ca.key`); // the cluster CA is external; etcd-ca and front-proxy-ca are local
    const host = hostFor(root);
    const before = { apiserver: await serial(host, '/etc/kubernetes/pki/apiserver.crt'), frontProxy: await serial(host, '/etc/kubernetes/pki/front-proxy-client.crt') };
    const log = createMemoryLogger();
    // 300 days on: past 2/3 of the one-year certificates, 30 days before none of them expires.
    let rounds = 0; // renew is called once at the start of every round
    const renew: typeof renewDueCertificates = (o) => (rounds++, renewDueCertificates(o));
    const monitor = new CertificateMonitor({ host: { ...host, clock: { now: () => new Date(Date.now() + 300 * DAY) } }, nodeName: 'cp1', log, intervalMs: 100, renew });
    monitors.push(monitor);
    await monitor.start();

    // The log line comes after the round has written every renewed file (keys are made in parallel).
    await waitFor('the renewal round to end', async () => log.lines.some((l) => /auto-renew: renewed .*front-proxy-client/.test(l)), 20_000);
    expect(await serial(host, '/etc/kubernetes/pki/front-proxy-client.crt')).not.toBe(before.frontProxy);
    // The canary: two more rounds have started, so at least one whole round ran after the renewal.
    const after = rounds;
    await waitFor('two more rounds', () => rounds >= after + 2, 20_000);
    expect(await serial(host, '/etc/kubernetes/pki/apiserver.crt')).toBe(before.apiserver);
    expect(log.lines.filter((l) => l.includes('auto-renew: skipping apiserver: it is externally managed'))).toHaveLength(1);
    expect(log.lines.filter((l) => /auto-renew: renewed .*front-proxy-client/.test(l))).toHaveLength(1);
    // The renewed ones keep their one-year lifetime, so the metric shows about 365 days again.
    const seconds = Number(/expiration_seconds\{name="front-proxy-client",[^}]*\} (\d+)/.exec(monitor.metricsText())?.[1]);
    expect(seconds).toBeGreaterThan(364 * 86400);
    expect(monitor.metricsText()).toMatch(/expiration_seconds\{name="apiserver",[^}]*externally_managed="true"[^}]*\} \d+/);
  }, 30_000);
});
