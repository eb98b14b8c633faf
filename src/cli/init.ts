import { Command } from 'commander';
import { runInit, type InitOptions, type InitResult } from '../commands/init.js';
import type { InitFlags } from '../config/index.js';
import { resolveRoot } from '../host/index.js';
import { BOOTSTRAP_TOKEN_PATTERN } from '../token/index.js';
import { initPhases } from '../phases/init.js';
import { describePhases, type Phase } from '../phases/runner.js';
import { absolutePath, globals } from './globals.js';

const list = (value: string, previous: string[] = []) => [...previous, ...value.split(',').map((v) => v.trim()).filter(Boolean)];

/** kubeadm's init flags; the ones that shape the configuration become InitFlags. */
function addInitFlags(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'path to a kubeadm configuration file (v1beta4 or v1beta3)')
    .option('--apiserver-advertise-address <ip>', 'the IP address the API server will advertise it is listening on')
    .option('--apiserver-bind-port <port>', 'port for the API server to bind to', '6443')
    .option('--apiserver-cert-extra-sans <sans>', 'optional extra Subject Alternative Names for the API server serving certificate', list)
    .option('--cert-dir <dir>', 'the path where to save and store the certificates', absolutePath, '/etc/kubernetes/pki')
    .option('--certificate-key <key>', 'key used to encrypt the control-plane certificates in the kubeadm-certs Secret (32 bytes, hex)')
    .option('--control-plane-endpoint <endpoint>', 'a stable IP address or DNS name for the control plane')
    .option('--cri-socket <socket>', 'path to the CRI socket to connect')
    .option('--dry-run', "don't apply any changes; just output what would be done", false)
    .option('--feature-gates <gates>', 'a set of key=value pairs that describe feature gates')
    .option('--ignore-preflight-errors <checks>', "a list of checks whose errors will be shown as warnings, e.g. 'IsPrivilegedUser,Swap'; 'all' ignores all", list)
    .option('--image-repository <repo>', 'choose a container registry to pull control plane images from', 'registry.k8s.io')
    .option('--kubernetes-version <version>', 'choose a specific Kubernetes version for the control plane')
    .option('--node-name <name>', 'specify the node name')
    .option('--pod-network-cidr <cidr>', 'specify range of IP addresses for the pod network (default 10.244.0.0/16 when no --config is given)')
    .option('--service-cidr <cidr>', 'use alternative range of IP address for service VIPs', '10.96.0.0/12')
    .option('--service-dns-domain <domain>', 'use alternative domain for services', 'cluster.local')
    .option('--skip-phases <phases>', 'list of phases to be skipped', list)
    .option('--token <token>', `the token to use for establishing bidirectional trust between nodes and control-plane nodes (${BOOTSTRAP_TOKEN_PATTERN})`)
    .option('--token-ttl <duration>', 'the duration before the token is automatically deleted (e.g. 1s, 2m, 3h); 0 means never', '24h0m0s')
    .option('--upload-certs', 'upload control-plane certificates to the kubeadm-certs Secret', false)
    .option('--timeout <duration>', 'how long wait-control-plane waits for the control plane (e.g. 4m0s; default: the config\'s controlPlaneComponentHealthCheck)');
}

type InitCliOptions = Record<string, unknown> & { config?: string; dryRun: boolean; skipPhases?: string[]; ignorePreflightErrors?: string[]; timeout?: string };

/**
 * Only flags the user actually set override the config file; commander defaults do not. In
 * `init phase certs all --node-name x` commander hands the flag to `init`, which declares it
 * too, so the command and every parent are asked, nearest first.
 */
function explicitFlags(cmd: Command): InitFlags {
  const flags: Record<string, unknown> = {};
  for (let c: Command | null = cmd; c; c = c.parent) {
    for (const option of c.options) {
      const key = option.attributeName();
      if (!(key in flags) && c.getOptionValueSource(key) === 'cli') flags[key] = c.getOptionValue(key);
    }
  }
  return flags as InitFlags;
}

function initOptions(cmd: Command, phase?: string): InitOptions {
  const g = globals(cmd);
  const opts = cmd.optsWithGlobals<InitCliOptions>();
  return {
    root: resolveRoot(g.root),
    verbosity: g.v,
    configPath: opts.config,
    flags: explicitFlags(cmd),
    dryRun: opts.dryRun,
    skipPhases: opts.skipPhases ?? [],
    ignorePreflightErrors: opts.ignorePreflightErrors ?? [],
    timeout: opts.timeout,
    phase,
  };
}

/** kubeadm prints the key it encrypted kubeadm-certs with: without it the upload is useless. */
function printCertificateKey(result: InitResult): void {
  if (result.uploadedCertificateKey) process.stdout.write(`[upload-certs] Using certificate key:\n${result.uploadedCertificateKey}\n`);
}

function printInitResult(result: InitResult): void {
  printCertificateKey(result);
  const admin = `${result.root === '/' ? '' : result.root}/etc/kubernetes/admin.conf`;
  let lines: string[];
  if (result.dryRun) {
    lines = ['Your dry run finished: nothing was written. Run again without --dry-run to apply it.'];
  } else if (result.joinCommands) {
    const { worker, controlPlane } = result.joinCommands;
    lines = [
      'Your Kubernetes control-plane has initialized successfully!',
      '',
      'To start using your cluster, run:',
      '',
      `  export KUBECONFIG=${admin}`,
      '',
      'You should now deploy a pod network to the cluster.',
      'Run "kubectl apply -f [podnetwork].yaml" with one of the options listed at:',
      '  https://kubernetes.io/docs/concepts/cluster-administration/addons/',
      '',
      ...(controlPlane
        ? [
            'You can now join any number of control-plane nodes by running the following command on each as root:',
            '',
            controlPlane,
            '',
            'Please note that the certificate-key gives access to cluster sensitive data, keep it secret!',
            'As a safeguard, uploaded-certs will be deleted in two hours; if necessary, you can use',
            '"kubeforge init phase upload-certs --upload-certs" to reload certs afterward.',
            '',
          ]
        : []),
      'Then you can join any number of worker nodes by running the following on each as root:',
      '',
      worker,
    ];
  } else {
    lines = [
      `The certificates, kubeconfigs and static Pod manifests of your control plane are in ${result.root === '/' ? '/etc/kubernetes' : `${result.root}/etc/kubernetes`}.`,
      '',
      `Once it runs, use it as the admin with: export KUBECONFIG=${admin}`,
    ];
    if (result.caCertHashes.length) lines.push('', `CA public key pin (--discovery-token-ca-cert-hash): ${result.caCertHashes.join(' ')}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** `init phase <name>` prints only what the phase produced (show-join-command: the join command). */
function printPhaseResult(result: InitResult): void {
  printCertificateKey(result);
  if (result.joinCommands) process.stdout.write(`${result.joinCommands.controlPlane ?? result.joinCommands.worker}\n`);
}

function addPhaseCommands(parent: Command, phases: Phase<unknown>[], prefix: string): void {
  for (const phase of phases) {
    const path = prefix ? `${prefix}/${phase.name}` : phase.name;
    const named = parent.command(phase.name).description(phase.long ?? phase.short);
    // Only runnable commands take init's flags: were a parent (`certs`) to declare them too,
    // commander would hand `certs all --node-name x` the flag to the parent, not to `all`.
    const cmd = phase.children?.length ? named : addInitFlags(named);
    if (phase.children?.length) {
      addPhaseCommands(cmd, phase.children, path);
      if (phase.runAllSiblings) {
        addInitFlags(cmd.command('all').description(`Run all ${phase.name} phases`)).action(async (_opts: InitCliOptions, all: Command) => {
          printPhaseResult(await runInit(initOptions(all, path)));
        });
      }
    } else {
      cmd.action(async (_opts: InitCliOptions, self: Command) => {
        printPhaseResult(await runInit(initOptions(self, path)));
      });
    }
  }
}

export function registerInit(program: Command): void {
  const tree = initPhases() as Phase<unknown>[];
  const init = addInitFlags(program.command('init').description('Run this command in order to set up the Kubernetes control plane'))
    .addHelpText('after', `\n${describePhases('init', tree)}`)
    .action(async (_opts: InitCliOptions, self: Command) => {
      printInitResult(await runInit(initOptions(self)));
    });
  const phase = init.command('phase').description('Use this command to invoke single phase of the init workflow');
  addPhaseCommands(phase, tree, '');
}
