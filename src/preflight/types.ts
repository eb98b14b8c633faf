/** The shapes every pre-flight check and the runner share. */
import type { Host } from '../host/index.js';

export interface CheckContext {
  host: Host;
}

export interface CheckResult {
  errors: string[];
  warnings: string[];
  /** What the check found (versions, sockets, cgroups): shown with -v 1 and whenever the check fails. */
  info?: string[];
}

/**
 * One pre-flight check. `name` is kubeadm's, exactly: it is what `--ignore-preflight-errors`
 * takes and what `[ERROR name]` / `[WARNING name]` lines show.
 */
export interface Check {
  name: string;
  /** How to fix a failure, shown in the error's hint. */
  fix?: string;
  run(ctx: CheckContext): Promise<CheckResult>;
}

export type CheckStatus = 'ok' | 'warning' | 'error' | 'ignored';

export interface CheckReport {
  name: string;
  status: CheckStatus;
  /** Errors of a check whose errors were ignored stay here; its status says `ignored`. */
  errors: string[];
  warnings: string[];
  info: string[];
  durationMs: number;
}

/** What `-o json` prints for a pre-flight run. */
export interface PreflightReport {
  kind: 'PreflightReport';
  passed: boolean;
  checks: CheckReport[];
}

/** Just what the join checks need; the CLI fills it from the JoinConfiguration and flags. */
export interface JoinPreflightConfig {
  nodeName: string;
  criSocket: string;
  /** This node's own address (127.0.0.N when nodes share a machine): ports are tested there. */
  advertiseAddress: string;
  /** `host:port` of the API server used for token discovery, when token discovery is used. */
  discoveryEndpoint?: string;
  /** Where the cluster CA will be written; defaults to /etc/kubernetes/pki/ca.crt. */
  caCertPath?: string;
  /** Set for `join --control-plane`: the checks of a new control-plane instance run too. */
  controlPlane?: {
    bindPort: number;
    /** Set when etcd runs on this node (stacked etcd): its data directory, e.g. /var/lib/etcd. */
    localEtcdDataDir?: string;
    serviceSubnet?: string;
    podSubnet?: string;
    kubernetesVersion?: string;
  };
}

export interface ChecklistOptions {
  /** False when `--root` relocates the node: it then runs unprivileged and IsPrivilegedUser is skipped. */
  rootIsSlash: boolean;
  /** The (relocated) root of an earlier, interrupted init that this run resumes (checks/resume.ts). */
  resumeRoot?: string;
}

export const ok = (): CheckResult => ({ errors: [], warnings: [] });
export const fail = (...errors: string[]): CheckResult => ({ errors, warnings: [] });
export const warn = (...warnings: string[]): CheckResult => ({ errors: [], warnings });
