import { afterEach, describe, expect, it } from 'vitest';
import { KubeApiError, type KubeObject } from '../../kube/index.js';
import { ref } from '../common/resources.js';
import { eventually, FakeApi, runAgainstFake, stopFakes } from '../../../test/helpers/fake-api.js';
import { runSchedulingLoop, unschedulablePod } from './scheduler.js';
import type { Pod, SchedulerNode } from './schedule.js';

const readyNode = (name: string, cpu = '2'): SchedulerNode => ({ apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: {}, status: { allocatable: { cpu, memory: '4Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] } });
const pendingPod = (name: string, cpu = '500m'): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'c', resources: { requests: { cpu } } }] }, status: { phase: 'Pending' } });

describe('unschedulable condition', () => {
  it('sets PodScheduled=False, reason Unschedulable, once per message', () => {
    const p = unschedulablePod(pendingPod('p'), '0/1 nodes are available: 1 Insufficient cpu.', new Date('2026-01-01T00:00:00Z'))!;
    expect(p.status?.conditions).toEqual([{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient cpu.', lastProbeTime: null, lastTransitionTime: '2026-01-01T00:00:00Z' }]);
    expect(p.status?.phase).toBe('Pending');
    expect(unschedulablePod(p, '0/1 nodes are available: 1 Insufficient cpu.', new Date())).toBeUndefined();
  });
});

describe('scheduling loop (against the in-memory FakeApi)', () => {
  afterEach(stopFakes);

  function start() {
    const api = new FakeApi();
    api.on('POST', /\/pods\/[^/]+\/binding$/, (body, path) => {
      const b = body as { metadata: { name: string; namespace: string }; target: { name: string } };
      const current = api.find<Pod>(ref('pods'), b.metadata.namespace, b.metadata.name)!;
      if (current.spec.nodeName) throw Object.assign(new Error('already bound'), { status: 409 });
      api.put(ref('pods'), { ...current, spec: { ...current.spec, nodeName: b.target.name } });
      return { kind: 'Status', status: 'Success', path };
    });
    runAgainstFake(api, runSchedulingLoop);
    const get = (name: string) => api.find<Pod>(ref('pods'), 'default', name)!;
    return { api, get };
  }

  it('binds pods through pods/<name>/binding, counting each placement before the next, and leaves them Pending', async () => {
    const { api, get } = start();
    api.put(ref('nodes'), readyNode('a', '1'));
    api.put(ref('nodes'), readyNode('b', '1'));
    for (const name of ['p1', 'p2', 'p3']) api.put(ref('pods'), pendingPod(name, '600m'));
    await eventually(() => get('p3').status?.conditions?.length === 1 || Boolean(get('p3').spec.nodeName));
    await eventually(() => [get('p1'), get('p2'), get('p3')].filter((p) => p.spec.nodeName).length === 2);
    const nodesUsed = [get('p1'), get('p2'), get('p3')].map((p) => p.spec.nodeName).filter(Boolean).sort();
    expect(nodesUsed).toEqual(['a', 'b']);
    for (const p of [get('p1'), get('p2'), get('p3')]) expect(p.status?.phase).toBe('Pending');
    const unplaced = [get('p1'), get('p2'), get('p3')].find((p) => !p.spec.nodeName)!;
    expect(unplaced.status?.conditions?.[0]).toMatchObject({ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/2 nodes are available: 2 Insufficient cpu.' });
    expect(api.calls.filter((c) => c.path.endsWith('/binding'))).toHaveLength(2);
    await eventually(() => api.all(ref('events'), 'default').length === 3);
    const events = api.all<KubeObject & { reason?: string; message?: string; type?: string }>(ref('events'), 'default').map((e) => `${e.type} ${e.reason}`).sort();
    expect(events).toEqual(['Normal Scheduled', 'Normal Scheduled', 'Warning FailedScheduling']);
  });

  it('retries a binding the API refused, with back-off, and binds it then', async () => {
    const { api, get } = start();
    let refusals = 2;
    api.on('POST', /\/pods\/flaky\/binding$/, (body) => {
      if (refusals-- > 0) throw new KubeApiError(500, 'InternalError', 'etcd timeout');
      const b = body as { target: { name: string } };
      api.put(ref('pods'), { ...get('flaky'), spec: { ...get('flaky').spec, nodeName: b.target.name } });
      return {};
    });
    api.put(ref('nodes'), readyNode('a'));
    api.put(ref('pods'), pendingPod('flaky'));
    await eventually(() => get('flaky').spec.nodeName === 'a');
    expect(api.calls.filter((c) => c.path.endsWith('flaky/binding'))).toHaveLength(3);
  });

  it('places an unschedulable pod once a node that fits joins', async () => {
    const { api, get } = start();
    api.put(ref('pods'), pendingPod('p'));
    await eventually(() => get('p').status?.conditions?.[0]?.message === 'no nodes available to schedule pods');
    api.put(ref('nodes'), readyNode('late'));
    await eventually(() => get('p').spec.nodeName === 'late');
  });

  it('leaves pods that name their node or another scheduler alone', async () => {
    const { api } = start();
    api.put(ref('nodes'), readyNode('a'));
    api.put(ref('pods'), { ...pendingPod('mine'), spec: { ...pendingPod('mine').spec, nodeName: 'a' } });
    api.put(ref('pods'), { ...pendingPod('other'), spec: { ...pendingPod('other').spec, schedulerName: 'custom' } });
    api.put(ref('pods'), pendingPod('canary'));
    await eventually(() => api.calls.some((c) => c.path.endsWith('canary/binding')));
    expect(api.calls.filter((c) => c.path.endsWith('/binding'))).toHaveLength(1);
  });
});
