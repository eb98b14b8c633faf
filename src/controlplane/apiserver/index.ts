/**
 * The bundled kube-apiserver: `runKubeApiserver(argv)` parses upstream flags, connects to
 * etcd, creates the system namespaces and default RBAC, and serves the Kubernetes API over
 * HTTPS. Modules: flags, server (pipeline), authn, authz/rbac/policy, objects/storage/cache
 * (etcd), watch, discovery/routes, patch, selectors, validation, defaults, reviews, status.
 */
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createHost, resolveRoot, type FileHost } from '../../host/index.js';
import { KubeforgeError } from '../../errors.js';
import { createLogger, type Logger } from '../../log.js';
import { Authorizer } from './authz.js';
import { bootstrapCluster } from './bootstrap.js';
import { PrefixCache } from './cache.js';
import { parseApiServerFlags, type ApiServerFlags } from './flags.js';
import { ObjectStore } from './objects.js';
import { ApiServerMetrics } from './metrics.js';
import { openApiRoute } from './openapi.js';
import { podLogProxy } from './podlogs.js';
import { nonResourceRoutes } from './routes.js';
import { createRequestHandler } from './server.js';
import { connectEtcd, Storage } from './storage.js';

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

export async function runKubeApiserver(argv: string[], options: ApiServerOptions = {}): Promise<RunningApiServer> {
  const flags = parseApiServerFlags(argv);
  const logger = options.logger ?? createLogger({ verbosity: flags.verbosity });
  const files = options.files ?? createHost(resolveRoot(undefined)).files;
  if (flags.ignored.length > 0) logger.debug(2, `kube-apiserver: accepted but not used: ${flags.ignored.map((f) => `--${f}`).join(' ')}`);
  if (flags.etcdServers.length === 0) throw new KubeforgeError('KF_APISERVER_FLAG_MISSING', '--etcd-servers must be specified', { hint: 'Pass --etcd-servers=https://127.0.0.1:2379' });
  const [cert, key, clientCa, etcdCa, etcdCert, etcdKey] = await Promise.all([
    readFlagFile(files, 'tls-cert-file', flags.tlsCertFile, true),
    readFlagFile(files, 'tls-private-key-file', flags.tlsPrivateKeyFile, true),
    readFlagFile(files, 'client-ca-file', flags.clientCaFile, false),
    readFlagFile(files, 'etcd-cafile', flags.etcdCaFile, false),
    readFlagFile(files, 'etcd-certfile', flags.etcdCertFile, false),
    readFlagFile(files, 'etcd-keyfile', flags.etcdKeyFile, false),
  ]);
  const [kubeletCert, kubeletKey, kubeletCa] = await Promise.all([
    readFlagFile(files, 'kubelet-client-certificate', flags.kubeletClientCertificate, false),
    readFlagFile(files, 'kubelet-client-key', flags.kubeletClientKey, false),
    readFlagFile(files, 'kubelet-certificate-authority', flags.kubeletCertificateAuthority, false),
  ]);
  const metrics = new ApiServerMetrics();
  const storage = new Storage(connectEtcd({ servers: flags.etcdServers, ca: etcdCa, cert: etcdCert, key: etcdKey }), (op, s) => metrics.observeEtcd(op, s));
  const objects = new ObjectStore(storage, flags.etcdPrefix);
  const rbacPrefix = (plural: string) => `${flags.etcdPrefix}/${plural}/`;
  const caches = {
    clusterRoles: new PrefixCache(storage, rbacPrefix('clusterroles')),
    roles: new PrefixCache(storage, rbacPrefix('roles')),
    clusterRoleBindings: new PrefixCache(storage, rbacPrefix('clusterrolebindings')),
    roleBindings: new PrefixCache(storage, rbacPrefix('rolebindings')),
  };
  let bootstrapped = false;
  let stopping = false;
  const ready = (async () => {
    for (;;) {
      try {
        await bootstrapCluster(objects);
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
  const advertise = flags.advertiseAddress ?? (flags.bindAddress === '0.0.0.0' ? '127.0.0.1' : flags.bindAddress);
  const etcdCheck = { name: 'etcd', check: async () => void (await storage.currentRevision()) };
  const handler = createRequestHandler({
    authn: {
      anonymousAuth: flags.anonymousAuth,
      enableBootstrapTokenAuth: flags.enableBootstrapTokenAuth,
      getSecret: async (ns, name) => (await storage.get(`${flags.etcdPrefix}/secrets/${ns}/${name}`))?.object,
    },
    authorizer: new Authorizer(flags.authorizationModes, caches),
    objects,
    maxRequestBytes: flags.maxRequestBytes,
    admissionPlugins: flags.admissionPlugins,
    alwaysAllowPaths: flags.alwaysAllowPaths,
    metrics,
    podLogs: podLogProxy(objects, { cert: kubeletCert, key: kubeletKey, ca: kubeletCa, preferredAddressTypes: flags.kubeletPreferredAddressTypes }),
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
