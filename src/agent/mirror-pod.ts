/**
 * The mirror pod of a static pod: what the agent posts to the API server so that
 * `kubectl get pods -n kube-system` shows the control plane (item 2 posts it; this builds it).
 * As the kubelet does: the pod's spec bound to the node, the `kubernetes.io/config.*`
 * annotations (config.mirror marks it as a mirror and carries the static pod's hash), and the
 * Node as owner once its uid is known.
 */
import type { Pod } from './pod.js';
import type { StaticPodView } from './static-pods.js';
import type { PodStatus } from './status.js';

export const CONFIG_MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';
export const CONFIG_HASH_ANNOTATION = 'kubernetes.io/config.hash';
export const CONFIG_SOURCE_ANNOTATION = 'kubernetes.io/config.source';
export const CONFIG_SEEN_ANNOTATION = 'kubernetes.io/config.seen';

export interface MirrorPod extends Omit<Pod, 'metadata'> {
  metadata: Omit<Pod['metadata'], 'uid'> & {
    annotations: Record<string, string>;
    ownerReferences?: { apiVersion: 'v1'; kind: 'Node'; name: string; uid: string; controller: true }[];
  };
  status: PodStatus;
}

export function mirrorPodFor(view: StaticPodView, nodeName: string, seenAt: string, nodeUid?: string): MirrorPod {
  const { metadata, spec } = view.pod.pod;
  const hash = metadata.uid;
  const { uid: _uid, ...rest } = metadata;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...rest,
      annotations: {
        ...metadata.annotations,
        [CONFIG_HASH_ANNOTATION]: hash,
        [CONFIG_MIRROR_ANNOTATION]: hash,
        [CONFIG_SEEN_ANNOTATION]: seenAt,
        [CONFIG_SOURCE_ANNOTATION]: 'file',
      },
      ...(nodeUid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: nodeUid, controller: true }] } : {}),
    },
    spec: { ...spec, nodeName },
    status: view.status,
  };
}
