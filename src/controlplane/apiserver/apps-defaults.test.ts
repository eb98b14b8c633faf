import { describe, expect, it } from 'vitest';
import { defaultDaemonSet, defaultDeployment, defaultReplicaSet, defaultStatefulSet } from './apps-defaults.js';
import type { KubeObject } from './storage.js';

const object = (kind: string, spec: Record<string, unknown> = {}): KubeObject => ({ apiVersion: 'apps/v1', kind, metadata: { name: 'x' }, spec });

describe('apps/v1 defaults (upstream pkg/apis/apps/v1/defaults.go)', () => {
  it('gives a Deployment 1 replica, RollingUpdate 25%/25%, 10 revisions and a 600 s progress deadline', () => {
    const d = object('Deployment');
    defaultDeployment(d);
    expect(d.spec).toEqual({ replicas: 1, revisionHistoryLimit: 10, strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } }, progressDeadlineSeconds: 600 });
  });

  it('keeps what was sent and gives Recreate no rollingUpdate', () => {
    const d = object('Deployment', { replicas: 0, revisionHistoryLimit: 0, strategy: { type: 'Recreate' } });
    defaultDeployment(d);
    expect(d.spec).toMatchObject({ replicas: 0, revisionHistoryLimit: 0, strategy: { type: 'Recreate' } });
    expect((d.spec as { strategy: object }).strategy).not.toHaveProperty('rollingUpdate');
    const partial = object('Deployment', { strategy: { rollingUpdate: { maxSurge: 2 } } });
    defaultDeployment(partial);
    expect((partial.spec as { strategy: object }).strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 2, maxUnavailable: '25%' } });
  });

  it('gives a ReplicaSet 1 replica', () => {
    const rs = object('ReplicaSet');
    defaultReplicaSet(rs);
    expect(rs.spec).toEqual({ replicas: 1 });
  });

  it('gives a DaemonSet RollingUpdate with maxUnavailable 1 and maxSurge 0, and OnDelete nothing more', () => {
    const ds = object('DaemonSet');
    defaultDaemonSet(ds);
    expect(ds.spec).toEqual({ revisionHistoryLimit: 10, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } } });
    const onDelete = object('DaemonSet', { updateStrategy: { type: 'OnDelete' } });
    defaultDaemonSet(onDelete);
    expect((onDelete.spec as Record<string, unknown>).updateStrategy).toEqual({ type: 'OnDelete' });
  });

  it('gives a StatefulSet OrderedReady, RollingUpdate partition 0 and Retain for its PVCs', () => {
    const sts = object('StatefulSet');
    defaultStatefulSet(sts);
    expect(sts.spec).toEqual({
      replicas: 1, revisionHistoryLimit: 10, podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
    });
  });

  it('leaves an explicit RollingUpdate StatefulSet without rollingUpdate as sent, as upstream', () => {
    const sts = object('StatefulSet', { podManagementPolicy: 'Parallel', updateStrategy: { type: 'RollingUpdate' } });
    defaultStatefulSet(sts);
    expect((sts.spec as Record<string, unknown>).updateStrategy).toEqual({ type: 'RollingUpdate' });
    expect((sts.spec as Record<string, unknown>).podManagementPolicy).toBe('Parallel');
  });
});
