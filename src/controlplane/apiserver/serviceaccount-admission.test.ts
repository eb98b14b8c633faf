import { describe, expect, it } from 'vitest';
import { admitPodServiceAccount, SERVICE_ACCOUNT_MOUNT, tokenVolume } from './serviceaccount-admission.js';

describe('ServiceAccount admission', () => {
  it('defaults the service account and mounts the projected token, CA and namespace in every container', () => {
    const pod = { spec: { containers: [{ name: 'a' }], initContainers: [{ name: 'i' }] } as Record<string, unknown> };
    admitPodServiceAccount(pod, () => 0);
    expect(pod.spec.serviceAccountName).toBe('default');
    expect(pod.spec.volumes).toEqual([tokenVolume('kube-api-access-bbbbb')]);
    const mount = { name: 'kube-api-access-bbbbb', readOnly: true, mountPath: SERVICE_ACCOUNT_MOUNT };
    expect(pod.spec.containers).toEqual([{ name: 'a', volumeMounts: [mount] }]);
    expect(pod.spec.initContainers).toEqual([{ name: 'i', volumeMounts: [mount] }]);
  });

  it('adds nothing when automountServiceAccountToken is false, and leaves mirror pods alone', () => {
    const off = { spec: { serviceAccountName: 'builder', automountServiceAccountToken: false, containers: [{ name: 'a' }] } as Record<string, unknown> };
    admitPodServiceAccount(off);
    expect(off.spec.volumes).toBeUndefined();
    const mirror = { metadata: { annotations: { 'kubernetes.io/config.mirror': 'h' } }, spec: { containers: [{ name: 'a' }] } as Record<string, unknown> };
    admitPodServiceAccount(mirror);
    expect(mirror.spec).toEqual({ containers: [{ name: 'a' }] });
  });
});
