/**
 * The audit policy file init writes beside the kube-apiserver manifest (templates/audit-policy.yaml):
 * only when the effective --audit-policy-file is kubeforge's default path, since a path the user
 * chose through extraArgs is the user's file to provide.
 */
import type { ClusterConfiguration } from '../config/types.js';
import { readTemplate } from '../host/index.js';
import { getArgValue } from './args.js';
import { AUDIT_POLICY_FILE } from './flags.js';

export interface AuditPolicyFile {
  path: string;
  content: string;
}

export function auditPolicyFile(cluster: ClusterConfiguration): AuditPolicyFile | undefined {
  const policy = getArgValue(cluster.apiServer.extraArgs, 'audit-policy-file') ?? AUDIT_POLICY_FILE;
  return policy === AUDIT_POLICY_FILE ? { path: AUDIT_POLICY_FILE, content: readTemplate('audit-policy.yaml') } : undefined;
}
