/**
 * Objects the real API server keeps at start besides RBAC: the system PriorityClasses
 * (scheduling's post-start hook; every static pod and CoreDNS name them) and
 * kube-system/extension-apiserver-authentication, the ConfigMap extension API servers and
 * the controller manager read the client CA and the request-header settings from
 * (upstream's ClusterAuthenticationInfo controller). Pure builders.
 */

/** Upstream's SystemCriticalPriority: twice the highest user-definable priority. */
const SYSTEM_CRITICAL_PRIORITY = 2 * 1_000_000_000;

export function systemPriorityClasses(): Array<Record<string, unknown>> {
  return [
    { name: 'system-node-critical', value: SYSTEM_CRITICAL_PRIORITY + 1000, description: 'Used for system critical pods that must not be moved from their current node.' },
    { name: 'system-cluster-critical', value: SYSTEM_CRITICAL_PRIORITY, description: 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.' },
  ].map(({ name, value, description }) => ({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value, description, preemptionPolicy: 'PreemptLowerPriority' }));
}

export interface AuthenticationInfo {
  /** PEM of --client-ca-file. */
  clientCa?: string | undefined;
  /** PEM of --requestheader-client-ca-file and the --requestheader-* lists. */
  requestHeader?: { clientCa: string; allowedNames: string[]; usernameHeaders: string[]; groupHeaders: string[]; extraHeadersPrefix: string[] } | undefined;
}

export const AUTHENTICATION_CONFIGMAP = 'extension-apiserver-authentication';

/** The ConfigMap's data; its lists are JSON arrays as upstream writes them. */
export function authenticationConfigMap(info: AuthenticationInfo): Record<string, unknown> {
  const data: Record<string, string> = {};
  if (info.clientCa) data['client-ca-file'] = info.clientCa;
  const rh = info.requestHeader;
  if (rh) {
    data['requestheader-client-ca-file'] = rh.clientCa;
    data['requestheader-allowed-names'] = JSON.stringify(rh.allowedNames);
    data['requestheader-extra-headers-prefix'] = JSON.stringify(rh.extraHeadersPrefix);
    data['requestheader-group-headers'] = JSON.stringify(rh.groupHeaders);
    data['requestheader-username-headers'] = JSON.stringify(rh.usernameHeaders);
  }
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: AUTHENTICATION_CONFIGMAP, namespace: 'kube-system' }, data };
}
