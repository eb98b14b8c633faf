import { Command, InvalidArgumentError } from 'commander';
import type { JoinOptions, JoinResult } from '../commands/join.js';
import type { JoinFlags } from '../config/index.js';
import { resolveRoot } from '../host/index.js';
import { joinPhases } from '../phases/join.js';
import { describePhases, type Phase } from '../phases/runner.js';
import { globals } from './globals.js';

const list = (value: string, previous: string[] = []) => [...previous, ...value.split(',').map((v) => v.trim()).filter(Boolean)];
const repeat = (value: string, previous: string[] = []) => [...previous, value];
function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535) throw new InvalidArgumentError('use a port number between 1 and 65535');
  return n;
}

/** kubeadm's join flags (worker nodes). */
function addJoinFlags(cmd: Command): Command {
  return cmd
    .argument('[api-server-endpoint]', 'the API server to join, HOST:PORT')
    .option('--config <file>', 'path to a kubeadm JoinConfiguration file (v1beta4 or v1beta3)')
    .option('--token <token>', 'use this token for both discovery-token and tls-bootstrap-token when those values are not provided')
    .option('--discovery-token <token>', 'for token-based discovery, the token used to validate cluster information fetched from the API server')
    .option('--discovery-token-ca-cert-hash <hash>', 'for token-based discovery, validate that the root CA public key matches this hash (format: "sha256:<hex>"); repeatable, any match passes', repeat)
    .option('--discovery-token-unsafe-skip-ca-verification', 'for token-based discovery, allow joining without --discovery-token-ca-cert-hash pinning')
    .option('--discovery-file <file-or-url>', 'for file-based discovery, a file or https URL from which to load cluster information')
    .option('--discovery-timeout <duration>', 'how long discovery keeps trying (default: the config\'s timeouts.discovery, 5m0s)')
    .option('--tls-bootstrap-token <token>', 'a token used for TLS bootstrapping for this node')
    .option('--node-name <name>', 'specify the node name')
    .option('--node-ip <ip>', "the address this node's agent binds and reports (default: the host's primary address)")
    .option('--cri-socket <socket>', 'path to the CRI socket to connect')
    .option('--control-plane', 'create a new control plane instance on this node', false)
    .option('--certificate-key <key>', 'use this key to decrypt the certificate secrets uploaded by init (the kubeadm-certs Secret)')
    .option('--apiserver-advertise-address <ip>', 'if the node should host a new control plane instance, the IP address the API server will advertise it is listening on (default: --node-ip)')
    .option('--apiserver-bind-port <port>', 'if the node should host a new control plane instance, the port for the API server to bind to', port)
    .option('--dry-run', "don't apply any changes; just output what would be done", false)
    .option('--ignore-preflight-errors <checks>', "a list of checks whose errors will be shown as warnings; 'all' ignores all", list)
    .option('--skip-phases <phases>', 'list of phases to be skipped', list);
}

interface JoinCliOptions {
  config?: string;
  token?: string;
  discoveryToken?: string;
  discoveryTokenCaCertHash?: string[];
  discoveryTokenUnsafeSkipCaVerification?: boolean;
  discoveryFile?: string;
  discoveryTimeout?: string;
  tlsBootstrapToken?: string;
  nodeName?: string;
  nodeIp?: string;
  criSocket?: string;
  controlPlane: boolean;
  certificateKey?: string;
  apiserverAdvertiseAddress?: string;
  apiserverBindPort?: number;
  dryRun: boolean;
  ignorePreflightErrors?: string[];
  skipPhases?: string[];
}

function joinOptions(self: Command, endpoint: string | undefined, opts: JoinCliOptions, phase?: string): JoinOptions {
  const g = globals(self);
  const flags: JoinFlags = {};
  const set = <K extends keyof JoinFlags>(key: K, value: JoinFlags[K] | undefined) => {
    if (value !== undefined) flags[key] = value;
  };
  set('apiServerEndpoint', endpoint);
  set('token', opts.token);
  set('discoveryToken', opts.discoveryToken);
  set('discoveryTokenCaCertHash', opts.discoveryTokenCaCertHash);
  set('discoveryTokenUnsafeSkipCaVerification', opts.discoveryTokenUnsafeSkipCaVerification);
  set('discoveryFile', opts.discoveryFile);
  set('tlsBootstrapToken', opts.tlsBootstrapToken);
  set('nodeName', opts.nodeName);
  set('criSocket', opts.criSocket);
  // Only an explicit --control-plane turns it on: a JoinConfiguration's controlPlane: stays otherwise.
  if (opts.controlPlane) set('controlPlane', true);
  set('certificateKey', opts.certificateKey);
  set('apiserverAdvertiseAddress', opts.apiserverAdvertiseAddress);
  set('apiserverBindPort', opts.apiserverBindPort);
  set('ignorePreflightErrors', opts.ignorePreflightErrors);
  set('skipPhases', opts.skipPhases);
  return {
    root: resolveRoot(g.root),
    verbosity: g.v,
    configPath: opts.config,
    flags,
    ...(opts.nodeIp !== undefined ? { nodeIP: opts.nodeIp } : {}),
    ...(opts.discoveryTimeout !== undefined ? { discoveryTimeout: opts.discoveryTimeout } : {}),
    dryRun: opts.dryRun,
    ...(phase ? { phase } : {}),
  };
}

function printJoinResult(result: JoinResult): void {
  const lines = result.dryRun
    ? ['Your dry run finished: discovery ran against the cluster, nothing was written. Run again without --dry-run to join.']
    : result.controlPlane
      ? [
          'This node has joined the cluster and a new control plane instance was created:',
          '',
          '* Certificate signing request was sent to apiserver and approval was received.',
          '* The Kubelet was informed of the new secure connection details.',
          '* Control plane label and taint were applied to the new node.',
          '* The Kubernetes control plane instances scaled up.',
          '* A new etcd member was added to the local/stacked etcd cluster.',
          '',
          'To start administering your cluster from this node, you need to run:',
          '',
          `\texport KUBECONFIG=${result.root === '/' ? '' : result.root}/etc/kubernetes/admin.conf`,
          '',
          "Run 'kubectl get nodes' to see this node join the cluster.",
        ]
      : [
        'This node has joined the cluster:',
        '* Certificate signing request was sent to apiserver and a response was received.',
        '* The Kubelet was informed of the new secure connection details.',
        '',
        "Run 'kubectl get nodes' on the control-plane to see this node join the cluster.",
      ];
  process.stdout.write(`\n${lines.join('\n')}\n\n`);
}

async function run(self: Command, endpoint: string | undefined, opts: JoinCliOptions, phase?: string): Promise<JoinResult> {
  const { runJoin } = await import('../commands/join.js');
  return runJoin(joinOptions(self, endpoint, opts, phase));
}

export function registerJoin(program: Command): void {
  const tree = joinPhases() as Phase<unknown>[];
  const join = addJoinFlags(program.command('join').description('Run this on any machine you wish to join an existing cluster'))
    .addHelpText('after', `\n${describePhases('join', tree)}`)
    .action(async (endpoint: string | undefined, opts: JoinCliOptions, self: Command) => printJoinResult(await run(self, endpoint, opts)));
  const phase = join.command('phase').description('Use this command to invoke single phase of the join workflow');
  for (const p of tree) {
    // Commander hands a flag that `join` declares too to `join`, wherever it stands: merge them.
    addJoinFlags(phase.command(p.name).description(p.short)).action(async (endpoint: string | undefined, _opts: JoinCliOptions, self: Command) => {
      await run(self, endpoint, self.optsWithGlobals<JoinCliOptions>(), p.name);
    });
  }
}
