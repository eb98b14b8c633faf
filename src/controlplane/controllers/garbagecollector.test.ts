import { afterEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/index.js';
import { ref } from '../common/resources.js';
import { eventually, FakeApi, runAgainstFake, stopFakes } from '../../../test/helpers/fake-api.js';
import { finalizersForPropagation, requestedPropagation } from '../apiserver/gc-deletion.js';
import { garbageCollectorController, isGarbage, ownerStep } from './garbagecollector.js';

const T = '2026-01-01T00:00:00Z';
const obj = (kind: string, name: string, owners: Array<{ owner: KubeObject; block?: boolean }> = [], meta: Partial<KubeObject['metadata']> = {}): KubeObject => ({
  apiVersion: kind === 'Pod' ? 'v1' : 'apps/v1', kind,
  metadata: { name, namespace: 'default', uid: `${kind}-${name}`, ownerReferences: owners.map(({ owner, block }) => ({ apiVersion: owner.apiVersion!, kind: owner.kind!, name: owner.metadata.name!, uid: owner.metadata.uid!, controller: true, ...(block ? { blockOwnerDeletion: true } : {}) })), ...meta },
});
const deleting = (finalizer: string) => ({ deletionTimestamp: T, finalizers: [finalizer] });

describe('DeleteOptions propagation (API server)', () => {
  it('turns propagationPolicy and orphanDependents into the GC finalizers', () => {
    const q = new URLSearchParams();
    expect(finalizersForPropagation(['a'], requestedPropagation({ propagationPolicy: 'Foreground' }, q))).toEqual(['a', 'foregroundDeletion']);
    expect(finalizersForPropagation(['a'], requestedPropagation({ orphanDependents: true }, q))).toEqual(['a', 'orphan']);
    expect(finalizersForPropagation(['orphan', 'a'], requestedPropagation({ propagationPolicy: 'Background' }, q))).toEqual(['a']);
    expect(finalizersForPropagation(['orphan'], requestedPropagation({}, q))).toEqual(['orphan']);
    expect(requestedPropagation({}, new URLSearchParams('propagationPolicy=Orphan'))).toBe('Orphan');
  });

  it('refuses an unknown policy and both fields at once with 422', () => {
    expect(() => requestedPropagation({ propagationPolicy: 'Sideways' }, new URLSearchParams())).toThrow(/Unsupported value: "Sideways"/);
    expect(() => requestedPropagation({ propagationPolicy: 'Orphan', orphanDependents: true }, new URLSearchParams())).toThrow(/cannot be both set/);
  });
});

describe('garbage collector decisions', () => {
  const deploy = obj('Deployment', 'web');
  const rs = obj('ReplicaSet', 'web-1', [{ owner: deploy, block: true }]);

  it('collects a dependent only when all of its owners are gone', () => {
    expect(isGarbage(rs, () => false)).toBe(true);
    expect(isGarbage(rs, () => true)).toBe(false);
    expect(isGarbage(obj('Pod', 'free'), () => false)).toBe(false);
  });

  it('foreground: deletes dependents (in the foreground when they have dependents) and keeps the owner until they are gone', () => {
    const owner = { ...deploy, metadata: { ...deploy.metadata, ...deleting('foregroundDeletion') } };
    const loose = obj('Pod', 'loose', [{ owner: deploy }]);
    const step = ownerStep(owner, [rs, loose, obj('Pod', 'web-1-a', [{ owner: rs, block: true }])], () => false);
    expect(step.delete.map((d) => `${d.dependent.metadata.name}:${d.policy}`)).toEqual(['web-1:Foreground', 'loose:Background']);
    expect(step.release).toBeUndefined();
    // A blocking dependent still being deleted keeps blocking; a non-blocking one does not.
    const rsGoing = { ...rs, metadata: { ...rs.metadata, deletionTimestamp: T } };
    expect(ownerStep(owner, [rsGoing, loose], () => false)).toMatchObject({ delete: [{ dependent: { metadata: { name: 'loose' } } }], release: undefined });
    expect(ownerStep(owner, [loose], () => false).release).toBe('foregroundDeletion');
  });

  it('foreground: spares a dependent another live owner holds, dropping the reference instead', () => {
    const owner = { ...deploy, metadata: { ...deploy.metadata, ...deleting('foregroundDeletion') } };
    const other = obj('Deployment', 'other');
    const shared = obj('ReplicaSet', 'shared', [{ owner: deploy }, { owner: other }]);
    const step = ownerStep(owner, [shared], (r) => r.uid === other.metadata.uid);
    expect(step.delete).toEqual([]);
    expect(step.orphan.map((d) => d.metadata.name)).toEqual(['shared']);
  });

  it('orphan: removes the owner reference from every dependent, then the finalizer', () => {
    const owner = { ...deploy, metadata: { ...deploy.metadata, ...deleting('orphan') } };
    expect(ownerStep(owner, [rs], () => false)).toMatchObject({ delete: [], orphan: [rs], release: undefined });
    expect(ownerStep(owner, [obj('ReplicaSet', 'unrelated')], () => false).release).toBe('orphan');
  });
});

describe('garbage collector loop (FakeApi)', () => {
  afterEach(stopFakes);
  const refs = { deploy: ref('deployments', 'default'), rs: ref('replicasets', 'default'), pods: ref('pods', 'default') };

  it('background: deletes the ReplicaSet of a deleted Deployment, then its pods', async () => {
    const api = new FakeApi();
    const deploy = obj('Deployment', 'web');
    const rs = obj('ReplicaSet', 'web-1', [{ owner: deploy, block: true }]);
    api.put(refs.rs, rs);
    api.put(refs.pods, obj('Pod', 'web-1-a', [{ owner: rs, block: true }]));
    runAgainstFake(api, garbageCollectorController);
    await eventually(() => api.all(refs.rs).length === 0 && api.all(refs.pods).length === 0, 5000, 'cascade');
  });

  it('foreground: deletes the ReplicaSet first and only then lets the Deployment go', async () => {
    const api = new FakeApi();
    const deploy = obj('Deployment', 'web', [], deleting('foregroundDeletion'));
    api.put(refs.deploy, deploy);
    api.put(refs.rs, obj('ReplicaSet', 'web-1', [{ owner: deploy, block: true }]));
    runAgainstFake(api, garbageCollectorController);
    await eventually(() => (api.find(refs.deploy, 'default', 'web')?.metadata.finalizers ?? []).length === 0, 5000, 'finalizer released');
    expect(api.all(refs.rs)).toEqual([]);
    const deletes = api.calls.filter((c) => c.method === 'DELETE' || (c.method === 'PATCH' && c.path.includes('deployments')));
    expect(deletes.map((c) => c.method)).toEqual(['DELETE', 'PATCH']);
  });

  it('orphan: leaves the ReplicaSet without its owner reference', async () => {
    const api = new FakeApi();
    const deploy = obj('Deployment', 'web', [], deleting('orphan'));
    api.put(refs.deploy, deploy);
    api.put(refs.rs, obj('ReplicaSet', 'web-1', [{ owner: deploy, block: true }]));
    runAgainstFake(api, garbageCollectorController);
    await eventually(() => (api.find(refs.deploy, 'default', 'web')?.metadata.finalizers ?? []).length === 0, 5000, 'finalizer released');
    expect(api.find(refs.rs, 'default', 'web-1')?.metadata.ownerReferences).toEqual([]);
  });
});
