/**
 * The agent's client certificate, as the kubelet's TLS bootstrap and certificate manager do it.
 * Bootstrap: with bootstrap-kubelet.conf and no kubelet.conf, generate an ECDSA P-256 key, post a
 * CertificateSigningRequest (signer kubernetes.io/kube-apiserver-client-kubelet,
 * CN=system:node:<name>, O=system:nodes, usages digital signature + client auth) with the
 * bootstrap identity, wait until it is approved and signed, write
 * /var/lib/kubelet/pki/kubelet-client-<date>.pem (certificate + key, 0600) and point the
 * kubelet-client-current.pem symlink at it, write kubelet.conf referring to that file, and delete
 * bootstrap-kubelet.conf. Store seeding (the certificate manager's getCurrentCertificateOrBootstrap):
 * when kubelet.conf embeds the client certificate (as `init` writes it) and the store has no
 * kubelet-client-current.pem, the embedded certificate and key are written there and rotated at
 * once. Rotation: whenever the store is in use, a new CSR is posted with the node's own identity
 * at a random point between 70% and 90% of the certificate's lifetime, and the new certificate
 * replaces the old one without a restart (the API connection reloads, and uses the store even
 * while kubelet.conf still embeds the old certificate, until kubelet-finalize points it at the
 * store). A denied CSR is logged and a new one posted on the next attempt.
 */
import { createHash, createPublicKey } from 'node:crypto';
import type { Host } from '../host/index.js';
import type { KubeClient, KubeObject, ResourceRef } from '../kube/index.js';
import { currentClusterAndUser, loadKubeClient, parseKubeconfig } from '../kubeconfig/index.js';
import type { Logger } from '../log.js';
import { createCertificateSigningRequest, encodePrivateKeyPem, generatePrivateKey, loadCertificate } from '../pki/index.js';
import type { ApiConnection } from './api-connection.js';
import type { Component } from './component-manager.js';
import { PeriodicComponent } from './periodic.js';
import { KUBELET_PKI_DIR } from './serving-cert.js';

export const BOOTSTRAP_KUBECONFIG = '/etc/kubernetes/bootstrap-kubelet.conf';
export const CLIENT_CERT_CURRENT = `${KUBELET_PKI_DIR}/kubelet-client-current.pem`;
export const KUBELET_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client-kubelet';
const CSR_REF: ResourceRef = { group: 'certificates.k8s.io', version: 'v1', resource: 'certificatesigningrequests' };
/** How long one round watches a pending CSR for its decision before the next round looks again. */
const DECISION_WATCH_MS = 10_000;

export interface ClientCertificateOptions {
  host: Host;
  nodeName: string;
  kubeconfigPath: string;
  bootstrapKubeconfigPath?: string;
  connection: ApiConnection;
  log: Logger;
  /** How often the state is checked and a pending CSR polled (1 s). */
  checkMs?: number;
  /** The fraction of the lifetime at which to rotate; random in [0.7, 0.9) by default. */
  rotationFraction?: () => number;
}

interface CertificateSigningRequest extends KubeObject {
  spec: { request: string; signerName: string; usages: string[] };
  status?: { certificate?: string; conditions?: { type: string; status?: string; reason?: string; message?: string }[] };
}

/** The Denied or Failed condition that ends a CSR, if any. */
const refusal = (csr: CertificateSigningRequest) => csr.status?.conditions?.find((c) => (c.type === 'Denied' || c.type === 'Failed') && c.status !== 'False');
const isDecided = (csr: CertificateSigningRequest) => Boolean(csr.status?.certificate) || refusal(csr) !== undefined;

/**
 * The CSR once it is signed, denied or failed, else as it stands when `signal` aborts: watched
 * from the revision just read (as the kubelet's WaitForCertificate does), so the certificate is
 * installed the moment the signer writes it rather than a poll interval later.
 */
export async function awaitCsrDecision(client: KubeClient, name: string, signal: AbortSignal): Promise<CertificateSigningRequest> {
  const current = await client.get<CertificateSigningRequest>({ ...CSR_REF, name });
  if (isDecided(current) || signal.aborted) return current;
  try {
    const query = { fieldSelector: `metadata.name=${name}`, resourceVersion: current.metadata.resourceVersion ?? '' };
    for await (const event of client.watch<CertificateSigningRequest>(CSR_REF, query, signal)) {
      if ((event.type === 'ADDED' || event.type === 'MODIFIED') && isDecided(event.object)) return event.object;
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  }
  return current;
}

interface Pending {
  name: string;
  keyPem: string;
}

/** The kubelet's dated file name: kubelet-client-2006-01-02-15-04-05.pem. */
export function datedClientCertName(now: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `kubelet-client-${now.getUTCFullYear()}-${p(now.getUTCMonth() + 1)}-${p(now.getUTCDate())}-${p(now.getUTCHours())}-${p(now.getUTCMinutes())}-${p(now.getUTCSeconds())}.pem`;
}

/** When to rotate a certificate valid from notBefore to notAfter, at `fraction` of its lifetime. */
export function rotationDeadline(notBefore: Date, notAfter: Date, fraction: number): Date {
  return new Date(notBefore.getTime() + (notAfter.getTime() - notBefore.getTime()) * fraction);
}

/** The kubeconfig the kubelet writes after bootstrap: the cluster of the bootstrap file, the user's cert and key in one PEM file. */
export function kubeletKubeconfig(server: string, caPem: string, certFile: string, tlsServerName?: string): string {
  return [
    'apiVersion: v1',
    'clusters:',
    '- cluster:',
    `    certificate-authority-data: ${Buffer.from(caPem).toString('base64')}`,
    `    server: ${server}`,
    ...(tlsServerName ? [`    tls-server-name: ${tlsServerName}`] : []),
    '  name: default-cluster',
    'contexts:',
    '- context:',
    '    cluster: default-cluster',
    '    namespace: default',
    '    user: default-auth',
    '  name: default-context',
    'current-context: default-context',
    'kind: Config',
    'preferences: {}',
    'users:',
    '- name: default-auth',
    '  user:',
    `    client-certificate: ${certFile}`,
    `    client-key: ${certFile}`,
    '',
  ].join('\n');
}

export class ClientCertificates extends PeriodicComponent implements Component {
  readonly name = 'client-certificate';
  private pending: Pending | undefined;
  /** The rotation deadline of the certificate in kubelet-client-current.pem, once read. */
  private deadline: { serial: string; at: Date } | undefined;

  constructor(private readonly options: ClientCertificateOptions) {
    super({ name: 'client certificate', intervalMs: options.checkMs ?? 1000, retryMaxMs: 5000, log: options.log });
  }

  private get bootstrapPath(): string {
    return this.options.bootstrapKubeconfigPath ?? BOOTSTRAP_KUBECONFIG;
  }

  protected async sync(signal: AbortSignal): Promise<void> {
    const { host } = this.options;
    const kubeconfig = await host.files.tryReadFile(this.options.kubeconfigPath);
    if (!kubeconfig) {
      if (!(await host.files.exists(this.bootstrapPath))) return;
      const client = await loadKubeClient(host, this.bootstrapPath, { timeoutMs: 10_000, userAgent: 'kubeforge-agent/bootstrap' });
      try {
        await this.obtain(client.withSignal(signal), 'bootstrap', signal);
      } finally {
        client.close();
      }
      return;
    }
    const { user } = currentClusterAndUser(parseKubeconfig(kubeconfig.toString('utf8')));
    if (user?.clientCertificateData && user.clientKeyData) {
      if (!(await host.files.exists(CLIENT_CERT_CURRENT))) await this.seedStore(user.clientCertificateData, user.clientKeyData);
    } else if (user?.clientCertificate !== CLIENT_CERT_CURRENT) return;
    const cert = loadCertificate(await host.files.readFile(CLIENT_CERT_CURRENT));
    if (this.deadline?.serial !== cert.serialNumber) {
      const fraction = this.options.rotationFraction?.() ?? 0.7 + Math.random() * 0.2;
      this.deadline = { serial: cert.serialNumber, at: rotationDeadline(cert.notBefore, cert.notAfter, fraction) };
      this.options.log.info(`agent: client certificate expires ${cert.notAfter.toISOString()}; rotating at ${this.deadline.at.toISOString()}`);
    }
    if (host.clock.now() < this.deadline.at) return;
    const client = this.options.connection.client(signal);
    if (client) await this.obtain(client, 'rotation', signal);
  }

  /** Posts a CSR (once) and, when it is signed, installs the certificate. */
  private async obtain(client: KubeClient, why: 'bootstrap' | 'rotation', signal: AbortSignal): Promise<void> {
    const { host, nodeName, log } = this.options;
    if (!this.pending) {
      const key = await generatePrivateKey('ECDSA-P256');
      const subject = { commonName: `system:node:${nodeName}`, organizations: ['system:nodes'] };
      const request = createCertificateSigningRequest(key, subject);
      const digest = createHash('sha512').update(createPublicKey(key).export({ type: 'spki', format: 'der' })).update(subject.commonName).digest('hex').slice(0, 43);
      const csr: CertificateSigningRequest = {
        apiVersion: 'certificates.k8s.io/v1',
        kind: 'CertificateSigningRequest',
        metadata: why === 'bootstrap' ? { name: `node-csr-${digest}` } : { generateName: 'csr-' },
        spec: { request: Buffer.from(request).toString('base64'), signerName: KUBELET_CLIENT_SIGNER, usages: ['digital signature', 'client auth'] },
      };
      const created = await client.create(CSR_REF, csr);
      this.pending = { name: created.metadata.name!, keyPem: encodePrivateKeyPem(key) };
      log.info(`agent: ${why}: posted CertificateSigningRequest ${this.pending.name}; waiting for it to be approved and signed`);
    }
    const current = await awaitCsrDecision(client, this.pending.name, AbortSignal.any([signal, AbortSignal.timeout(DECISION_WATCH_MS)]));
    const refused = refusal(current);
    if (refused) {
      const name = this.pending.name;
      this.pending = undefined;
      throw new Error(`CertificateSigningRequest ${name} was ${refused.type.toLowerCase()}: ${refused.reason ?? ''} ${refused.message ?? ''}`.trim());
    }
    if (!current.status?.certificate) return;
    const file = await this.store(Buffer.from(current.status.certificate, 'base64').toString('utf8'), this.pending.keyPem);
    this.pending = undefined;
    if (why === 'bootstrap') {
      const { cluster } = currentClusterAndUser(parseKubeconfig((await host.files.readFile(this.bootstrapPath)).toString('utf8')));
      const ca = cluster.certificateAuthorityData ?? (await host.files.readFile(cluster.certificateAuthority!)).toString('utf8');
      await host.files.writeFile(this.options.kubeconfigPath, kubeletKubeconfig(cluster.server, ca, CLIENT_CERT_CURRENT, cluster.tlsServerName), { mode: 0o600 });
      await host.files.remove(this.bootstrapPath);
    }
    log.info(`agent: ${why}: installed the signed client certificate ${file}`);
    this.options.connection.reload();
  }

  /** The certificate store's update: the dated PEM (certificate, then key; 0600) and the kubelet-client-current.pem symlink. */
  private async store(certPem: string, keyPem: string): Promise<string> {
    const { host } = this.options;
    const file = datedClientCertName(host.clock.now());
    await host.files.mkdir(KUBELET_PKI_DIR, 0o755);
    await host.files.writeFile(`${KUBELET_PKI_DIR}/${file}`, `${certPem.trimEnd()}\n${keyPem.trimEnd()}\n`, { mode: 0o600 });
    await host.files.symlink(file, CLIENT_CERT_CURRENT);
    return `${KUBELET_PKI_DIR}/${file}`;
  }

  /** kubelet.conf's embedded certificate becomes the store's first one, rotated at once (the kubelet's shouldRotate). */
  private async seedStore(certPem: string, keyPem: string): Promise<void> {
    const file = await this.store(certPem, keyPem);
    this.deadline = { serial: loadCertificate(certPem).serialNumber, at: this.options.host.clock.now() };
    this.options.log.info(`agent: wrote the client certificate embedded in ${this.options.kubeconfigPath} to ${file}; rotating it now`);
  }
}
