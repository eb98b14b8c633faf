import { afterEach, describe, expect, it } from 'vitest';
import { ref } from '../common/resources.js';
import { eventually, FakeApi, runAgainstFake, stopFakes } from '../../../test/helpers/fake-api.js';
import { judgedTaints, nodeLifecycleController, nodeLifecycleUpdate, observeNodeHealth, type Node, type NodeHealth, type NodeLease, type Taint } from './nodelifecycle.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const GRACE = 40_000;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

function node(ready: string | undefined, heartbeat = T0, taints: Taint[] = []): Node {
  return {
    apiVersion: 'v1', kind: 'Node', metadata: { name: 'w1', creationTimestamp: iso(T0 - 60_000) },
    spec: { taints },
    status: { conditions: ready ? [{ type: 'Ready', status: ready, reason: 'KubeletReady', lastHeartbeatTime: iso(heartbeat), lastTransitionTime: iso(T0 - 60_000) }] : [] },
  };
}
const lease = (renew: number): NodeLease => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'w1', namespace: 'kube-node-lease' }, spec: { holderIdentity: 'w1', renewTime: new Date(renew).toISOString() } });

describe('nodelifecycle health (fake time)', () => {
  it('starts the grace period when it first sees a node, whatever the Lease says', () => {
    expect(observeNodeHealth(undefined, node('True', T0 - 3_600_000), lease(T0 - 3_600_000), T0).probeTimestamp).toBe(T0);
  });

  it('counts a renewed Lease as a sign of life', () => {
    const first = observeNodeHealth(undefined, node('True'), lease(T0), T0);
    expect(observeNodeHealth(first, node('True'), lease(T0 + 10_000), T0 + 10_000).probeTimestamp).toBe(T0 + 10_000);
  });

  it('does not count the same Lease seen again', () => {
    const first = observeNodeHealth(undefined, node('True'), lease(T0), T0);
    expect(observeNodeHealth(first, node('True'), lease(T0), T0 + 30_000).probeTimestamp).toBe(T0);
  });

  it('counts a new Ready heartbeat without a Lease', () => {
    const first = observeNodeHealth(undefined, node('True', T0), undefined, T0);
    expect(observeNodeHealth(first, node('True', T0 + 20_000), undefined, T0 + 25_000).probeTimestamp).toBe(T0 + 25_000);
  });
});

describe('nodelifecycle decisions (fake time)', () => {
  const seen: NodeHealth = { probeTimestamp: T0 };

  it('leaves a Ready node alone within the grace period (40 s)', () => {
    expect(nodeLifecycleUpdate(node('True'), seen, T0 + GRACE, GRACE)).toBeUndefined();
  });

  it('marks a node Unknown with NodeStatusUnknown and taints it unreachable once the grace period has passed', () => {
    const update = nodeLifecycleUpdate(node('True'), seen, T0 + GRACE + 1, GRACE)!;
    expect(update.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastHeartbeatTime: iso(T0), lastTransitionTime: iso(T0 + GRACE + 1) });
    expect(update.taints).toEqual([
      { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: iso(T0 + GRACE + 1) },
    ]);
  });

  it('adds the pressure conditions as NodeStatusNeverUpdated when the agent never posted them', () => {
    const update = nodeLifecycleUpdate(node('True'), seen, T0 + GRACE + 1, GRACE)!;
    expect(update.conditions?.map((c) => `${c.type}=${c.status}:${c.reason}`)).toEqual(['Ready=Unknown:NodeStatusUnknown', 'MemoryPressure=Unknown:NodeStatusNeverUpdated', 'DiskPressure=Unknown:NodeStatusNeverUpdated', 'PIDPressure=Unknown:NodeStatusNeverUpdated']);
  });

  it('marks a node that never reported Ready with NodeStatusNeverUpdated', () => {
    expect(nodeLifecycleUpdate(node(undefined), seen, T0 + GRACE + 1, GRACE)?.conditions?.[0]).toMatchObject({ type: 'Ready', status: 'Unknown', reason: 'NodeStatusNeverUpdated' });
  });

  it('writes nothing more for a node already Unknown and tainted', () => {
    const first = nodeLifecycleUpdate(node('True'), seen, T0 + GRACE + 1, GRACE)!;
    const judged: Node = { ...node('True'), spec: { taints: first.taints }, status: { conditions: first.conditions } };
    expect(nodeLifecycleUpdate(judged, seen, T0 + GRACE + 60_000, GRACE)).toBeUndefined();
  });

  it('removes the unreachable taints once the node reports Ready again, keeping other taints', () => {
    const cp = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' };
    const tainted = node('True', T0 + 100_000, [cp, { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' }, { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: iso(T0) }]);
    expect(nodeLifecycleUpdate(tainted, { probeTimestamp: T0 + 100_000 }, T0 + 101_000, GRACE)).toEqual({ taints: [cp] });
  });

  it('taints a node reporting Ready=False not-ready', () => {
    expect(judgedTaints([], 'False', T0).map((t) => `${t.key}:${t.effect}`)).toEqual(['node.kubernetes.io/not-ready:NoSchedule', 'node.kubernetes.io/not-ready:NoExecute']);
  });

  it('swaps not-ready for unreachable when a NotReady node goes silent', () => {
    const notReady = judgedTaints([], 'False', T0);
    expect(judgedTaints(notReady, 'Unknown', T0 + 1).map((t) => `${t.key}:${t.effect}`)).toEqual(['node.kubernetes.io/unreachable:NoSchedule', 'node.kubernetes.io/unreachable:NoExecute']);
  });
});

describe('nodelifecycle loop (against the in-memory FakeApi, 300 ms grace)', () => {
  afterEach(stopFakes);

  it('marks a silent node Unknown and tainted, then clears the taints when it renews and reports Ready', async () => {
    const api = new FakeApi();
    const put = (n: Node) => api.put(ref('nodes'), n);
    const fresh = () => node('True', Date.now());
    put(fresh());
    api.put(ref('leases'), lease(Date.now()));
    // When the controller writes the node's status tells whether it waited for the grace period.
    const statusWrites: number[] = [];
    const update = api.update.bind(api);
    api.update = ((r, o) => (r.subresource === 'status' && statusWrites.push(Date.now()), update(r, o))) as FakeApi['update'];
    const started = Date.now();
    runAgainstFake(api, nodeLifecycleController({ gracePeriodMs: 300, monitorPeriodMs: 20 }));
    const get = () => api.find<Node>(ref('nodes'), undefined, 'w1')!;
    await eventually(() => (get().spec?.taints?.length ?? 0) === 2, 3000, 'the unreachable taints');
    expect(statusWrites[0]! - started).toBeGreaterThanOrEqual(300);
    expect(get().status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('Unknown');
    // The agent comes back: renews its Lease and posts Ready.
    api.put(ref('leases'), lease(Date.now()));
    const back = get();
    back.status!.conditions = back.status!.conditions!.map((c) => (c.type === 'Ready' ? { ...c, status: 'True', reason: 'KubeletReady', lastHeartbeatTime: new Date().toISOString() } : c));
    put(back);
    await eventually(() => (get().spec?.taints?.length ?? 0) === 0, 3000, 'the taints to go');
    expect(get().status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });
});
