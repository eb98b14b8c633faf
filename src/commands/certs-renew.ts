/**
 * `kubeforge certs renew <name>|all` (kubeadm's RenewUsingLocalCA): every target is checked
 * before anything is written — a missing certificate, an externally managed CA, an expired or
 * unreadable CA stops the whole run with nothing changed. Then new keys are generated in
 * parallel (keeping each certificate's key algorithm), each certificate re-signed by its CA with
 * its existing subject, SANs and usages, kubeconfigs rewritten in place, and — beyond kubeadm —
 * the static pods that read a renewed file are restarted by the agent.
 */
import type { KeyObject } from 'node:crypto';
import path from 'node:path';
import { DEFAULT_CERT_VALIDITY } from '../config/defaults.js';
import { parseGoDuration } from '../config/duration.js';
import { parseYamlDocuments } from '../config/yaml.js';
import { errorMessage, KubeforgeError, validationError } from '../errors.js';
import { createDryRunHost, createHost, PKI_DIR, type Host } from '../host/index.js';
import type { KubeObject } from '../kube/index.js';
import { hasLocalEtcd, kubeconfigClientCertificate, loadKubeClient, managedCertificates, renewableNames, replaceClientCredentials, type ManagedCertificate, type StaticPodName } from '../kubeconfig/index.js';
import { createLogger, type Logger } from '../log.js';
import {
  certificateSpec, encodePrivateKeyPem, generatePrivateKey, keyAlgorithmOf, loadCertificate, reissueCertificate,
  tryLoadCertificateFile, tryLoadPrivateKeyFile, writeCertificate, writePrivateKey, type CertificateInfo, type CertName, type Issuer,
} from '../pki/index.js';
import { restartStaticPods, type PodRestart } from './certs-restart.js';

export interface RenewOptions {
  root: string;
  verbosity: number;
  /** A `certs renew` name, or `all`. */
  name: string;
  certDir?: string;
  dryRun: boolean;
  /** Validity of the renewed certificates (Go duration); else the cluster's certificateValidityPeriod. */
  validityPeriod?: string;
  /** The cluster's ClusterConfiguration YAML (kube-system/kubeadm-config); read through admin.conf by default. */
  clusterConfiguration?: (host: Host) => Promise<string>;
  log?: Logger;
  host?: Host;
}

export interface RenewResult {
  renewed: { name: string; longName: string }[];
  /** `renew all` skips what does not exist (kubeadm prints MISSING!). */
  missing: string[];
  restart: PodRestart;
  dryRun: boolean;
}

interface Plan {
  row: ManagedCertificate;
  existing: CertificateInfo;
  text?: string;
  issuer: Issuer;
}

const ADMIN_CONF = '/etc/kubernetes/admin.conf';

/** The ClusterConfiguration `init` uploaded to kube-system/kubeadm-config, read as admin.conf's user. */
async function uploadedClusterConfiguration(host: Host): Promise<string> {
  const client = await loadKubeClient(host, ADMIN_CONF, { timeoutMs: 10_000, userAgent: 'kubeforge-certs-renew' });
  try {
    const configMap = await client.get<KubeObject & { data?: Record<string, string> }>({ version: 'v1', resource: 'configmaps', namespace: 'kube-system', name: 'kubeadm-config' });
    const text = configMap.data?.ClusterConfiguration;
    if (!text) throw new Error('kube-system/kubeadm-config has no ClusterConfiguration');
    return text;
  } finally {
    client.close();
  }
}

/**
 * kubeadm's renew reads its configuration from the cluster and falls back to the defaults when
 * it cannot (with a warning): the validity is the cluster's certificateValidityPeriod.
 */
async function clusterValidityPeriod(host: Host, read: (host: Host) => Promise<string>, log: Logger): Promise<string> {
  try {
    const docs = parseYamlDocuments(await read(host), 'kube-system/kubeadm-config') as Array<{ kind?: string; certificateValidityPeriod?: unknown }>;
    const period = docs.find((d) => d?.kind === 'ClusterConfiguration')?.certificateValidityPeriod;
    return typeof period === 'string' ? period : DEFAULT_CERT_VALIDITY;
  } catch (err) {
    log.warn(`Error reading configuration from the Cluster. Falling back to default configuration (certificateValidityPeriod ${DEFAULT_CERT_VALIDITY}): ${errorMessage(err)}`);
    return DEFAULT_CERT_VALIDITY;
  }
}

function unknownName(name: string, names: string[]): KubeforgeError {
  return validationError('KF_CERTS_UNKNOWN_NAME', `unknown certificate "${name}": use one of ${names.join(', ')}`, { hint: 'see `kubeforge certs renew --help`' });
}

async function loadIssuer(host: Host, certDir: string, caName: CertName, cache: Map<CertName, Promise<Issuer | undefined>>): Promise<Issuer | undefined> {
  if (!cache.has(caName)) {
    const base = path.posix.join(certDir, certificateSpec(caName).baseName);
    const paths = { cert: `${base}.crt`, key: `${base}.key` };
    cache.set(caName, (async () => {
      const [certificate, key] = await Promise.all([tryLoadCertificateFile(host, paths.cert), tryLoadPrivateKeyFile(host, paths.key)]);
      if (!certificate) {
        throw new KubeforgeError('KF_CERT_CA_MISSING', `CA certificate ${host.files.resolve(paths.cert)} does not exist`, { hint: 'restore the CA (certificate and key) from a backup' });
      }
      if (certificate.notAfter.getTime() < host.clock.now().getTime()) {
        throw validationError('KF_CERT_CA_EXPIRED', `CA ${caName} (${host.files.resolve(paths.cert)}) expired on ${certificate.notAfter.toISOString()}: certificates it signs would not be trusted`, {
          hint: 'rotate the CA first (a manual procedure: https://kubernetes.io/docs/tasks/tls/manual-rotation-of-ca-certificates/)',
        });
      }
      return key ? { key, certificate } : undefined;
    })());
  }
  return cache.get(caName)!;
}

async function loadExisting(host: Host, row: ManagedCertificate): Promise<{ existing: CertificateInfo; text?: string } | undefined> {
  if (row.kind === 'certificate') {
    const existing = await tryLoadCertificateFile(host, row.path);
    return existing && { existing };
  }
  const content = await host.files.tryReadFile(row.path);
  if (content === undefined) return undefined;
  const text = content.toString();
  const pem = await kubeconfigClientCertificate(host.files, row.path, text);
  try {
    return { existing: loadCertificate(pem), text };
  } catch (err) {
    throw validationError('KF_CERT_CORRUPT', `the client certificate embedded in ${host.files.resolve(row.path)} is not valid: ${errorMessage(err)}`, { cause: err });
  }
}

/** Loads and checks every target; throws before anything is written. */
async function plan(host: Host, rows: ManagedCertificate[], certDir: string, single: boolean): Promise<{ plans: Plan[]; missing: string[] }> {
  const issuers = new Map<CertName, Promise<Issuer | undefined>>();
  const loaded = await Promise.all(rows.map(async (row) => ({ row, found: await loadExisting(host, row), issuer: await loadIssuer(host, certDir, row.caName, issuers) })));
  const missing = loaded.filter((l) => !l.found).map((l) => l.row.name);
  if (single && missing.length > 0) {
    throw new KubeforgeError('KF_CERT_MISSING', `${host.files.resolve(rows[0]!.path)} does not exist: there is nothing to renew`, {
      hint: `create it with \`kubeforge init phase ${rows[0]!.kind === 'certificate' ? 'certs' : 'kubeconfig'} ${rows[0]!.certName ?? rows[0]!.kubeconfigName}\``,
    });
  }
  const external = loaded.filter((l) => l.found && !l.issuer);
  if (external.length > 0) {
    throw new KubeforgeError(
      'KF_CERT_RENEW_EXTERNAL_CA',
      `externally managed: the key of ${[...new Set(external.map((l) => l.row.caName))].join(', ')} is absent, so ${external.map((l) => l.row.name).join(', ')} cannot be renewed here; nothing was renewed`,
      { hint: 'have your CA sign new certificates (`kubeforge certs generate-csr` writes the requests), or renew the others by name' },
    );
  }
  const plans = loaded.filter((l) => l.found).map((l) => ({ row: l.row, existing: l.found!.existing, text: l.found!.text, issuer: l.issuer! }));
  return { plans, missing };
}

async function write(host: Host, p: Plan, key: KeyObject, certPem: string): Promise<void> {
  if (p.row.kind === 'kubeconfig') {
    await host.files.writeFile(p.row.path, replaceClientCredentials(p.text!, certPem, encodePrivateKeyPem(key)), { mode: 0o600 });
    return;
  }
  await writePrivateKey(host, p.row.keyPath!, encodePrivateKeyPem(key));
  await writeCertificate(host, p.row.path, certPem);
}

export async function runCertsRenew(options: RenewOptions): Promise<RenewResult> {
  const log = options.log ?? createLogger({ verbosity: options.verbosity });
  const host = options.host ?? (options.dryRun ? createDryRunHost(options.root, (w) => log.info(`[dryrun] Would write file "${w.path}"`), () => {}) : createHost(options.root));
  const certDir = options.certDir ?? PKI_DIR;
  const localEtcd = await hasLocalEtcd(host.files, certDir);
  const names = renewableNames(localEtcd);
  if (!names.includes(options.name)) throw unknownName(options.name, renewableNames(true));
  const period = options.validityPeriod ?? (await clusterValidityPeriod(host, options.clusterConfiguration ?? uploadedClusterConfiguration, log));
  let validityMs: number;
  try {
    validityMs = parseGoDuration(period);
  } catch (err) {
    const what = options.validityPeriod === undefined ? "the cluster's certificateValidityPeriod" : '--validity-period';
    throw validationError('KF_CERTS_VALIDITY', `${what} ${JSON.stringify(period)} is not a Go duration`, { cause: err, hint: 'e.g. 8760h' });
  }
  const rows = managedCertificates(certDir, localEtcd).filter((row) => options.name === 'all' || row.name === options.name);
  const { plans, missing } = await plan(host, rows, certDir, options.name !== 'all');
  for (const name of missing) log.warn(`MISSING! ${rows.find((r) => r.name === name)!.longName}`);
  const { renewed, restart } = await renewPlans(host, plans, host.clock.now(), () => validityMs);
  return { renewed, missing, restart, dryRun: options.dryRun };
}

/**
 * Re-signs every plan and restarts the pods that read them. The new keys are generated in
 * parallel and each certificate is signed and written as soon as its key exists, so signing and
 * writing overlap the key generation; the result keeps kubeadm's order.
 */
async function renewPlans(host: Host, plans: Plan[], now: Date, validityMs: (existing: CertificateInfo) => number): Promise<Pick<RenewResult, 'renewed' | 'restart'>> {
  const renewed = await Promise.all(
    plans.map(async (p) => {
      const key = await generatePrivateKey(keyAlgorithmOf(p.existing));
      await write(host, p, key, reissueCertificate(p.existing, key, p.issuer, now, validityMs(p.existing)));
      return { name: p.row.name, longName: p.row.longName };
    }),
  );
  const pods = [...new Set(plans.flatMap((p) => p.row.pods))].sort() as StaticPodName[];
  return { renewed, restart: await restartStaticPods(host, pods, now) };
}

export interface DueRenewalOptions {
  host: Host;
  /** The certificates dir (logical); /etc/kubernetes/pki by default. */
  certDir?: string;
  /** Whether a certificate (or kubeconfig client certificate) should be renewed now. */
  due: (existing: CertificateInfo, now: Date) => boolean;
  /** The validity of its renewal. */
  validityMs: (existing: CertificateInfo) => number;
}

export interface DueRenewalResult {
  renewed: RenewResult['renewed'];
  /** Due, but its CA key is absent: left alone. */
  externallyManaged: string[];
  restart: PodRestart;
}

/**
 * The renewal `certs renew` does, for the managed certificates that are due (the agent's
 * `--auto-renew`): missing ones are ignored, externally managed ones reported and left alone,
 * the rest renewed with the same code as `certs renew all`, and only their readers restarted.
 */
export async function renewDueCertificates(options: DueRenewalOptions): Promise<DueRenewalResult> {
  const { host } = options;
  const certDir = options.certDir ?? PKI_DIR;
  const now = host.clock.now();
  const rows = managedCertificates(certDir, await hasLocalEtcd(host.files, certDir));
  const issuers = new Map<CertName, Promise<Issuer | undefined>>();
  const plans: Plan[] = [];
  const externallyManaged: string[] = [];
  for (const row of rows) {
    const found = await loadExisting(host, row);
    if (!found || !options.due(found.existing, now)) continue;
    const issuer = await loadIssuer(host, certDir, row.caName, issuers);
    if (issuer) plans.push({ row, ...found, issuer });
    else externallyManaged.push(row.name);
  }
  return { ...(await renewPlans(host, plans, now, options.validityMs)), externallyManaged };
}
