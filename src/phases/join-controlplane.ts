/**
 * `join --control-plane` (kubeadm's phases/join/controlplaneprepare.go, etcdjoin.go,
 * controlplanejoin.go and waitcontrolplane.go): control-plane-prepare downloads the shared CAs
 * and keys from kubeadm-certs (or finds them copied by hand), makes this node's own leaf
 * certificates, kubeconfigs and static-pod manifests from the cluster's ClusterConfiguration;
 * etcd-join adds this node's etcd as a learner, starts it with `--initial-cluster-state=existing`
 * and promotes it once it has caught up (EtcdLearnerMode), while the agent bootstraps;
 * control-plane-join marks the node; wait-control-plane waits for its own API server. Without a
 * controlPlaneEndpoint every kubeconfig of the node names its own API server.
 */
import {
  decryptKubeadmCerts, KUBEADM_CERTS_SECRET, markControlPlanePatch, parseCertificateKey, SHARED_CONTROL_PLANE_FILES, UPLOAD_CERTS_HINT,
} from '../bootstrap/index.js';
import { loadInitConfig } from '../config/index.js';
import type { InitConfig, Taint } from '../config/types.js';
import { KubeforgeError } from '../errors.js';
import { ETCD_CLIENT_URLS_ANNOTATION, EtcdCluster, etcdCredentials, initialClusterFor, type EtcdMemberInfo } from '../etcd/index.js';
import { isNotFound, KubeApiError, KubeClient, type KubeObject } from '../kube/index.js';
import { ensureKubeconfig, kubeClientConfig, kubeconfigPath, kubeconfigSpec, localAPIEndpointURL } from '../kubeconfig/index.js';
import { etcdClientURL, etcdPeerURL, type StaticPodComponent } from '../manifests/index.js';
import { writeStaticPod } from './static-pods.js';
import { certificatePaths, certificatesFor, ensureCertificates, ensureServiceAccountKeys, prefetchMissingKeys } from '../pki/index.js';
import { bootstrapClient, tlsBootstrapConfig, type JoinContext } from './join.js';
import type { Phase } from './runner.js';

/** What a control-plane join carries from phase to phase. */
export interface ControlPlaneJoin {
  /** The cluster's ClusterConfiguration with this node's registration and API endpoint. */
  cfg: InitConfig;
  /** Paths this join created, removed again when it fails before the node runs anything. */
  created: string[];
}

/** kubeadm's control-plane join kubeconfigs (kubelet.conf comes from the TLS bootstrap). */
const JOIN_KUBECONFIGS = ['admin', 'controller-manager', 'scheduler'] as const;
const CONTROL_PLANE_COMPONENTS: StaticPodComponent[] = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];
const PROMOTE_TIMEOUT_MS = 120_000;
const LOCAL_API_TIMEOUT_MS = 120_000;
/** How often the learner's promotion and the local API server's /readyz are tried: both are one cheap call. */
const POLL_MS = 200;

const isControlPlane = (ctx: JoinContext) => ctx.cfg.join.controlPlane !== undefined;

/** The control-plane join state, fetched from the cluster once (any phase may run alone with `join phase`). */
export async function prepared(ctx: JoinContext): Promise<ControlPlaneJoin> {
  if (ctx.controlPlane) return ctx.controlPlane;
  const client = bootstrapClient(await tlsBootstrapConfig(ctx));
  try {
    ctx.controlPlane = { cfg: await fetchInitConfig(ctx, client), created: [] };
  } finally {
    client.close();
  }
  // RSA keys dominate control-plane-prepare: start every one it will make now, on the thread pool,
  // while the certificates download, so certs and kubeconfig draw on keys made in parallel.
  const { cfg } = ctx.controlPlane;
  if (!ctx.host.dryRun) {
    await prefetchMissingKeys(ctx.host, cfg, [
      ...certificatesFor(cfg).filter((spec) => !spec.isCA).map((spec) => certificatePaths(cfg, spec).key),
      ...JOIN_KUBECONFIGS.map((name) => kubeconfigPath(kubeconfigSpec(name))),
    ]);
  }
  return ctx.controlPlane;
}

/** kubeadm's FetchInitConfigurationFromCluster: kubeadm-config's ClusterConfiguration, this node's registration and endpoint. */
async function fetchInitConfig(ctx: JoinContext, client: KubeClient): Promise<InitConfig> {
  let configMap: KubeObject & { data?: Record<string, string> };
  try {
    configMap = await client.get({ version: 'v1', resource: 'configmaps', namespace: 'kube-system', name: 'kubeadm-config' });
  } catch (err) {
    throw new KubeforgeError('KF_JOIN_NO_CLUSTER_CONFIG', 'cannot read the kube-system/kubeadm-config ConfigMap with the bootstrap token', {
      cause: err,
      hint: 'run `kubeforge init phase upload-config kubeadm` on a control-plane node',
    });
  }
  const { join } = ctx.cfg;
  const cfg = loadInitConfig({ configText: configMap.data?.ClusterConfiguration ?? '', flags: {}, hostname: join.nodeRegistration.name, defaultAdvertiseAddress: ctx.nodeIP });
  cfg.init.nodeRegistration = structuredClone(join.nodeRegistration);
  cfg.init.localAPIEndpoint = structuredClone(join.controlPlane!.localAPIEndpoint);
  return cfg;
}

async function readKubeadmCertsSecret(client: KubeClient): Promise<KubeObject> {
  try {
    return await client.get({ version: 'v1', resource: 'secrets', namespace: 'kube-system', name: KUBEADM_CERTS_SECRET });
  } catch (err) {
    // Without --upload-certs the Secret and the Role that lets bootstrap tokens read it do not exist: 403 or 404.
    if (isNotFound(err) || (err instanceof KubeApiError && err.status === 403)) {
      throw new KubeforgeError('KF_KUBEADM_CERTS_MISSING', `the kube-system/${KUBEADM_CERTS_SECRET} Secret is missing: the uploaded certificates expired (they live 2 hours) or were never uploaded`, {
        cause: err,
        exitCode: 3,
        hint: UPLOAD_CERTS_HINT,
      });
    }
    throw err;
  }
}

/** Records what a write creates, so a failed join can take it back. */
async function track(ctx: JoinContext, path: string): Promise<void> {
  if (!(await ctx.host.files.exists(path))) (await prepared(ctx)).created.push(path);
}

async function downloadCerts(ctx: JoinContext): Promise<void> {
  const { host, log } = ctx;
  const dir = (await prepared(ctx)).cfg.cluster.certificatesDir;
  const client = bootstrapClient(await tlsBootstrapConfig(ctx));
  try {
    const keyHex = ctx.cfg.join.controlPlane!.certificateKey;
    if (!keyHex) {
      const missing = [];
      for (const file of SHARED_CONTROL_PLANE_FILES) if (!(await host.files.exists(`${dir}/${file}`))) missing.push(`${dir}/${file}`);
      if (missing.length > 0) {
        throw new KubeforgeError('KF_JOIN_CONTROL_PLANE_NO_CERTS', `joining a control plane needs the cluster's shared certificates; missing: ${missing.join(', ')}`, { exitCode: 3, hint: UPLOAD_CERTS_HINT });
      }
      return log.info('[download-certs] Skipping: no --certificate-key; using the certificates copied into this node by hand');
    }
    log.info(`[download-certs] Downloading the certificates in Secret "${KUBEADM_CERTS_SECRET}" in the "kube-system" Namespace`);
    const files = decryptKubeadmCerts(await readKubeadmCertsSecret(client), parseCertificateKey(keyHex));
    await track(ctx, dir);
    for (const [file, content] of Object.entries(files)) {
      await host.files.writeFile(`${dir}/${file}`, content, { mode: file.endsWith('.key') ? 0o600 : 0o644 });
    }
  } finally {
    client.close();
  }
}

/** An admin client to the API server discovery found (this node's own API server does not run yet). */
async function clusterAdmin(ctx: JoinContext): Promise<KubeClient> {
  const tls = await tlsBootstrapConfig(ctx);
  return new KubeClient({ ...(await kubeClientConfig(ctx.host.files, '/etc/kubernetes/admin.conf')), server: tls.cluster.server, timeoutMs: 10_000 });
}

/** kubeadm's etcdutil.NewFromCluster: the client URLs the etcd static pods announce, else the discovered API server's host. */
async function etcdEndpoints(ctx: JoinContext, admin: KubeClient): Promise<string[]> {
  const pods = await admin.list({ version: 'v1', resource: 'pods', namespace: 'kube-system' }, { labelSelector: 'component=etcd,tier=control-plane' });
  const urls = pods.items.map((p) => p.metadata.annotations?.[ETCD_CLIENT_URLS_ANNOTATION]).filter((u): u is string => Boolean(u));
  return urls.length > 0 ? urls : [etcdClientURL(new URL((await tlsBootstrapConfig(ctx)).cluster.server).hostname)];
}

async function withEtcd<T>(ctx: JoinContext, work: (etcd: EtcdCluster, admin: KubeClient) => Promise<T>): Promise<T> {
  const admin = await clusterAdmin(ctx);
  let etcd: EtcdCluster | undefined;
  try {
    etcd = new EtcdCluster(await etcdEndpoints(ctx, admin), await etcdCredentials(ctx.host.files, (await prepared(ctx)).cfg.cluster.certificatesDir));
    return await work(etcd, admin);
  } finally {
    etcd?.close();
    admin.close();
  }
}

/** Refuses a node name etcd already has, before anything runs; takes back what this join wrote. */
async function checkEtcdName(ctx: JoinContext): Promise<void> {
  const { cfg } = await prepared(ctx);
  if (cfg.cluster.etcd.external) return;
  const name = cfg.init.nodeRegistration.name;
  try {
    await withEtcd(ctx, async (etcd) => void initialClusterFor(await etcd.members(), name, etcdPeerURL(cfg.init.localAPIEndpoint.advertiseAddress)));
  } catch (err) {
    await rollback(ctx);
    throw err;
  }
}

async function rollback(ctx: JoinContext): Promise<void> {
  for (const path of (await prepared(ctx)).created.reverse()) await ctx.host.files.remove(path);
}

/** Polls `attempt` until it returns true; the last error explains a timeout. */
async function retryUntil(what: string, timeoutMs: number, attempt: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await attempt()) return;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new KubeforgeError('KF_JOIN_TIMEOUT', `timed out after ${timeoutMs / 1000}s waiting for ${what}`, { cause: last, hint: "check the agent's log under var/log/kubeforge/agent.log and the pod logs under var/log/pods in the root" });
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** kubeadm's etcd phase with EtcdLearnerMode: add as learner, start, promote once in sync. */
async function joinEtcd(ctx: JoinContext): Promise<void> {
  const { cfg } = await prepared(ctx);
  if (cfg.cluster.etcd.external) return ctx.log.info('[control-plane-join] External etcd: no local member to add');
  const name = cfg.init.nodeRegistration.name;
  const peerURL = etcdPeerURL(cfg.init.localAPIEndpoint.advertiseAddress);
  await withEtcd(ctx, async (etcd) => {
    const members = await etcd.members();
    const initialCluster = initialClusterFor(members, name, peerURL);
    let member: EtcdMemberInfo | undefined = members.find((m) => m.peerURLs.includes(peerURL));
    if (member) ctx.log.info(`[etcd] This node is already etcd member ${member.id}; reusing it`);
    else {
      ctx.log.info(`[etcd] Adding etcd member ${name} (${peerURL}) as a learner`);
      member = await etcd.addMember(peerURL, true);
    }
    ctx.log.info(`[etcd] Creating static Pod manifest for "etcd" with --initial-cluster=${initialCluster.map((m) => `${m.name}=${m.peerURL}`).join(',')}`);
    await writeStaticPod(ctx.host, ctx.log, cfg, 'etcd', { etcdInitialCluster: initialCluster });
    if (!member.isLearner) return;
    const id = member.id;
    ctx.log.info(`[etcd] Waiting for the learner ${id} to catch up with the leader, then promoting it to a voting member`);
    await retryUntil(`etcd learner ${id} to be promoted`, PROMOTE_TIMEOUT_MS, async () => {
      const now = (await etcd.members()).find((m) => m.id === id);
      if (now && !now.isLearner) return true;
      await etcd.promoteMember(id);
      return true;
    });
    ctx.log.info(`[etcd] Promoted etcd member ${id}: the cluster has ${(await etcd.members()).length} members`);
  });
}

/** The node's own API server answers through its admin.conf (kubeadm's wait-control-plane on join). */
async function waitLocalAPIServer(ctx: JoinContext): Promise<void> {
  const { cfg } = await prepared(ctx);
  const client = new KubeClient({ ...(await kubeClientConfig(ctx.host.files, '/etc/kubernetes/admin.conf')), timeoutMs: 5_000 });
  ctx.log.info(`[wait-control-plane] Waiting for the API server at ${localAPIEndpointURL(cfg)} to be ready`);
  try {
    // /readyz answers `ok` as text: a 200 that is not JSON is the success here.
    const ready = () => client.request('GET', '/readyz').then(() => true, (err: unknown) => (err instanceof KubeApiError && err.status === 200 ? true : Promise.reject(err)));
    await retryUntil(`the API server at ${client.config.server}`, LOCAL_API_TIMEOUT_MS, ready);
  } finally {
    client.close();
  }
}

async function markControlPlane(ctx: JoinContext): Promise<void> {
  const { cfg } = await prepared(ctx);
  const name = cfg.init.nodeRegistration.name;
  const admin = await clusterAdmin(ctx);
  try {
    const node = await admin.get<KubeObject & { spec?: { taints?: Taint[] } }>({ version: 'v1', resource: 'nodes', name });
    const patch = markControlPlanePatch(cfg.init.nodeRegistration.taints, node.spec?.taints ?? []);
    ctx.log.info(`[mark-control-plane] Marking the node ${name} as control-plane by adding the labels and taints`);
    await admin.patch({ version: 'v1', resource: 'nodes', name }, patch, 'merge');
  } finally {
    admin.close();
  }
}

/** A control-plane-only phase: a worker join skips it silently, as kubeadm's do. */
export function controlPlaneOnly(phase: Phase<JoinContext>): Phase<JoinContext> {
  const wrap = (p: Phase<JoinContext>): Phase<JoinContext> => ({
    ...p,
    run: p.run && (async (ctx) => (isControlPlane(ctx) && !ctx.host.dryRun ? p.run!(ctx) : undefined)),
    children: p.children?.map(wrap),
  });
  return wrap(phase);
}

export function controlPlanePreparePhase(): Phase<JoinContext> {
  return controlPlaneOnly({
    name: 'control-plane-prepare',
    short: 'Prepare the machine for serving a control plane',
    runAllSiblings: true,
    children: [
      { name: 'download-certs', short: `Download certificates shared among control-plane nodes from the ${KUBEADM_CERTS_SECRET} Secret`, run: downloadCerts },
      {
        name: 'certs',
        short: 'Generate the certificates for the new control plane components',
        run: async (ctx) => {
          const { cfg } = await prepared(ctx);
          await track(ctx, cfg.cluster.certificatesDir);
          await ensureCertificates(ctx.host, cfg, ctx.log);
          await ensureServiceAccountKeys(ctx.host, cfg, ctx.log);
        },
      },
      {
        name: 'kubeconfig',
        short: 'Generate the kubeconfig for the new control plane components',
        run: async (ctx) => {
          for (const name of JOIN_KUBECONFIGS) {
            await track(ctx, `/etc/kubernetes/${name}.conf`);
            await ensureKubeconfig(ctx.host, (await prepared(ctx)).cfg, name, ctx.log);
          }
          await checkEtcdName(ctx);
        },
      },
      {
        name: 'control-plane',
        short: 'Generate the manifests for the new control plane components',
        run: async (ctx) => {
          for (const component of CONTROL_PLANE_COMPONENTS) {
            ctx.log.info(`[control-plane] Creating static Pod manifest for "${component}"`);
            await writeStaticPod(ctx.host, ctx.log, (await prepared(ctx)).cfg, component);
          }
        },
      },
    ],
  });
}

/** kubeadm's etcd-join (ControlPlaneKubeletLocalMode): the member joins while the agent bootstraps. */
export function etcdJoinPhase(): Phase<JoinContext> {
  return controlPlaneOnly({ name: 'etcd-join', short: 'Join etcd for control plane nodes', run: joinEtcd });
}

export function controlPlaneJoinPhase(): Phase<JoinContext> {
  return controlPlaneOnly({
    name: 'control-plane-join',
    short: 'Join a machine as a control plane instance',
    runAllSiblings: true,
    children: [{ name: 'mark-control-plane', short: 'Mark a node as a control-plane', run: markControlPlane }],
  });
}

export function waitControlPlanePhase(): Phase<JoinContext> {
  return controlPlaneOnly({ name: 'wait-control-plane', short: "Wait for this node's API server to be ready", run: waitLocalAPIServer });
}
