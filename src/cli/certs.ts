/** `kubeforge certs …`: flags and printing only; the work is in src/commands/certs-*.ts (imported lazily). */
import type { Command } from 'commander';
import { ExitCode } from '../errors.js';
import { resolveRoot } from '../host/paths.js';
import { absolutePath, globals } from './globals.js';
import { formatMachine, parseOutputFormat } from './output.js';

const CERT_DIR = '/etc/kubernetes/pki';

/** `--cert-dir` and `-o` as the reading subcommands share them. */
function readFlags(cmd: Command): Command {
  return cmd
    .option('--cert-dir <dir>', 'the path where the certificates are stored', absolutePath, CERT_DIR)
    .option('-o, --output <format>', 'output format: one of text|table, json, yaml', 'text');
}

function registerCheckExpiration(certs: Command): void {
  readFlags(certs.command('check-expiration').description('Check certificates expiration for a Kubernetes cluster'))
    .option('--warn-within <duration>', 'exit 4 when a certificate or CA expires within this time (e.g. 30d, 720h)')
    .action(async (opts: { certDir: string; output: string; warnWithin?: string }, self: Command) => {
      const format = parseOutputFormat(opts.output);
      const { runCheckExpiration, formatExpirationText } = await import('../commands/certs-check-expiration.js');
      const result = await runCheckExpiration({ root: resolveRoot(globals(self).root), certDir: opts.certDir, warnWithin: opts.warnWithin });
      process.stdout.write(format === 'text' ? formatExpirationText(result.info) : await formatMachine(result.info, format));
      if (result.expiringSoon.length > 0) {
        process.stderr.write(`[check-expiration] WARNING: expiring within ${opts.warnWithin}: ${result.expiringSoon.join(', ')}\n`);
        process.exitCode = ExitCode.ExpiryWarning;
      }
    });
}

export function registerCerts(program: Command): void {
  const certs = program.command('certs').description('Commands related to handling kubernetes certificates');
  registerCheckExpiration(certs);
  registerRenew(certs);
  registerInspect(certs);
  registerVerify(certs);
  registerExternalCA(certs);
}

function registerRenew(certs: Command): void {
  certs
    .command('renew')
    .argument('<name>', 'a certificate name (apiserver, admin.conf, …) or all')
    .description('Renew a certificate (or all) with the local CA, keeping its subject, SANs and usages; the agent restarts the static pods that use it')
    .option('--cert-dir <dir>', 'the path where to save the certificates', absolutePath, CERT_DIR)
    .option('--validity-period <duration>', "validity of the renewed certificates (default: the cluster's certificateValidityPeriod, else 8760h)")
    .option('--dry-run', "don't apply any changes; just output what would be done", false)
    .action(async (name: string, opts: { certDir: string; validityPeriod?: string; dryRun: boolean }, self: Command) => {
      const { runCertsRenew } = await import('../commands/certs-renew.js');
      const g = globals(self);
      const result = await runCertsRenew({ root: resolveRoot(g.root), verbosity: g.v, name, certDir: opts.certDir, dryRun: opts.dryRun, validityPeriod: opts.validityPeriod });
      const lines = result.renewed.map((r) => `${r.longName} ${result.dryRun ? 'would be renewed' : 'renewed'}`);
      if (result.dryRun) lines.push('', 'Dry run: nothing was written.');
      else if (result.renewed.length > 0) {
        lines.push('', 'Done renewing certificates. You must restart the kube-apiserver, kube-controller-manager, kube-scheduler and etcd, so that they can use the new certificates.');
        const { pods, agentRunning } = result.restart;
        if (pods.length > 0) {
          lines.push(agentRunning
            ? `kubeforge did it for you: the agent is restarting ${pods.join(', ')} (their manifests got the kubeforge.io/certs-renewed-at annotation).`
            : `kubeforge marked the manifests of ${pods.join(', ')} (kubeforge.io/certs-renewed-at); no agent runs on this root, so they start with the new certificates when it does.`);
        }
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}

function registerInspect(certs: Command): void {
  certs
    .command('inspect')
    .argument('<target>', 'a certificate file (PEM, DER or chain), a directory, a kubeconfig, or https://host:port')
    .description('Show what a certificate is: subject, issuer, SANs, usages, validity, key, fingerprints, SPKI pin, kubeadm role')
    .option('-o, --output <format>', 'output format: one of text, json, yaml', 'text')
    .action(async (target: string, opts: { output: string }) => {
      const format = parseOutputFormat(opts.output);
      const { runCertsInspect, formatInspectText } = await import('../commands/certs-inspect.js');
      const result = await runCertsInspect({ target });
      process.stdout.write(format === 'text' ? formatInspectText(result) : await formatMachine(result, format));
    });
}

function registerVerify(certs: Command): void {
  readFlags(certs.command('verify').description('Check the PKI: chains, keys, usages, SANs, file modes and kubeconfigs; every finding with its fix (exit 1 on errors)'))
    .action(async (opts: { certDir: string; output: string }, self: Command) => {
      const format = parseOutputFormat(opts.output);
      const { runCertsVerify, formatVerifyText } = await import('../commands/certs-verify.js');
      const result = await runCertsVerify({ root: resolveRoot(globals(self).root), certDir: opts.certDir });
      process.stdout.write(format === 'text' ? formatVerifyText(result) : await formatMachine(result, format));
      if (!result.ok) process.exitCode = ExitCode.General;
    });
}

const list = (value: string, previous: string[] = []) => [...previous, ...value.split(',').map((v) => v.trim()).filter(Boolean)];

function registerExternalCA(certs: Command): void {
  certs
    .command('certificate-key')
    .description('Generate certificate keys (32 random bytes, hex) for `init --upload-certs`')
    .action(async () => {
      const { generateCertificateKey } = await import('../commands/certs-csr.js');
      process.stdout.write(`${generateCertificateKey()}\n`);
    });
  certs
    .command('generate-csr')
    .description('Generate keys and certificate signing requests for every certificate and kubeconfig, for an external CA to sign')
    .option('--cert-dir <dir>', 'the path where to save the certificates', absolutePath, CERT_DIR)
    .option('--kubeconfig-dir <dir>', 'the path where to save the kubeconfig files', absolutePath, '/etc/kubernetes')
    .option('--config <file>', 'path to a kubeadm configuration file')
    .option('--apiserver-advertise-address <ip>', 'the IP address the API server will advertise (SANs, kubeconfig server)')
    .option('--apiserver-cert-extra-sans <sans>', 'extra SANs for the API server serving certificate', list)
    .option('--control-plane-endpoint <endpoint>', 'a stable IP address or DNS name for the control plane')
    .option('--node-name <name>', 'the node name')
    .action(async (opts: { certDir: string; kubeconfigDir: string; config?: string; apiserverAdvertiseAddress?: string; apiserverCertExtraSans?: string[]; controlPlaneEndpoint?: string; nodeName?: string }, self: Command) => {
      const { runGenerateCSR } = await import('../commands/certs-csr.js');
      const g = globals(self);
      const { config, kubeconfigDir, ...rest } = opts;
      const flags = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
      const result = await runGenerateCSR({ root: resolveRoot(g.root), verbosity: g.v, ...(config ? { configPath: config } : {}), kubeconfigDir, flags });
      process.stdout.write(`Wrote ${result.csrs.length} certificate signing requests; have your CA sign them and place the certificates beside them (kubeconfigs: as client-certificate-data).\n`);
    });
}
