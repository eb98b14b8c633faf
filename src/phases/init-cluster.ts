/**
 * The `init` phases after the static-pod manifests, kubeadm's names and order: start the agent,
 * wait for the control plane, then create what kubeadm creates through the API.
 */
import {
  bindingObjects, bootstrapTokenBindings, clusterAdminsBinding, clusterInfoBinding, clusterInfoConfigMap, coreDNSObjects,
  generateCertificateKey, joinCommands, kubeadmCertsBinding, kubeadmCertsSecret, kubeadmConfigMap, kubeletConfigMap, kubeProxyObjects,
  markControlPlanePatch, parseCertificateKey, SHARED_CONTROL_PLANE_FILES, uploadConfigBindings, CERTIFICATE_KEY_TTL,
} from '../bootstrap/index.js';
import { clusterDNSIP, marshal, marshalClusterConfiguration, parseGoDuration } from '../config/index.js';
import type { Taint } from '../config/types.js';
import { KubeforgeError } from '../errors.js';
import { applyObjects, createIfMissing, isNotFound, type KubeClient, type KubeObject } from '../kube/index.js';
import { clusterInfoKubeconfig, controlPlaneEndpointURL, loadKubeClient } from '../kubeconfig/index.js';
import { renderKubeletConfig } from '../manifests/index.js';
import { caPublicKeyPin } from '../pki/index.js';
import { bootstrapTokenSecret, generateBootstrapToken } from '../token/index.js';
import { startAgent } from './agent-start.js';
import type { InitContext } from './init.js';
import { enableClientCertRotation } from './kubelet-finalize.js';
import type { Phase } from './runner.js';
import { waitForControlPlane } from './wait-control-plane.js';

const NODE_WAIT_MS = 60_000;
/** How long the admin identity may take to gain its rights once its binding exists. */
const ADMIN_RIGHTS_WAIT_MS = 30_000;

/**
 * Waits until the API server authorizes `client` for what init does next. RBAC is eventually
 * consistent: the API server learns of a new binding through its watch of etcd, so a request
 * right after the binding was created can still be refused.
 */
async function waitForAdminRights(client: KubeClient): Promise<void> {
  const review = { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', metadata: {}, spec: { resourceAttributes: { namespace: 'kube-system', verb: 'create', resource: 'configmaps' } } };
  const deadline = Date.now() + ADMIN_RIGHTS_WAIT_MS;
  for (;;) {
    const answer = await client.create<KubeObject & { status?: { allowed?: boolean } }>({ group: 'authorization.k8s.io', version: 'v1', resource: 'selfsubjectaccessreviews' }, review);
    if (answer.status?.allowed) return;
    if (Date.now() > deadline) {
      throw new KubeforgeError('KF_INIT_ADMIN_RIGHTS', `admin.conf's user is still not authorized ${ADMIN_RIGHTS_WAIT_MS / 1000}s after ClusterRoleBinding ${clusterAdminsBinding.name} was created`, {
        hint: `check the binding with \`kubectl --kubeconfig super-admin.conf get clusterrolebinding ${clusterAdminsBinding.name} -o yaml\` and the API server's log`,
      });
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The admin client, created once the API answers (kubeadm: admin.conf, after super-admin grants it). */
async function adminClient(ctx: InitContext): Promise<KubeClient> {
  if (ctx.client) return ctx.client;
  // admin.conf's group kubeadm:cluster-admins has rights only once this binding exists;
  // super-admin.conf (system:masters) creates it, as kubeadm does.
  const superAdmin = await loadKubeClient(ctx.host, '/etc/kubernetes/super-admin.conf');
  try {
    await createIfMissing(superAdmin, bindingObjects(clusterAdminsBinding));
  } finally {
    superAdmin.close();
  }
  const admin = await loadKubeClient(ctx.host, '/etc/kubernetes/admin.conf');
  try {
    await waitForAdminRights(admin);
  } catch (err) {
    admin.close();
    throw err;
  }
  ctx.client = admin;
  return ctx.client;
}

async function caCertificate(ctx: InitContext): Promise<string> {
  return (await ctx.host.files.readFile(`${ctx.cfg.cluster.certificatesDir}/ca.crt`)).toString('utf8');
}

/** Waits for the agent to register this node, which happens once the API answers. */
async function registeredNode(client: KubeClient, name: string): Promise<KubeObject & { spec?: { taints?: Taint[] } }> {
  const deadline = Date.now() + NODE_WAIT_MS;
  for (;;) {
    try {
      return await client.get({ version: 'v1', resource: 'nodes', name });
    } catch (err) {
      if (!isNotFound(err) || Date.now() > deadline) {
        throw new KubeforgeError('KF_NODE_NOT_REGISTERED', `node "${name}" did not register within ${NODE_WAIT_MS / 1000}s`, {
          cause: err,
          hint: "check the agent's log under var/log/kubeforge/agent.log in the root",
        });
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

async function createBootstrapTokens(ctx: InitContext, client: KubeClient): Promise<void> {
  for (const token of ctx.cfg.init.bootstrapTokens) {
    await applyObjects(client, [bootstrapTokenSecret(token.token, token, ctx.host.clock.now()) as unknown as KubeObject]);
  }
}

async function uploadCerts(ctx: InitContext, client: KubeClient): Promise<void> {
  const key = ctx.cfg.init.certificateKey || generateCertificateKey();
  ctx.cfg.init.certificateKey = key;
  const files: Record<string, Buffer> = {};
  for (const file of SHARED_CONTROL_PLANE_FILES) {
    const content = await ctx.host.files.tryReadFile(`${ctx.cfg.cluster.certificatesDir}/${file}`);
    if (content) files[file] = content;
  }
  // A short-lived token owns the Secret, so the certificates disappear with it (kubeadm's 2h TTL).
  const owner = generateBootstrapToken();
  const ownerSecret = await client.createOrUpdate(
    { version: 'v1', resource: 'secrets', namespace: 'kube-system' },
    bootstrapTokenSecret(owner, { description: 'Proxy for managing TTL for the kubeadm-certs secret', ttl: CERTIFICATE_KEY_TTL, usages: [], groups: [] }, ctx.host.clock.now()) as unknown as KubeObject,
  );
  await applyObjects(client, [
    kubeadmCertsSecret(files, parseCertificateKey(key), { name: ownerSecret.metadata.name!, uid: ownerSecret.metadata.uid! }),
    ...bindingObjects(kubeadmCertsBinding),
  ]);
  ctx.log.info(`[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace`);
  // The key is the only way to open the Secret: the command prints it (kubeadm's "Using certificate key").
  ctx.uploadedCertificateKey = key;
}

/**
 * A phase that needs the running control plane. With --dry-run nothing was started, so it
 * reports what it would do instead (kubeadm's dry-run prints the API calls it would make).
 */
function needsCluster(phase: Phase<InitContext>): Phase<InitContext> {
  const wrap = (p: Phase<InitContext>): Phase<InitContext> => ({
    ...p,
    run: p.run && (async (ctx) => (ctx.host.dryRun ? ctx.log.info(`[dryrun] Would run phase "${p.name}": ${p.short}`) : p.run!(ctx))),
    children: p.children?.map(wrap),
  });
  return wrap(phase);
}

export function clusterPhases(): Phase<InitContext>[] {
  return [
    {
      name: 'kubelet-start',
      short: 'Write kubelet settings and (re)start the kubelet',
      run: async (ctx) =>
        startAgent(ctx.host, ctx.log, {
          nodeName: ctx.cfg.init.nodeRegistration.name,
          nodeIP: ctx.cfg.init.localAPIEndpoint.advertiseAddress,
          kubeletConfig: renderKubeletConfig(ctx.cfg),
          criSocket: ctx.cfg.init.nodeRegistration.criSocket,
        }),
    },
    needsCluster({
      name: 'wait-control-plane',
      short: 'Wait for the control plane to start',
      run: async (ctx) => waitForControlPlane(ctx, ctx.timeoutMs ?? parseGoDuration(ctx.cfg.init.timeouts.controlPlaneComponentHealthCheck)),
    }),
    needsCluster({
      name: 'upload-config',
      short: 'Upload the kubeadm and kubelet configuration to a ConfigMap',
      runAllSiblings: true,
      children: [
        {
          name: 'kubeadm',
          short: 'Upload the kubeadm ClusterConfiguration to a ConfigMap',
          run: async (ctx) => {
            ctx.log.info('[upload-config] Storing the configuration used in ConfigMap "kubeadm-config" in the "kube-system" Namespace');
            await applyObjects(await adminClient(ctx), [kubeadmConfigMap(marshalClusterConfiguration(ctx.cfg.cluster)), ...bindingObjects(uploadConfigBindings[0]!)]);
          },
        },
        {
          name: 'kubelet',
          short: 'Upload the kubelet component config to a ConfigMap',
          run: async (ctx) => {
            ctx.log.info('[kubelet] Creating a ConfigMap "kubelet-config" in namespace kube-system with the configuration for the kubelets in the cluster');
            await applyObjects(await adminClient(ctx), [kubeletConfigMap(marshal(ctx.cfg.kubelet)), ...bindingObjects(uploadConfigBindings[1]!)]);
          },
        },
      ],
    }),
    needsCluster({
      name: 'upload-certs',
      short: 'Upload certificates to kubeadm-certs',
      run: async (ctx) => {
        if (!ctx.uploadCerts) return ctx.log.info('[upload-certs] Skipping phase. Please see --upload-certs');
        await uploadCerts(ctx, await adminClient(ctx));
      },
    }),
    needsCluster({
      name: 'mark-control-plane',
      short: 'Mark a node as a control-plane',
      run: async (ctx) => {
        const name = ctx.cfg.init.nodeRegistration.name;
        ctx.log.info(`[mark-control-plane] Marking the node ${name} as control-plane by adding the labels: [node-role.kubernetes.io/control-plane node.kubernetes.io/exclude-from-external-load-balancers]`);
        const client = await adminClient(ctx);
        const node = await registeredNode(client, name);
        const patch = markControlPlanePatch(ctx.cfg.init.nodeRegistration.taints, node.spec?.taints ?? []);
        await client.patch({ version: 'v1', resource: 'nodes', name }, patch, 'merge');
        ctx.log.info(`[mark-control-plane] Marking the node ${name} as control-plane by adding the taints [${(patch.spec as { taints: Taint[] }).taints.map((t) => `${t.key}:${t.effect}`).join(' ')}]`);
      },
    }),
    needsCluster({
      name: 'bootstrap-token',
      short: 'Generates bootstrap tokens used to join a node to a cluster',
      run: async (ctx) => {
        const client = await adminClient(ctx);
        ctx.log.info('[bootstrap-token] Using token: ' + ctx.cfg.init.bootstrapTokens.map((t) => `${t.token.slice(0, 6)}.****************`).join(', '));
        await createBootstrapTokens(ctx, client);
        ctx.log.info('[bootstrap-token] Configured RBAC rules to allow Node Bootstrap tokens to get nodes, post CSRs, and have the csrapprover controller automatically approve them');
        await applyObjects(client, bootstrapTokenBindings.flatMap(bindingObjects));
        ctx.log.info('[bootstrap-token] Creating the "cluster-info" ConfigMap in the "kube-public" namespace');
        await applyObjects(client, [clusterInfoConfigMap(clusterInfoKubeconfig(await caCertificate(ctx), controlPlaneEndpointURL(ctx.cfg))), ...bindingObjects(clusterInfoBinding)]);
      },
    }),
    {
      name: 'kubelet-finalize',
      short: 'Updates settings relevant to the kubelet after TLS bootstrap',
      runAllSiblings: true,
      children: [
        {
          name: 'enable-client-cert-rotation',
          short: 'Enable kubelet client certificate rotation',
          run: async (ctx) => enableClientCertRotation(ctx.host, ctx.log),
        },
      ],
    },
    needsCluster({
      name: 'addon',
      short: 'Install required addons for passing conformance tests',
      runAllSiblings: true,
      children: [
        {
          name: 'coredns',
          short: 'Install the CoreDNS addon to a Kubernetes cluster',
          run: async (ctx) => {
            if (ctx.cfg.cluster.dns.disabled) return ctx.log.info('[addons] Skipping CoreDNS: dns.disabled is set');
            await applyObjects(await adminClient(ctx), coreDNSObjects(ctx.cfg, clusterDNSIP(ctx.cfg.cluster.networking.serviceSubnet)));
            ctx.log.info('[addons] Applied essential addon: CoreDNS');
          },
        },
        {
          name: 'kube-proxy',
          short: 'Install the kube-proxy addon to a Kubernetes cluster',
          run: async (ctx) => {
            if (ctx.cfg.cluster.proxy.disabled) return ctx.log.info('[addons] Skipping kube-proxy: proxy.disabled is set');
            await applyObjects(await adminClient(ctx), kubeProxyObjects(ctx.cfg, controlPlaneEndpointURL(ctx.cfg)));
            ctx.log.info('[addons] Applied essential addon: kube-proxy');
          },
        },
      ],
    }),
    {
      name: 'show-join-command',
      short: 'Show the join command for control-plane and worker node',
      run: async (ctx) => {
        const pin = caPublicKeyPin(await caCertificate(ctx));
        ctx.joinCommands = joinCommands(ctx.cfg, [pin], ctx.uploadCerts ? ctx.cfg.init.certificateKey : undefined);
      },
    },
  ];
}
