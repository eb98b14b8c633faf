/**
 * Events about a pod as the kubelet records them (source kubelet, reportingInstance the node),
 * named <pod>.<hex nanoseconds> in the pod's namespace. Pure.
 */
import type { KubeObject } from '../kube/index.js';
import type { Pod } from './pod.js';

export function podEvent(pod: Pod, nodeName: string, type: 'Normal' | 'Warning', reason: string, message: string, now: Date, seq: number): KubeObject {
  const at = new Date(Math.floor(now.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${pod.metadata.name}.${(BigInt(now.getTime()) * 1_000_000n + BigInt(seq)).toString(16)}`, namespace: pod.metadata.namespace },
    involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid },
    reason,
    message,
    type,
    source: { component: 'kubelet', host: nodeName },
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
    reportingComponent: 'kubelet',
    reportingInstance: nodeName,
  } as KubeObject;
}
