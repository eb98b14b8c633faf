import { afterEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/index.js';
import { ref } from '../common/resources.js';
import { eventually, FakeApi, runAgainstFake, stopFakes } from '../../../test/helpers/fake-api.js';
import { deletableResources, finalizedNamespace, namespaceController } from './namespace.js';

const CORE = { groupVersion: 'v1', resources: [
  { name: 'configmaps', namespaced: true, verbs: ['create', 'delete', 'get', 'list'] },
  { name: 'events', namespaced: true, verbs: ['create', 'delete', 'get', 'list'] },
  { name: 'pods', namespaced: true, verbs: ['create', 'delete', 'get', 'list'] },
  { name: 'pods/status', namespaced: true, verbs: ['get', 'update'] },
  { name: 'nodes', namespaced: false, verbs: ['delete', 'get', 'list'] },
  { name: 'bindings', namespaced: true, verbs: ['create'] },
] };
const APPS = { groupVersion: 'apps/v1', resources: [{ name: 'deployments', namespaced: true, verbs: ['delete', 'list'] }] };

describe('namespace decisions', () => {
  it('empties every namespaced, listable, deletable resource, events last, no subresources', () => {
    expect(deletableResources([CORE, APPS]).map((r) => `${r.group ?? ''}/${r.resource}`)).toEqual(['/configmaps', '/pods', 'apps/deployments', '/events']);
  });
  it('removes only the kubernetes finalizer', () => {
    const ns: KubeObject = { metadata: { name: 'a' }, spec: { finalizers: ['kubernetes', 'example.com/x'] } };
    expect(finalizedNamespace(ns).spec).toEqual({ finalizers: ['example.com/x'] });
  });
});

describe('namespace loop (against the in-memory FakeApi)', () => {
  afterEach(stopFakes);

  it('deletes what a terminating namespace holds, then finalizes it, and leaves other namespaces alone', async () => {
    const api = new FakeApi();
    api.on('GET', /^\/api\/v1$/, () => CORE);
    api.on('GET', /^\/apis$/, () => ({ groups: [{ preferredVersion: { groupVersion: 'apps/v1' } }] }));
    api.on('GET', /^\/apis\/apps\/v1$/, () => APPS);
    api.put(ref('namespaces'), { metadata: { name: 'team' }, spec: { finalizers: ['kubernetes'] } });
    api.put(ref('namespaces'), { metadata: { name: 'other' }, spec: { finalizers: ['kubernetes'] } });
    for (const namespace of ['team', 'other']) {
      api.put(ref('configmaps'), { metadata: { name: 'c', namespace } });
      api.put(ref('pods'), { metadata: { name: 'p', namespace } });
      api.put(ref('deployments'), { metadata: { name: 'd', namespace } });
    }
    runAgainstFake(api, namespaceController);
    await api.delete(ref('namespaces', undefined, 'team'));
    await eventually(() => !api.find(ref('namespaces'), undefined, 'team'), 4000, 'the namespace to go');
    for (const r of ['configmaps', 'pods', 'deployments'] as const) {
      expect(api.all(ref(r), 'team')).toEqual([]);
      expect(api.all(ref(r), 'other')).toHaveLength(1);
    }
    expect(api.calls.some((c) => c.method === 'PUT' && c.path === '/api/v1/namespaces/team/finalize')).toBe(true);
  });
});
