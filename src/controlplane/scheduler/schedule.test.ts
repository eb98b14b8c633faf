import { describe, expect, it } from 'vitest';
import { milliCPU, parseQuantity, wholeUnits } from '../../kube/quantity.js';
import { leastAllocatedScore, podRequests, schedule, tolerates, type Pod, type SchedulerNode } from './schedule.js';

const node = (name: string, opts: { ready?: boolean; cpu?: string; memory?: string; pods?: string; labels?: Record<string, string>; taints?: Array<{ key: string; value?: string; effect: string }>; unschedulable?: boolean } = {}): SchedulerNode => ({
  apiVersion: 'v1', kind: 'Node', metadata: { name, labels: opts.labels ?? {} },
  spec: { taints: opts.taints ?? [], unschedulable: opts.unschedulable },
  status: { allocatable: { cpu: opts.cpu ?? '2', memory: opts.memory ?? '4Gi', pods: opts.pods ?? '110' }, conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] },
});

const pod = (name: string, spec: Partial<Pod['spec']> & { cpu?: string; memory?: string } = {}): Pod => {
  const { cpu, memory, ...rest } = spec;
  const requests: Record<string, string> = {};
  if (cpu) requests.cpu = cpu;
  if (memory) requests.memory = memory;
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'c', resources: { requests } }], ...rest } };
};

describe('quantities', () => {
  it('parses cpu and memory the way Kubernetes does', () => {
    expect(milliCPU('100m')).toBe(100);
    expect(milliCPU('0.5')).toBe(500);
    expect(milliCPU('2')).toBe(2000);
    expect(milliCPU('1.0001')).toBe(1001);
    expect(wholeUnits('128Mi')).toBe(128 * 2 ** 20);
    expect(wholeUnits('1G')).toBe(1e9);
    expect(wholeUnits('1e3')).toBe(1000);
    expect(wholeUnits('110')).toBe(110);
    expect(parseQuantity('12x')).toBeUndefined();
  });
});

describe('pod requests', () => {
  it('sums containers, takes the largest init container when bigger, and adds overhead', () => {
    const p: Pod = { metadata: { name: 'p' }, spec: {
      containers: [{ name: 'a', resources: { requests: { cpu: '100m', memory: '64Mi' } } }, { name: 'b', resources: { requests: { cpu: '200m' } } }],
      initContainers: [{ name: 'i', resources: { requests: { cpu: '1', memory: '32Mi' } } }],
      overhead: { cpu: '10m' },
    } };
    expect(podRequests(p)).toEqual({ milliCPU: 1010, memory: 64 * 2 ** 20 });
  });
  it('uses 100m and 200Mi for containers without requests when scoring', () => {
    expect(podRequests(pod('p'), true)).toEqual({ milliCPU: 100, memory: 200 * 2 ** 20 });
    expect(podRequests(pod('p'))).toEqual({ milliCPU: 0, memory: 0 });
  });
});

describe('tolerations', () => {
  const taint = { key: 'k', value: 'v', effect: 'NoSchedule' };
  it('matches Equal on key, value and effect', () => {
    expect(tolerates({ key: 'k', value: 'v', effect: 'NoSchedule' }, taint)).toBe(true);
    expect(tolerates({ key: 'k', value: 'w', effect: 'NoSchedule' }, taint)).toBe(false);
    expect(tolerates({ key: 'k', value: 'v', effect: 'NoExecute' }, taint)).toBe(false);
  });
  it('matches Exists on the key whatever the value, and an empty key with Exists matches everything', () => {
    expect(tolerates({ key: 'k', operator: 'Exists' }, taint)).toBe(true);
    expect(tolerates({ operator: 'Exists' }, taint)).toBe(true);
    expect(tolerates({ operator: 'Exists', effect: 'NoExecute' }, taint)).toBe(false);
  });
});

describe('schedule', () => {
  it('names the unreachable taint for a node the lifecycle controller marked, as upstream does', () => {
    const gone = node('w1', { ready: false, taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' }, { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] });
    expect(schedule(pod('p'), [gone], [])).toEqual({ message: '0/1 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }.' });
  });

  it('picks the only Ready node', () => {
    expect(schedule(pod('p'), [node('a', { ready: false }), node('b')], [])).toEqual({ node: 'b' });
  });

  it('picks the least allocated node, ties by name', () => {
    const busy = pod('x', { cpu: '1', memory: '1Gi', nodeName: 'a' });
    expect(schedule(pod('p'), [node('a'), node('b')], [busy])).toEqual({ node: 'b' });
    expect(schedule(pod('p'), [node('c'), node('b')], [])).toEqual({ node: 'b' });
  });

  it('scores free cpu and memory shares after placing the pod', () => {
    const usage = { milliCPU: 0, memory: 0, pods: 0, nonZero: { milliCPU: 1000, memory: 2 * 2 ** 30 } };
    expect(leastAllocatedScore(pod('p', { cpu: '1', memory: '1Gi' }), node('a', { cpu: '4', memory: '4Gi' }), usage)).toBe(37);
  });

  it('honours nodeSelector', () => {
    expect(schedule(pod('p', { nodeSelector: { disk: 'ssd' } }), [node('a'), node('b', { labels: { disk: 'ssd' } })], [])).toEqual({ node: 'b' });
  });

  it('honours matchFields on metadata.name (how the DaemonSet controller pins its pods)', () => {
    const affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In' as const, values: ['b'] }] }] } } };
    expect(schedule(pod('p', { affinity }), [node('a'), node('b')], [])).toEqual({ node: 'b' });
  });

  it('honours required node affinity', () => {
    const affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In' as const, values: ['z2'] }] }] } } };
    expect(schedule(pod('p', { affinity }), [node('a', { labels: { zone: 'z1' } }), node('b', { labels: { zone: 'z2' } })], [])).toEqual({ node: 'b' });
  });

  it('keeps pods off tainted nodes unless they tolerate the taint (NoSchedule and NoExecute)', () => {
    const cp = node('cp', { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] });
    const gone = node('w', { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] });
    expect(schedule(pod('p'), [cp, gone], [])).toEqual({ message: '0/2 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }.' });
    expect(schedule(pod('p', { tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }] }), [cp, gone], [])).toEqual({ node: 'cp' });
  });

  it('ignores PreferNoSchedule taints when filtering', () => {
    expect(schedule(pod('p'), [node('a', { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] })], [])).toEqual({ node: 'a' });
  });

  it('skips cordoned nodes unless the pod tolerates node.kubernetes.io/unschedulable', () => {
    expect(schedule(pod('p'), [node('a', { unschedulable: true })], [])).toEqual({ message: '0/1 nodes are available: 1 node(s) were unschedulable.' });
    expect(schedule(pod('p', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists' }] }), [node('a', { unschedulable: true })], [])).toEqual({ node: 'a' });
  });

  it('counts the requests of pods already bound against allocatable', () => {
    const bound = [pod('x', { cpu: '1500m', nodeName: 'a' })];
    expect(schedule(pod('p', { cpu: '600m' }), [node('a')], bound)).toEqual({ message: '0/1 nodes are available: 1 Insufficient cpu.' });
    expect(schedule(pod('p', { cpu: '500m' }), [node('a')], bound)).toEqual({ node: 'a' });
  });

  it('does not count finished pods', () => {
    const done = { ...pod('x', { cpu: '2', nodeName: 'a' }), status: { phase: 'Succeeded' } };
    expect(schedule(pod('p', { cpu: '1' }), [node('a')], [done])).toEqual({ node: 'a' });
  });

  it('reports memory and pod count shortages with upstream wording, sorted', () => {
    const nodes = [node('a', { memory: '1Gi' }), node('b', { pods: '1' }), node('c', { ready: false })];
    const bound = [pod('x', { nodeName: 'b' })];
    expect(schedule(pod('p', { memory: '2Gi' }), nodes, bound)).toEqual({ message: '0/3 nodes are available: 1 Insufficient memory, 1 Too many pods, 1 node(s) were not ready.' });
  });

  it('says so when there are no nodes at all', () => {
    expect(schedule(pod('p'), [], [])).toEqual({ message: 'no nodes available to schedule pods' });
  });
});
