/**
 * The `init` workflow as data: kubeadm's phase names, order and help text. Certificate,
 * kubeconfig and control-plane sub-phases are built from their tables, so adding a row there
 * adds a phase here.
 */
import type { InitConfig } from '../config/types.js';
import type { Host } from '../host/index.js';
import { MANIFESTS_DIR } from '../host/index.js';
import type { JoinCommands } from '../bootstrap/index.js';
import type { KubeClient } from '../kube/index.js';
import type { Logger } from '../log.js';
import {
  certificatePaths, certificatesFor, certificateTable, ensureCertificate, ensureCertificates, ensureEncryptionConfig, ensureServiceAccountKeys, isCertName, prefetchMissingKeys,
} from '../pki/index.js';
import { ensureKubeconfig, kubeconfigPath, kubeconfigTable } from '../kubeconfig/index.js';
import type { StaticPodComponent } from '../manifests/index.js';
import { initChecks, runPreflight } from '../preflight/index.js';
import { clusterPhases } from './init-cluster.js';
import { writeStaticPod } from './static-pods.js';
import type { Phase } from './runner.js';

export interface InitContext {
  host: Host;
  cfg: InitConfig;
  log: Logger;
  /** `--ignore-preflight-errors`, already validated. */
  ignorePreflightErrors: Set<string> | 'all';
  /** `--upload-certs`: store the shared control-plane keys in kubeadm-certs. */
  uploadCerts: boolean;
  /** `--timeout` for wait-control-plane; the config's controlPlaneComponentHealthCheck otherwise. */
  timeoutMs?: number;
  /** The admin API client, once the control plane answers. */
  client?: KubeClient;
  /** Filled by upload-certs: the key that opens the kubeadm-certs Secret just stored. */
  uploadedCertificateKey?: string;
  /** Filled by show-join-command. */
  joinCommands?: JoinCommands;
  /** A full init: the certs phase starts every key certs and kubeconfigs will need at once. */
  prefetchKeys?: boolean;
}

function controlPlanePhase(component: Exclude<StaticPodComponent, 'etcd'>, short: string): Phase<InitContext> {
  return {
    name: component.replace(/^kube-/, ''),
    short,
    run: async (ctx) => {
      ctx.log.info(`[control-plane] Creating static Pod manifest for "${component}"`);
      await writeStaticPod(ctx.host, ctx.log, ctx.cfg, component);
    },
  };
}

const usesLocalEtcd = (ctx: InitContext) => ctx.cfg.cluster.etcd.external === undefined;

/**
 * Starts every key the certs and kubeconfig phases will create (one per missing certificate key,
 * sa.key and kubeconfig), so they are made in parallel rather than phase after phase. Started
 * after pre-flight: key generation fills libuv's thread pool, which pre-flight's I/O also uses.
 */
function prefetchKeys(ctx: InitContext, certNames: string[]): Promise<void> {
  return prefetchMissingKeys(ctx.host, ctx.cfg, [
    ...certificatesFor(ctx.cfg).filter((spec) => certNames.includes(spec.name)).map((spec) => certificatePaths(ctx.cfg, spec).key),
    ...(certNames.includes('sa') ? [`${ctx.cfg.cluster.certificatesDir}/sa.key`] : []),
    ...kubeconfigTable.map((spec) => kubeconfigPath(spec)),
  ]);
}

export function initPhases(): Phase<InitContext>[] {
  return [
    {
      name: 'preflight',
      short: 'Run pre-flight checks',
      run: async (ctx) => {
        // kubeadm skips IsPrivilegedUser in dry-run; a relocated root runs unprivileged
        const root = ctx.host.files.root;
        const rootIsSlash = root === '/' && !ctx.host.dryRun;
        // an earlier init of this relocated root got as far as its CA: this run resumes it
        const resumeRoot = root !== '/' && (await ctx.host.files.exists(`${ctx.cfg.cluster.certificatesDir}/ca.crt`)) ? root : undefined;
        await runPreflight(ctx.host, initChecks(ctx.cfg, { rootIsSlash, resumeRoot }), ctx.ignorePreflightErrors, ctx.log);
      },
    },
    {
      name: 'certs',
      short: 'Certificate generation',
      runAllSiblings: true,
      run: async (ctx) => ctx.log.info(`[certs] Using certificateDir folder "${ctx.cfg.cluster.certificatesDir}"`),
      // All keys are generated in parallel and each leaf signed once its CA exists.
      runChildren: async (ctx, names) => {
        if (ctx.prefetchKeys) await prefetchKeys(ctx, names);
        await ensureCertificates(ctx.host, ctx.cfg, ctx.log, names.filter(isCertName));
        if (names.includes('sa')) await ensureServiceAccountKeys(ctx.host, ctx.cfg, ctx.log);
        if (names.includes('encryption-config')) await ensureEncryptionConfig(ctx.host, ctx.cfg, ctx.log);
      },
      children: [
        ...certificateTable.map(
          (spec): Phase<InitContext> => ({
            name: spec.name,
            short: `Generate the ${spec.description}`,
            run: async (ctx) => void (await ensureCertificate(ctx.host, ctx.cfg, spec.name, ctx.log)),
          }),
        ),
        {
          name: 'sa',
          short: 'Generate a private key for signing service account tokens along with its public key',
          run: async (ctx) => void (await ensureServiceAccountKeys(ctx.host, ctx.cfg, ctx.log)),
        },
        {
          name: 'encryption-config',
          short: 'Generate the key that encrypts Secrets in etcd and the API server\'s EncryptionConfiguration',
          run: async (ctx) => void (await ensureEncryptionConfig(ctx.host, ctx.cfg, ctx.log)),
        },
      ],
    },
    {
      name: 'kubeconfig',
      short: 'Generate all kubeconfig files necessary to establish the control plane and the admin kubeconfig file',
      runAllSiblings: true,
      run: async (ctx) => ctx.log.info('[kubeconfig] Using kubeconfig folder "/etc/kubernetes"'),
      children: kubeconfigTable.map(
        (spec): Phase<InitContext> => ({
          name: spec.name,
          short: spec.description,
          run: async (ctx) => void (await ensureKubeconfig(ctx.host, ctx.cfg, spec.name, ctx.log)),
        }),
      ),
    },
    {
      name: 'etcd',
      short: 'Generate static Pod manifest file for local etcd',
      children: [
        {
          name: 'local',
          short: 'Generate the static Pod manifest file for a local, single-node local etcd instance',
          run: async (ctx) => {
            if (!usesLocalEtcd(ctx)) return ctx.log.info('[etcd] External etcd mode: skipping the local etcd manifest');
            ctx.log.info(`[etcd] Creating static Pod manifest for local etcd in "${MANIFESTS_DIR}"`);
            await writeStaticPod(ctx.host, ctx.log, ctx.cfg, 'etcd');
          },
        },
      ],
    },
    {
      name: 'control-plane',
      short: 'Generate all static Pod manifest files necessary to establish the control plane',
      runAllSiblings: true,
      run: async (ctx) => ctx.log.info(`[control-plane] Using manifest folder "${MANIFESTS_DIR}"`),
      children: [
        controlPlanePhase('kube-apiserver', 'Generates the kube-apiserver static Pod manifest'),
        controlPlanePhase('kube-controller-manager', 'Generates the kube-controller-manager static Pod manifest'),
        controlPlanePhase('kube-scheduler', 'Generates the kube-scheduler static Pod manifest'),
      ],
    },
    ...clusterPhases(),
  ];
}
