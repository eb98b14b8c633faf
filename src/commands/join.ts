/**
 * `kubeforge join` and `kubeforge join phase <name>`: validate everything first (flags, config,
 * token, pins, the node address, phase names, the pre-flight ignore list, the root), then run the
 * join phase tree. Nothing is written under the root before discovery has succeeded.
 */
import net from 'node:net';
import { loadJoinConfig, parseGoDuration, validateJoinConfig, type JoinFlags } from '../config/index.js';
import type { JoinConfig } from '../config/types.js';
import { validateTokenDiscovery } from '../discovery/index.js';
import { validationError } from '../errors.js';
import { readConfigFile } from './config-file.js';
import { reportDryRunWrite } from './init.js';
import { createDryRunHost, createHost, type Host } from '../host/index.js';
import { createLogger, type Logger } from '../log.js';
import { joinPhases, type JoinContext } from '../phases/join.js';
import { findPhase, parseSkipPhases, runPhases } from '../phases/runner.js';
import { parseIgnorePreflightErrors } from '../preflight/index.js';

export interface JoinOptions {
  root: string;
  verbosity: number;
  configPath?: string;
  flags: JoinFlags;
  /** `--node-ip`; the host's default address when unset. */
  nodeIP?: string;
  /** `--discovery-timeout` (Go duration); the config's timeouts.discovery otherwise. */
  discoveryTimeout?: string;
  dryRun: boolean;
  /** `join phase <path>`: run only this phase. */
  phase?: string;
  log?: Logger;
}

export interface JoinResult {
  root: string;
  nodeName: string;
  nodeIP: string;
  /** The API server the node talks to (from cluster-info). */
  server?: string;
  /** `--control-plane`: this node runs a control-plane instance now. */
  controlPlane: boolean;
  dryRun: boolean;
}

async function loadConfig(host: Host, options: JoinOptions): Promise<JoinConfig> {
  const configText = await readConfigFile(host, options.configPath);
  const cfg = loadJoinConfig({
    configText,
    configPath: options.configPath,
    flags: options.flags,
    hostname: host.system.hostname(),
    defaultAdvertiseAddress: options.nodeIP ?? host.system.defaultAddress(),
  });
  // The token and pins first, for their own codes; then kubeadm's whole validation.
  const token = cfg.join.discovery.bootstrapToken;
  if (token && !cfg.join.discovery.file) validateTokenDiscovery(token);
  validateJoinConfig(cfg);
  return cfg;
}

function nodeAddress(host: Host, flag: string | undefined): string {
  const address = flag ?? host.system.defaultAddress();
  if (!net.isIP(address)) {
    throw validationError('KF_JOIN_NODE_IP_INVALID', `--node-ip ${JSON.stringify(address)} is not an IP address`, {
      hint: 'pass the address this node binds and reports, e.g. --node-ip 127.0.0.3 when several nodes share a machine',
    });
  }
  return address;
}

export async function runJoin(options: JoinOptions): Promise<JoinResult> {
  const log = options.log ?? createLogger({ verbosity: options.verbosity });
  const host = options.dryRun ? createDryRunHost(options.root, reportDryRunWrite(log), (line) => log.info(`[dryrun] ${line}`)) : createHost(options.root);
  const cfg = await loadConfig(host, options);
  const nodeIP = nodeAddress(host, options.nodeIP);
  const tree = joinPhases();
  const ctx: JoinContext = {
    host,
    cfg,
    log,
    nodeIP,
    ignorePreflightErrors: parseIgnorePreflightErrors(cfg.join.nodeRegistration.ignorePreflightErrors),
    discoveryTimeoutMs: parseGoDuration(options.discoveryTimeout ?? cfg.join.timeouts.discovery),
    tlsBootstrapTimeoutMs: parseGoDuration(cfg.join.timeouts.tlsBootstrap),
  };
  const skip = options.phase ? new Set<string>() : parseSkipPhases(tree, cfg.join.skipPhases);
  const selected = options.phase ? findPhase(tree, options.phase) : undefined;
  if (options.phase && !selected) throw validationError('KF_UNKNOWN_PHASE', `unknown phase "${options.phase}"`, { hint: 'see kubeforge join --help for the phases' });
  if (!(await host.files.rootWritable())) {
    throw validationError('KF_ROOT_NOT_WRITABLE', `--root ${options.root} is not a writable directory`, { hint: 'pass a directory you can write to, e.g. --root ./.kubeforge-w1' });
  }
  await runPhases(selected ? [selected] : tree, ctx, { log, skip });
  return { root: options.root, nodeName: cfg.join.nodeRegistration.name, nodeIP, server: ctx.tlsBootstrap?.cluster.server, controlPlane: cfg.join.controlPlane !== undefined, dryRun: options.dryRun };
}
