/**
 * `kubeforge init` and `kubeforge init phase <name>`: validate everything first (flags, config,
 * phase names, pre-flight ignore list, the root), then run the phase tree.
 */
import { DEFAULT_POD_SUBNET } from '../agent/index.js';
import type { JoinCommands } from '../bootstrap/index.js';
import { loadInitConfig, parseGoDuration, validateInitConfig, type InitFlags } from '../config/index.js';
import type { InitConfig } from '../config/types.js';
import { validationError } from '../errors.js';
import { readConfigFile } from './config-file.js';
import { createDryRunHost, createHost, redactSecrets, type Host, type RecordedWrite } from '../host/index.js';
import { createLogger, type Logger } from '../log.js';
import { initPhases, type InitContext } from '../phases/init.js';
import { findPhase, parseSkipPhases, runPhases } from '../phases/runner.js';
import { caPublicKeyPin } from '../pki/index.js';
import { parseIgnorePreflightErrors } from '../preflight/index.js';
import { generateBootstrapToken } from '../token/index.js';


export interface InitOptions {
  root: string;
  verbosity: number;
  configPath?: string;
  flags: InitFlags;
  dryRun: boolean;
  skipPhases: string[];
  ignorePreflightErrors: string[];
  /** `init phase <path>`: run only this phase (and its children). */
  phase?: string;
  /** `--timeout` for wait-control-plane (Go duration). */
  timeout?: string;
  log?: Logger;
}

export interface InitResult {
  root: string;
  certificatesDir: string;
  caCertHashes: string[];
  config: InitConfig;
  dryRun: boolean;
  /** The certificate key of the kubeadm-certs Secret, when upload-certs stored it. */
  uploadedCertificateKey?: string;
  /** The join commands, once show-join-command ran. */
  joinCommands?: JoinCommands;
}

/** Prints each write the dry-run host records (contents, secrets redacted, at -v1). */
export function reportDryRunWrite(log: Logger): (write: RecordedWrite) => void {
  return (write) => {
    log.info(`[dryrun] Would write file "${write.path}" with mode ${write.mode.toString(8).padStart(4, '0')}`);
    const isText = /\.(ya?ml|conf)$/.test(write.path);
    if (isText && log.verbosity >= 1) log.info(redactSecrets(write.content.toString('utf8')).replace(/^/gm, '\t'));
  };
}

async function loadConfig(host: Host, options: InitOptions): Promise<InitConfig> {
  const configText = await readConfigFile(host, options.configPath);
  const cfg = loadInitConfig({
    configText,
    configPath: options.configPath,
    // Without a config file, pods get a network out of the box: --pod-network-cidr defaults to
    // 10.244.0.0/16, so the node IPAM controller gives every node a podCIDR for its bridge.
    flags: configText === undefined && options.flags.podNetworkCidr === undefined ? { ...options.flags, podNetworkCidr: DEFAULT_POD_SUBNET } : options.flags,
    hostname: host.system.hostname(),
    defaultAdvertiseAddress: host.system.defaultAddress(),
  });
  validateInitConfig(cfg);
  for (const token of cfg.init.bootstrapTokens) if (!token.token) token.token = generateBootstrapToken();
  return cfg;
}

export async function runInit(options: InitOptions): Promise<InitResult> {
  const log = options.log ?? createLogger({ verbosity: options.verbosity });
  const host = options.dryRun ? createDryRunHost(options.root, reportDryRunWrite(log), (line) => log.info(`[dryrun] ${line}`)) : createHost(options.root);
  if (!(await host.files.rootWritable())) {
    throw validationError('KF_ROOT_NOT_WRITABLE', `--root ${options.root} is not a writable directory`, {
      hint: 'pass a directory you can write to, e.g. --root ./.kubeforge',
    });
  }
  const tree = initPhases();
  const cfg = await loadConfig(host, options);
  const ctx: InitContext = {
    host,
    cfg,
    log,
    ignorePreflightErrors: parseIgnorePreflightErrors([...options.ignorePreflightErrors, ...cfg.init.nodeRegistration.ignorePreflightErrors]),
    uploadCerts: cfg.uploadCerts ?? false,
    timeoutMs: options.timeout === undefined ? undefined : parseGoDuration(options.timeout),
    prefetchKeys: !options.phase,
  };
  const skip = options.phase ? new Set<string>() : parseSkipPhases(tree, [...options.skipPhases, ...cfg.init.skipPhases]);
  const selected = options.phase ? [findPhase(tree, options.phase)] : tree;
  if (selected.some((p) => p === undefined)) {
    throw validationError('KF_UNKNOWN_PHASE', `unknown phase "${options.phase}"`, { hint: 'see kubeforge init --help for the phases' });
  }
  try {
    await runPhases(selected as typeof tree, ctx, { log, skip });
  } finally {
    ctx.client?.close();
  }
  const caCert = await host.files.tryReadFile(`${cfg.cluster.certificatesDir}/ca.crt`);
  return {
    root: options.root,
    certificatesDir: host.files.resolve(cfg.cluster.certificatesDir),
    caCertHashes: caCert ? [caPublicKeyPin(caCert.toString('utf8'))] : [],
    config: cfg,
    dryRun: options.dryRun,
    joinCommands: ctx.joinCommands,
    ...(ctx.uploadedCertificateKey ? { uploadedCertificateKey: ctx.uploadedCertificateKey } : {}),
  };
}
