/**
 * File discovery (kubeadm's discovery/file): a kubeconfig from a file or an https:// URL gives the
 * cluster and its CA; cluster-info is then read over TLS trusting that CA to refresh it, and when
 * the API server does not allow that, the file is trusted as it is.
 */
import https from 'node:https';
import { errorMessage, validationError } from '../errors.js';
import type { Host } from '../host/index.js';
import { currentClusterAndUser, parseKubeconfig, type Kubeconfig, type KubeconfigUser } from '../kubeconfig/index.js';
import type { Logger } from '../log.js';
import { pemCertificates } from '../pki/index.js';
import { DiscoveryError } from './errors.js';
import { fetchClusterInfo } from './fetch.js';
import { pollUntilDeadline } from './poll.js';
import { DEFAULT_DISCOVERY_TIMEOUT_MS } from './token.js';
import { clusterInfoCluster, type DiscoveredCluster } from './verify.js';

const MAX_FILE_BYTES = 1024 * 1024;

export interface FileDiscoveryOptions {
  /** A path (outside --root, as the user gave it) or an https:// URL. */
  location: string;
  host: Host;
  log: Logger;
  timeoutMs?: number;
  retryIntervalMs?: number;
}

export interface FileDiscoveryResult {
  cluster: DiscoveredCluster;
  /** The credentials the file's current context carries, if any. */
  user?: KubeconfigUser;
}

function download(url: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ((res.statusCode ?? 0) === 200 ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(new Error(`HTTP ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

async function readLocation(options: FileDiscoveryOptions): Promise<string> {
  try {
    if (/^https:\/\//i.test(options.location)) return await download(options.location, 10_000);
    return (await options.host.files.readUserFile(options.location, MAX_FILE_BYTES)).toString('utf8');
  } catch (err) {
    throw new DiscoveryError('KF_DISCOVERY_FILE_UNREADABLE', `cannot read the discovery file ${options.location}: ${errorMessage(err)}`, { cause: err, exitCode: 3 });
  }
}

function notAKubeconfig(location: string, reason: string, cause?: unknown) {
  return validationError('KF_DISCOVERY_FILE_INVALID', `the discovery file ${location} is not a kubeconfig: ${reason}`, {
    ...(cause === undefined ? {} : { cause }),
    hint: 'pass a kubeconfig with one cluster (server and certificate-authority-data), e.g. cluster-info\'s: `kubectl -n kube-public get cm cluster-info -o jsonpath={.data.kubeconfig}`',
  });
}

/** The file's cluster: the current context's, or the only one; it must carry its CA. */
function fileCluster(config: Kubeconfig, location: string): FileDiscoveryResult {
  if (config.clusters.length === 0) throw notAKubeconfig(location, 'it defines no cluster');
  let picked: ReturnType<typeof currentClusterAndUser>;
  if (config.currentContext) picked = currentClusterAndUser(config);
  else if (config.clusters.length === 1) picked = { cluster: config.clusters[0]!, user: undefined };
  else throw notAKubeconfig(location, 'it has several clusters and no current-context naming one');
  const { cluster, user } = picked;
  const caPem = cluster.certificateAuthorityData ?? '';
  if (pemCertificates(caPem).length === 0) throw notAKubeconfig(location, `cluster "${cluster.name}" has no certificate-authority-data`);
  if (!/^https:\/\//.test(cluster.server)) throw notAKubeconfig(location, `cluster "${cluster.name}" has server ${JSON.stringify(cluster.server)}, not an https:// URL`);
  const hasCredentials = user && (user.token || user.clientCertificateData || user.clientCertificate);
  return { cluster: { name: cluster.name, server: cluster.server, caPem }, ...(hasCredentials ? { user } : {}) };
}

export async function discoverWithFile(options: FileDiscoveryOptions): Promise<FileDiscoveryResult> {
  const text = await readLocation(options);
  let config: Kubeconfig;
  try {
    config = parseKubeconfig(text);
  } catch (err) {
    throw notAKubeconfig(options.location, errorMessage(err).replace(/^invalid kubeconfig: /, ''), err);
  }
  const result = fileCluster(config, options.location);
  const endpoint = new URL(result.cluster.server).host;
  const timeoutMs = options.timeoutMs ?? DEFAULT_DISCOVERY_TIMEOUT_MS;
  options.log.info(`[discovery] Using the cluster and CA from ${options.location}; refreshing them from cluster-info at ${result.cluster.server}`);
  let data: Record<string, string> | undefined;
  try {
    data = await pollUntilDeadline(`cluster-info at ${result.cluster.server} over TLS verified against the file's CA`, () => fetchClusterInfo(endpoint, { ca: result.cluster.caPem }), {
      log: options.log,
      deadline: Date.now() + timeoutMs,
      timeoutMs,
      retryIntervalMs: options.retryIntervalMs,
    });
  } catch (err) {
    if (!(err instanceof DiscoveryError && err.code === 'KF_DISCOVERY_FORBIDDEN')) throw err;
    options.log.warn('[discovery] Could not read the cluster-info ConfigMap to refresh the cluster information, but the TLS certificate is valid, so proceeding with the file');
    return result;
  }
  try {
    const refreshed = clusterInfoCluster(data.kubeconfig ?? '');
    options.log.info('[discovery] Synced cluster-info information from the API Server so we have got the latest information');
    return { ...result, cluster: { ...refreshed, name: result.cluster.name } };
  } catch (err) {
    options.log.info(`[discovery] The cluster-info ConfigMap isn't set up properly (${errorMessage(err)}), but the TLS cert is valid so proceeding with the file`);
    return result;
  }
}
