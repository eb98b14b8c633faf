import { describe, expect, it } from 'vitest';
import { mirrorPodFor } from './mirror-pod.js';
import { parseStaticPod } from './pod.js';
import { buildPodStatus } from './status.js';

describe('mirror pods', () => {
  it('binds the static pod to its node and marks it with the kubelet config annotations', () => {
    const parsed = parseStaticPod(
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: etcd\n  namespace: kube-system\n  annotations:\n    a: b\nspec:\n  containers:\n  - name: etcd\n    image: registry.k8s.io/etcd:3.5.16-0\n    command: [etcd]\n',
      '/etc/kubernetes/manifests/etcd.yaml',
      'cp1',
    );
    if (!parsed.ok) throw new Error(parsed.reason);
    const status = buildPodStatus({ containers: [], nodeAddress: '127.0.0.2', startTime: 't', now: 't' });
    const mirror = mirrorPodFor({ pod: parsed.pod, status }, 'cp1', '2026-01-01T00:00:00Z', 'node-uid');
    const uid = parsed.pod.pod.metadata.uid;
    expect(mirror.metadata).toEqual({
      name: 'etcd-cp1',
      namespace: 'kube-system',
      annotations: {
        a: 'b',
        'kubernetes.io/config.hash': uid,
        'kubernetes.io/config.mirror': uid,
        'kubernetes.io/config.seen': '2026-01-01T00:00:00Z',
        'kubernetes.io/config.source': 'file',
      },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'cp1', uid: 'node-uid', controller: true }],
    });
    expect(mirror.spec.nodeName).toBe('cp1');
    expect(mirror.status).toBe(status);
  });
});
