/**
 * The bundled kube-apiserver: `runKubeApiserver(argv)` parses upstream flags, connects to
 * etcd, creates the system namespaces and default RBAC, and serves the Kubernetes API over
 * HTTPS. Modules: flags, server (pipeline), authn, authz/rbac/policy, objects/storage/cache
 * (etcd), watch, discovery/routes, patch, selectors, validation, defaults, reviews, status.
 */
import { createPrivateKey } from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
// The file host alone: host/index.js also loads execa and systeminformation (~17 MB resident).
import { RealFiles, type FileHost } from '../../host/files.js';
import { resolveRoot } from '../../host/paths.js';
import { KubeforgeError } from '../../errors.js';
import { createLogger, type Logger } from '../../log.js';
import type { UserInfo } from './authn.js';
import { Authorizer } from './authz.js';
import { bootstrapCluster, ensureKubernetesService } from './bootstrap.js';
import { PrefixCache } from './cache.js';
import { parseApiServerFlags, type ApiServerFlags } from './flags.js';
import { NodeGraph } from './nodegraph.js';
import { ObjectStore } from './objects.js';
import { ApiServerMetrics } from './metrics.js';
import { openApiRoute } from './openapi.js';
import { nonResourceRoutes } from './routes.js';
import { createRequestHandler } from './server.js';
import { findResource, type ResourceType } from './resources.js';
import { publicKeysFromPem, serviceAccountUser, type ServiceAccountAuthOptions } from './satoken.js';
import { firstServiceIp, parsePortRange, parseServiceCidr, ServiceAllocator } from './serviceips.js';
import { ApiError } from './status.js';
import { connectEtcd, Storage } from './storage.js';
import type { TokenIssuer } from './subresources.js';
import { toTable, wantsTable, type IncludeObject } from './tables.js';

export { parseApiServerFlags, FLAG_TABLE, type ApiServerFlags } from './flags.js';

export interface ApiServerOptions {
  /** Reads the files named by flags; defaults to the host under KUBEFORGE_ROOT (or /). */
  files?: FileHost;
  logger?: Logger;
  /** How often watch streams send BOOKMARK events (upstream: about a minute). */
  bookmarkIntervalMs?: number;
}

export interface RunningApiServer {
  readonly port: number;
  readonly address: string;
  readonly flags: ApiServerFlags;
  /** Resolves once the system namespaces and default RBAC exist (what /readyz waits for). */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

async function readFlagFile(files: FileHost, flag: string, path: string | undefined, required: boolean): Promise<Buffer | undefined> {
  if (!path) {
    if (required) throw new KubeforgeError('KF_APISERVER_FLAG_MISSING', `--${flag} is required`, { hint: `Pass --${flag}=<path>` });
    return undefined;
  }
  try {
    return await files.readFile(path);
  } catch (err) {
    throw new KubeforgeError('KF_APISERVER_FILE', `cannot read --${flag} ${path}`, { cause: err, hint: 'Check the path and its permissions (run `kubeforge init phase certs`)' });
  }
}

const BOUND_KINDS: Record<string, string> = { ServiceAccount: 'serviceaccounts', Pod: 'pods', Secret: 'secrets', Node: 'nodes' };

/**
 * Service-account token verification and signing from the --service-account-* flags.
 * Verification keys default to --tls-private-key-file as upstream; audiences to the issuers.
 */
interface ServiceAccountSetup {
  verify?: (token: string) => Promise<UserInfo | undefined>;
  tokens?: TokenIssuer;
}

async function serviceAccounts(flags: ApiServerFlags, files: FileHost, objects: ObjectStore): Promise<ServiceAccountSetup> {
  const signingPem = await readFlagFile(files, 'service-account-signing-key-file', flags.serviceAccountSigningKeyFile, false);
  if (signingPem && flags.serviceAccountIssuers.length === 0) {
    throw new KubeforgeError('KF_APISERVER_FLAG_MISSING', '--service-account-issuer is required with --service-account-signing-key-file', { hint: 'Pass --service-account-issuer=https://kubernetes.default.svc.cluster.local' });
  }
  const keyFiles = flags.serviceAccountKeyFiles.length > 0 ? flags.serviceAccountKeyFiles : flags.tlsPrivateKeyFile ? [flags.tlsPrivateKeyFile] : [];
  const keys = (await Promise.all(keyFiles.map((file) => readFlagFile(files, 'service-account-key-file', file, true)))).flatMap((pem) => {
    try {
      return publicKeysFromPem(String(pem));
    } catch (err) {
      throw new KubeforgeError('KF_APISERVER_SA_KEY', 'cannot parse a --service-account-key-file', { cause: err, hint: 'Pass the PEM public key kubeadm writes as sa.pub' });
    }
  });
  const issuers = flags.serviceAccountIssuers;
  const audiences = flags.apiAudiences.length > 0 ? flags.apiAudiences : issuers;
  const lookup: ServiceAccountAuthOptions['lookup'] = async (kind, namespace, name) => {
    try {
      const object = await objects.get(findResource('', 'v1', BOUND_KINDS[kind] as string) as ResourceType, namespace, name);
      return { uid: String(object.metadata?.uid ?? ''), deletionTimestamp: object.metadata?.deletionTimestamp };
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return undefined;
      throw err;
    }
  };
  const result: ServiceAccountSetup = {};
  if (keys.length > 0 && issuers.length > 0) result.verify = (token) => serviceAccountUser(token, { keys, issuers, audiences, lookup });
  if (signingPem) {
    let signingKey;
    try {
      signingKey = createPrivateKey(signingPem);
    } catch (err) {
      throw new KubeforgeError('KF_APISERVER_SA_KEY', 'cannot parse --service-account-signing-key-file', { cause: err, hint: 'Pass the PEM private key kubeadm writes as sa.key' });
    }
    result.tokens = { signingKey, issuer: issuers[0] as string, audiences, maxExpirationSeconds: flags.serviceAccountMaxTokenSeconds };
  }
  return result;
}

export async function runKubeApiserver(argv: string[], options: ApiServerOptions = {}): Promise<RunningApiServer> {
  const flags = parseApiServerFlags(argv);
  const logger = options.logger ?? createLogger({ verbosity: flags.verbosity });
  const files = options.files ?? new RealFiles(resolveRoot(undefined));
  if (flags.ignored.length > 0) logger.debug(2, `kube-apiserver: accepted but not used: ${flags.ignored.map((f) => `--${f}`).join(' ')}`);
  const serviceIps = parseServiceCidr(flags.serviceClusterIpRange);
  const nodePorts = parsePortRange(flags.serviceNodePortRange);
  if (flags.etcdServers.length === 0) throw new KubeforgeError('KF_APISERVER_FLAG_MISSING', '--etcd-servers must be specified', { hint: 'Pass --etcd-servers=https://127.0.0.1:2379' });
  const [cert, key, clientCa, etcdCa, etcdCert, etcdKey] = await Promise.all([
    readFlagFile(files, 'tls-cert-file', flags.tlsCertFile, true),
    readFlagFile(files, 'tls-private-key-file', flags.tlsPrivateKeyFile, true),
    readFlagFile(files, 'client-ca-file', flags.clientCaFile, false),
    readFlagFile(files, 'etcd-cafile', flags.etcdCaFile, false),
    readFlagFile(files, 'etcd-certfile', flags.etcdCertFile, false),
    readFlagFile(files, 'etcd-keyfile', flags.etcdKeyFile, false),
  ]);
  const metrics = new ApiServerMetrics();
  const storage = new Storage(connectEtcd({ servers: flags.etcdServers, ca: etcdCa, cert: etcdCert, key: etcdKey }), (op, s) => metrics.observeEtcd(op, s));
  const allocator = new ServiceAllocator(storage, flags.etcdPrefix, serviceIps, nodePorts);
  const objects = new ObjectStore(storage, flags.etcdPrefix, {
    reserve: async (type, object) => (type.kind === 'Service' ? allocator.allocate(object) : undefined),
    release: async (type, object) => (type.kind === 'Service' ? allocator.release(object) : undefined),
  });
  const advertise = flags.advertiseAddress ?? (flags.bindAddress === '0.0.0.0' ? '127.0.0.1' : flags.bindAddress);
  const cachePrefix = (plural: string) => `${flags.etcdPrefix}/${plural}/`;
  const caches = {
    clusterRoles: new PrefixCache(storage, cachePrefix('clusterroles')),
    roles: new PrefixCache(storage, cachePrefix('roles')),
    clusterRoleBindings: new PrefixCache(storage, cachePrefix('clusterrolebindings')),
    roleBindings: new PrefixCache(storage, cachePrefix('rolebindings')),
    pods: new PrefixCache(storage, cachePrefix('pods')),
  };
  const sa = await serviceAccounts(flags, files, objects);
  let bootstrapped = false;
  let stopping = false;
  const ready = (async () => {
    for (;;) {
      try {
        await bootstrapCluster(objects);
        await ensureKubernetesService(objects, { address: advertise, port: flags.securePort, clusterIp: firstServiceIp(serviceIps) });
        await Promise.all(Object.values(caches).map((c) => c.start()));
        bootstrapped = true;
        logger.debug(1, 'kube-apiserver: bootstrap namespaces and RBAC in place');
        return;
      } catch (err) {
        if (stopping) return;
        logger.warn(`kube-apiserver: waiting for etcd: ${err instanceof Error ? err.message : String(err)}`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  })();
  const etcdCheck = { name: 'etcd', check: async () => void (await storage.currentRevision()) };
  const handler = createRequestHandler({
    authn: {
      anonymousAuth: flags.anonymousAuth,
      enableBootstrapTokenAuth: flags.enableBootstrapTokenAuth,
      getSecret: async (ns, name) => (await storage.get(`${flags.etcdPrefix}/secrets/${ns}/${name}`))?.object,
      ...(sa.verify ? { verifyServiceAccountToken: sa.verify } : {}),
    },
    ...(sa.tokens ? { tokens: sa.tokens } : {}),
    representation: (req) => {
      if (!wantsTable(req.headers.accept)) return undefined;
      const include = new URLSearchParams((req.url ?? '').split('?')[1] ?? '').get('includeObject');
      const mode: IncludeObject = include === 'None' || include === 'Object' ? include : 'Metadata';
      return (type, body) => (body.kind === 'Status' ? body : toTable(type, body, mode, Date.now()));
    },
    authorizer: new Authorizer(flags.authorizationModes, caches, new NodeGraph(caches.pods)),
    objects,
    maxRequestBytes: flags.maxRequestBytes,
    admissionPlugins: flags.admissionPlugins,
    alwaysAllowPaths: flags.alwaysAllowPaths,
    metrics,
    ...(options.bookmarkIntervalMs ? { bookmarkIntervalMs: options.bookmarkIntervalMs } : {}),
    nonResource: nonResourceRoutes({
      serverAddress: `${advertise}:${flags.securePort}`,
      livez: [{ name: 'ping', check: async () => undefined }],
      extra: [openApiRoute(), metrics.route()],
      readyz: [
        { name: 'ping', check: async () => undefined },
        etcdCheck,
        {
          name: 'poststarthook/rbac/bootstrap-roles',
          check: async () => {
            if (!bootstrapped) throw new Error('not finished');
          },
        },
      ],
    }),
  });
  const server = https.createServer(
    { cert, key, ...(clientCa ? { ca: clientCa } : {}), requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' },
    handler,
  );
  // As upstream (Go's TLS server), no renegotiation: a connection keeps the identity it started with.
  server.on('secureConnection', (socket) => socket.disableRenegotiation());
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new KubeforgeError('KF_APISERVER_LISTEN', `cannot listen on ${flags.bindAddress}:${flags.securePort}: ${err.message}`, { cause: err, hint: 'Is another API server using the port?' })));
    server.listen(flags.securePort, flags.bindAddress, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  logger.info(`kube-apiserver: serving securely on ${flags.bindAddress}:${port}`);
  return {
    port,
    address: flags.bindAddress,
    flags,
    ready,
    close: async () => {
      stopping = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all(Object.values(caches).map((c) => c.stop()));
      storage.close();
    },
  };
}
