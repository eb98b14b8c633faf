/**
 * The ConfigMaps and node changes kubeadm's init makes once the API answers: cluster-info
 * (phases/bootstraptoken/clusterinfo), kubeadm-config and kubelet-config (phases/uploadconfig),
 * and the control-plane label and taint (phases/markcontrolplane).
 */
import type { Taint } from '../config/types.js';
import type { KubeObject } from '../kube/index.js';

export const CONTROL_PLANE_LABEL = 'node-role.kubernetes.io/control-plane';
export const EXCLUDE_FROM_LB_LABEL = 'node.kubernetes.io/exclude-from-external-load-balancers';

const configMap = (namespace: string, name: string, data: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace },
  data,
});

/** `kube-public/cluster-info`: the kubeconfig that joining nodes discover anonymously. */
export function clusterInfoConfigMap(kubeconfig: string): KubeObject {
  return configMap('kube-public', 'cluster-info', { kubeconfig });
}

/** `kube-system/kubeadm-config`, holding the ClusterConfiguration document. */
export function kubeadmConfigMap(clusterConfigurationYaml: string): KubeObject {
  return configMap('kube-system', 'kubeadm-config', { ClusterConfiguration: clusterConfigurationYaml });
}

/** `kube-system/kubelet-config`, holding the KubeletConfiguration every node downloads. */
export function kubeletConfigMap(kubeletConfigurationYaml: string): KubeObject {
  return configMap('kube-system', 'kubelet-config', { kubelet: kubeletConfigurationYaml });
}

/**
 * The strategic-merge patch that marks a control-plane node: kubeadm's labels, and its taints
 * (the control-plane NoSchedule taint unless the config lists taints, `[]` meaning none).
 */
export function markControlPlanePatch(taints: Taint[] | undefined, existing: Taint[] = []): Record<string, unknown> {
  const wanted = taints ?? [{ key: CONTROL_PLANE_LABEL, effect: 'NoSchedule' as const }];
  const merged = [...existing.filter((t) => !wanted.some((w) => w.key === t.key && w.effect === t.effect)), ...wanted];
  return {
    metadata: { labels: { [CONTROL_PLANE_LABEL]: '', [EXCLUDE_FROM_LB_LABEL]: '' } },
    spec: { taints: merged },
  };
}
