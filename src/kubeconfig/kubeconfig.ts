/**
 * Kubeconfig documents: building them as kubeadm's kubeconfigutil does (one cluster, one user,
 * one context `<user>@<cluster>`), the cluster-info kubeconfig, and a validating parser.
 */
import { loadYaml } from '../safe-yaml.js';
import { errorMessage, validationError } from '../errors.js';
import { toYaml, type YamlValue } from './yaml.js';

export interface KubeconfigCluster {
  name: string;
  server: string;
  /** PEM text of the CA bundle (decoded from certificate-authority-data), when embedded. */
  certificateAuthorityData?: string;
  certificateAuthority?: string;
  insecureSkipTLSVerify?: boolean;
  /** `tls-server-name`: the name the server certificate is checked against (the node-local API load balancer's). */
  tlsServerName?: string;
}

export interface KubeconfigUser {
  name: string;
  clientCertificateData?: string;
  clientKeyData?: string;
  /** Paths to PEM files (kubelet.conf after TLS bootstrap points at kubelet-client-current.pem). */
  clientCertificate?: string;
  clientKey?: string;
  token?: string;
  /** A file holding the bearer token (in-cluster kubeconfigs: the service-account token). */
  tokenFile?: string;
}

export interface KubeconfigContext {
  name: string;
  cluster: string;
  user: string;
  namespace?: string;
}

export interface Kubeconfig {
  clusters: KubeconfigCluster[];
  users: KubeconfigUser[];
  contexts: KubeconfigContext[];
  currentContext: string;
}

export interface KubeconfigInput {
  clusterName: string;
  server: string;
  caPem: string;
  userName: string;
  /** Client certificate auth (kubeadm's CreateWithCerts)… */
  clientCertPem?: string;
  clientKeyPem?: string;
  /** …or a bearer token (CreateWithToken). */
  token?: string;
  /** `tls-server-name` of the cluster, when the server is reached through a proxy whose address the certificate does not name. */
  tlsServerName?: string;
}

const b64 = (text: string): string => Buffer.from(text).toString('base64');

/** A kubeconfig file's text, as clientcmd.Write writes what kubeadm builds. */
export function buildKubeconfig(input: KubeconfigInput): string {
  const contextName = `${input.userName}@${input.clusterName}`;
  const user: { [key: string]: YamlValue } = {};
  if (input.clientCertPem) user['client-certificate-data'] = b64(input.clientCertPem);
  if (input.clientKeyPem) user['client-key-data'] = b64(input.clientKeyPem);
  if (input.token) user.token = input.token;
  return toYaml({
    apiVersion: 'v1',
    clusters: [{ cluster: { 'certificate-authority-data': b64(input.caPem), server: input.server, ...(input.tlsServerName ? { 'tls-server-name': input.tlsServerName } : {}) }, name: input.clusterName }],
    contexts: [{ context: { cluster: input.clusterName, user: input.userName }, name: contextName }],
    'current-context': contextName,
    kind: 'Config',
    preferences: {},
    users: [{ name: input.userName, user }],
  });
}

/** The `kube-public/cluster-info` kubeconfig: one unnamed cluster, no users (signed by the bootstrap signer). */
export function clusterInfoKubeconfig(caPem: string, serverURL: string): string {
  return toYaml({
    apiVersion: 'v1',
    clusters: [{ cluster: { 'certificate-authority-data': b64(caPem), server: serverURL }, name: '' }],
    contexts: null,
    'current-context': '',
    kind: 'Config',
    preferences: {},
    users: null,
  });
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function invalid(reason: string, cause?: unknown) {
  return validationError('KF_KUBECONFIG_INVALID', `invalid kubeconfig: ${reason}`, {
    ...(cause === undefined ? {} : { cause }),
    hint: 'check the file with `kubectl config view --kubeconfig <file>`, or delete it so kubeforge writes a new one',
  });
}

function namedList<T>(doc: Obj, key: string, inner: string, read: (name: string, body: Obj) => T): T[] {
  const list = doc[key];
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw invalid(`${key} must be a list`);
  return list.map((entry, i) => {
    const name = isObj(entry) ? str(entry.name) : undefined;
    if (name === undefined || !isObj(entry) || !isObj(entry[inner])) throw invalid(`${key}[${i}] needs a name and a ${inner}`);
    return read(name, entry[inner] as Obj);
  });
}

function decodeData(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/=\s]*$/.test(value)) throw invalid(`${field} is not base64`);
  return Buffer.from(value, 'base64').toString();
}

/** Parses and validates a kubeconfig (kind Config, v1, well-formed lists, current context resolvable). */
export function parseKubeconfig(text: string): Kubeconfig {
  let doc: unknown;
  try {
    doc = loadYaml(text);
  } catch (err) {
    throw invalid(`not YAML: ${errorMessage(err)}`, err);
  }
  if (!isObj(doc)) throw invalid('not a YAML mapping');
  if (doc.kind !== undefined && doc.kind !== 'Config') throw invalid(`kind is ${JSON.stringify(doc.kind)}, not Config`);
  if (doc.apiVersion !== undefined && doc.apiVersion !== 'v1') throw invalid(`apiVersion is ${JSON.stringify(doc.apiVersion)}, not v1`);
  const clusters = namedList(doc, 'clusters', 'cluster', (name, c) => {
    const cluster: KubeconfigCluster = { name, server: str(c.server) ?? '' };
    const ca = decodeData(c['certificate-authority-data'], `cluster ${name} certificate-authority-data`);
    if (ca !== undefined) cluster.certificateAuthorityData = ca;
    if (str(c['certificate-authority'])) cluster.certificateAuthority = str(c['certificate-authority']);
    if (c['insecure-skip-tls-verify'] === true) cluster.insecureSkipTLSVerify = true;
    if (str(c['tls-server-name'])) cluster.tlsServerName = str(c['tls-server-name']);
    return cluster;
  });
  const users = namedList(doc, 'users', 'user', (name, u) => {
    const user: KubeconfigUser = { name };
    const cert = decodeData(u['client-certificate-data'], `user ${name} client-certificate-data`);
    const key = decodeData(u['client-key-data'], `user ${name} client-key-data`);
    if (cert !== undefined) user.clientCertificateData = cert;
    if (key !== undefined) user.clientKeyData = key;
    if (str(u['client-certificate'])) user.clientCertificate = str(u['client-certificate']);
    if (str(u['client-key'])) user.clientKey = str(u['client-key']);
    if (str(u.token)) user.token = str(u.token);
    if (str(u.tokenFile)) user.tokenFile = str(u.tokenFile);
    return user;
  });
  const contexts = namedList(doc, 'contexts', 'context', (name, c) => {
    const context: KubeconfigContext = { name, cluster: str(c.cluster) ?? '', user: str(c.user) ?? '' };
    if (str(c.namespace)) context.namespace = str(c.namespace);
    return context;
  });
  const currentContext = str(doc['current-context']) ?? '';
  if (currentContext && !contexts.some((c) => c.name === currentContext)) throw invalid(`current-context ${JSON.stringify(currentContext)} is not among the contexts`);
  return { clusters, users, contexts, currentContext };
}

/** The cluster and user of the current context (kubeadm's validateKubeConfig looks only there). */
export function currentClusterAndUser(config: Kubeconfig): { cluster: KubeconfigCluster; user: KubeconfigUser | undefined } {
  const context = config.contexts.find((c) => c.name === config.currentContext);
  const cluster = context && config.clusters.find((c) => c.name === context.cluster);
  if (!context || !cluster) throw invalid('the current context does not name a cluster in the file');
  return { cluster, user: config.users.find((u) => u.name === context.user) };
}
