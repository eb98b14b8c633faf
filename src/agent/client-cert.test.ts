import { lstat, readlink } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupRoot, tempRoot, waitFor } from '../../test/helpers/agent-harness.js';
import { createHost, type Host } from '../host/index.js';
import type { KubeClient, KubeObject, ResourceRef } from '../kube/index.js';
import { buildKubeconfig, currentClusterAndUser, parseKubeconfig } from '../kubeconfig/index.js';
import { createMemoryLogger } from '../log.js';
import {
  createCertificateFromCSR, ensureCertificates, issueClientCertificate, loadCertificate, loadCertificateAuthority, parseCertificateSigningRequest, type IssuedCertificate,
} from '../pki/index.js';
import { testInitConfig } from '../../test/helpers/pki-config.js';
import type { ApiConnection } from './api-connection.js';
import { awaitCsrDecision, CLIENT_CERT_CURRENT, ClientCertificates, datedClientCertName, kubeletKubeconfig, rotationDeadline } from './client-cert.js';

describe('client certificate files', () => {
  it('names the dated PEM file as the kubelet does', () => {
    expect(datedClientCertName(new Date('2026-03-04T05:06:07.890Z'))).toBe('kubelet-client-2026-03-04-05-06-07.pem');
  });

  it('writes a kubelet.conf whose user reads certificate and key from kubelet-client-current.pem', () => {
    const text = kubeletKubeconfig('https://127.0.0.2:6443', '-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n', CLIENT_CERT_CURRENT);
    const { cluster, user } = currentClusterAndUser(parseKubeconfig(text));
    expect(cluster.server).toBe('https://127.0.0.2:6443');
    expect(cluster.certificateAuthorityData).toContain('BEGIN CERTIFICATE');
    expect(user).toMatchObject({ clientCertificate: CLIENT_CERT_CURRENT, clientKey: CLIENT_CERT_CURRENT });
  });
});

describe('awaitCsrDecision', () => {
  const pending = { metadata: { name: 'csr-a', resourceVersion: '5' }, spec: { request: '', signerName: 's', usages: [] } };
  /** A client whose GET answers `pending` and whose watch yields `events`, one every 20 ms, then stays open until aborted. */
  function fakeClient(events: KubeObject[]) {
    const watched: Array<Record<string, string>> = [];
    const client = {
      get: async () => pending,
      async *watch(_ref: ResourceRef, query: Record<string, string>, signal: AbortSignal) {
        watched.push(query);
        for (const object of events) {
          await new Promise((r) => setTimeout(r, 20));
          yield { type: 'MODIFIED', object };
        }
        await new Promise((r) => signal.addEventListener('abort', r));
      },
    } as unknown as KubeClient;
    return { client, watched };
  }

  it('returns the CSR the moment the signer writes its certificate, watching from the revision it read', async () => {
    const approved = { ...pending, status: { conditions: [{ type: 'Approved', status: 'True' }] } };
    const signed = { ...approved, status: { ...approved.status, certificate: 'Q0VSVA==' } };
    const { client, watched } = fakeClient([approved, signed]);
    const started = performance.now();
    const result = await awaitCsrDecision(client, 'csr-a', AbortSignal.timeout(10_000));
    expect(result.status?.certificate).toBe('Q0VSVA==');
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(watched).toEqual([{ fieldSelector: 'metadata.name=csr-a', resourceVersion: '5' }]);
  });

  it('returns a denial as a decision', async () => {
    const denied = { ...pending, status: { conditions: [{ type: 'Denied', status: 'True', reason: 'NotMine' }] } };
    const { client } = fakeClient([denied]);
    const result = await awaitCsrDecision(client, 'csr-a', AbortSignal.timeout(10_000));
    expect(result.status?.conditions?.[0]?.reason).toBe('NotMine');
  });

  it('gives back the CSR as it stands when the wait is aborted (the agent stops, or the round ends)', async () => {
    const { client } = fakeClient([]);
    const result = await awaitCsrDecision(client, 'csr-a', AbortSignal.timeout(50));
    expect(result).toBe(pending);
  });
});

describe('rotationDeadline', () => {
  it('lies at the given fraction of the lifetime', () => {
    const notBefore = new Date('2026-01-01T00:00:00Z');
    const notAfter = new Date('2026-01-11T00:00:00Z');
    expect(rotationDeadline(notBefore, notAfter, 0.7).toISOString()).toBe('2026-01-08T00:00:00.000Z');
    expect(rotationDeadline(notBefore, notAfter, 0.9).toISOString()).toBe('2026-01-10T00:00:00.000Z');
  });
});

const KUBELET_CONF = '/etc/kubernetes/kubelet.conf';
const DAY_MS = 24 * 3600_000;

/** A root with a cluster CA and the kubelet.conf `init` writes: the node's client certificate embedded. */
async function initNodeRoot(now: () => Date): Promise<{ root: string; host: Host; ca: IssuedCertificate; embedded: IssuedCertificate }> {
  const root = tempRoot();
  const host: Host = { ...createHost(root), clock: { now } };
  await ensureCertificates(host, testInitConfig('ECDSA-P256', 'cp1'), createMemoryLogger(), ['ca']);
  const ca = { certPem: (await host.files.readFile('/etc/kubernetes/pki/ca.crt')).toString(), keyPem: (await host.files.readFile('/etc/kubernetes/pki/ca.key')).toString() };
  const embedded = await issueClientCertificate(ca, { commonName: 'system:node:cp1', organizations: ['system:nodes'] }, 'ECDSA-P256', 365 * DAY_MS, now());
  const conf = buildKubeconfig({ clusterName: 'kubernetes', server: 'https://127.0.0.2:6443', caPem: ca.certPem, userName: 'system:node:cp1', clientCertPem: embedded.certPem, clientKeyPem: embedded.keyPem });
  await host.files.writeFile(KUBELET_CONF, conf, { mode: 0o600 });
  return { root, host, ca, embedded };
}

interface PostedCSR extends KubeObject {
  spec: { request: string; signerName: string; usages: string[] };
  status?: { certificate?: string };
}

/** The API as the controller manager's csrapproving + csrsigning make it look: every CSR posted is signed at once. */
function signingApi(ca: IssuedCertificate, now: () => Date): { client: KubeClient; posted: PostedCSR[] } {
  const posted: PostedCSR[] = [];
  const client = {
    create: async (_ref: ResourceRef, csr: PostedCSR) => {
      const name = `${csr.metadata.generateName ?? 'x-'}${posted.length}`;
      const request = parseCertificateSigningRequest(Buffer.from(csr.spec.request, 'base64'));
      const certPem = createCertificateFromCSR(request, loadCertificateAuthority(ca.certPem, ca.keyPem), { usages: ['clientAuth'], validityMs: DAY_MS, now: now() });
      posted.push({ ...csr, metadata: { ...csr.metadata, name }, status: { certificate: Buffer.from(certPem).toString('base64') } });
      return posted.at(-1)!;
    },
    get: async (ref: ResourceRef) => posted.find((c) => c.metadata.name === ref.name),
  };
  return { client: client as unknown as KubeClient, posted };
}

describe('ClientCertificates with the kubelet.conf init writes (client certificate embedded)', () => {
  const roots: string[] = [];
  const components: ClientCertificates[] = [];
  afterEach(async () => {
    for (const c of components.splice(0)) await c.stop();
    for (const r of roots.splice(0)) await cleanupRoot(r);
  });

  function start(host: Host, connection: Partial<ApiConnection>): ClientCertificates {
    const certificates = new ClientCertificates({
      host, nodeName: 'cp1', kubeconfigPath: KUBELET_CONF, connection: connection as ApiConnection, log: createMemoryLogger(), checkMs: 20, rotationFraction: () => 0.8,
    });
    components.push(certificates);
    void certificates.start();
    return certificates;
  }

  it("writes the embedded certificate and key to the store, then rotates them at once through a CSR with the node's own identity", async () => {
    let now = new Date('2026-03-04T05:06:07Z');
    const { root, host, ca, embedded } = await initNodeRoot(() => now);
    roots.push(root);
    const api = signingApi(ca, () => now);
    const connection = { client: undefined as KubeClient | undefined, reloads: 0 };
    start(host, { client: () => connection.client, reload: () => void connection.reloads++ });

    // Seeded without the API: the dated PEM (certificate, then key, 0600) and the symlink to it.
    const seeded = await waitFor('the store to be seeded', () => host.files.exists(CLIENT_CERT_CURRENT));
    expect(seeded).toBe(true);
    const link = host.files.resolve(CLIENT_CERT_CURRENT);
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).toBe('kubelet-client-2026-03-04-05-06-07.pem');
    const dated = '/var/lib/kubelet/pki/kubelet-client-2026-03-04-05-06-07.pem';
    expect((await host.files.readFile(dated)).toString()).toBe(`${embedded.certPem.trimEnd()}\n${embedded.keyPem.trimEnd()}\n`);
    expect((await host.files.stat(dated))?.mode).toBe(0o600);
    expect(api.posted).toHaveLength(0);

    // Once the API answers, the one-year certificate is rotated although it is far from its deadline.
    now = new Date('2026-03-04T05:06:09Z');
    connection.client = api.client;
    await waitFor('the rotated certificate to be installed', async () => (await readlink(link)) === 'kubelet-client-2026-03-04-05-06-09.pem');
    expect(api.posted).toHaveLength(1);
    const [csr] = api.posted;
    expect(csr!.metadata.generateName).toBe('csr-');
    expect(csr!.spec).toMatchObject({ signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['digital signature', 'client auth'] });
    expect(parseCertificateSigningRequest(Buffer.from(csr!.spec.request, 'base64')).subject).toMatchObject({ commonName: 'system:node:cp1', organizations: ['system:nodes'] });
    const rotated = loadCertificate(await host.files.readFile(CLIENT_CERT_CURRENT));
    expect(rotated.serialNumber).not.toBe(loadCertificate(embedded.certPem).serialNumber);
    expect(connection.reloads).toBe(1);
    // kubelet.conf is kubelet-finalize's to rewrite; the agent leaves it as init wrote it.
    expect(currentClusterAndUser(parseKubeconfig((await host.files.readFile(KUBELET_CONF)).toString())).user?.clientCertificateData).toBe(embedded.certPem);
  });

  it('keeps an existing kubelet-client-current.pem: no seeding and no rotation before its deadline', async () => {
    const now = new Date();
    let clockReads = 0; // each check reads the clock once to compare it with the deadline
    const { root, host, ca } = await initNodeRoot(() => (clockReads++, now));
    roots.push(root);
    const stored = await issueClientCertificate(ca, { commonName: 'system:node:cp1', organizations: ['system:nodes'] }, 'ECDSA-P256', DAY_MS, now);
    const file = '/var/lib/kubelet/pki/kubelet-client-2026-01-01-00-00-00.pem';
    await host.files.writeFile(file, `${stored.certPem}${stored.keyPem}`, { mode: 0o600 });
    await host.files.symlink('kubelet-client-2026-01-01-00-00-00.pem', CLIENT_CERT_CURRENT);
    const api = signingApi(ca, () => now);
    const log = createMemoryLogger();
    const certificates = new ClientCertificates({ host, nodeName: 'cp1', kubeconfigPath: KUBELET_CONF, connection: { client: () => api.client, reload: () => {} } as unknown as ApiConnection, log, checkMs: 20, rotationFraction: () => 0.8 });
    components.push(certificates);
    await certificates.start();
    await waitFor('the rotation deadline of the stored certificate', () => log.lines.some((l) => l.includes('rotating at')));
    // The canary: three more checks compared the clock with the deadline and chose not to rotate.
    const reads = clockReads;
    await waitFor('three more checks', () => clockReads >= reads + 3);
    expect(api.posted).toHaveLength(0);
    expect(await readlink(host.files.resolve(CLIENT_CERT_CURRENT))).toBe('kubelet-client-2026-01-01-00-00-00.pem');
    expect((await host.files.readFile(file)).toString()).toBe(`${stored.certPem}${stored.keyPem}`);
  });
});
