import { afterEach, describe, expect, it } from 'vitest';
import { eventually, FakeApi } from '../../test/helpers/fake-api.js';
import { systemClock } from '../host/index.js';
import type { KubeObject } from '../kube/index.js';
import { createMemoryLogger } from '../log.js';
import type { ApiConnection } from './api-connection.js';
import { ApiPods } from './api-pods.js';
import { Listeners } from './listeners.js';
import type { Container, StaticPod } from './pod.js';
import type { ContainerRuntimeState, PodRunner } from './runner.js';

const pods = { version: 'v1', resource: 'pods' } as const;

/** A runner whose container starts wait until the test lets them go; it counts starts in flight and status calls. */
class GatedRunner implements PodRunner {
  readonly running = new Map<string, ContainerRuntimeState>();
  readonly exits = new Listeners<[podUid: string, containerName: string]>();
  inFlight = 0;
  maxInFlight = 0;
  /** Names of the pods whose container start began, in order. */
  readonly begun: string[] = [];
  statusCalls = 0;
  private gate: Promise<void> = Promise.resolve();
  private open: () => void = () => {};

  hold(): void {
    this.gate = new Promise((r) => (this.open = r));
  }

  release(): void {
    this.open();
  }

  async listPods(): Promise<StaticPod[]> {
    return [];
  }
  async startPod(): Promise<void> {}
  async adopt(): Promise<Map<string, ContainerRuntimeState>> {
    return new Map();
  }
  async startContainer(pod: StaticPod, _container: Container, restartCount: number): Promise<ContainerRuntimeState> {
    this.inFlight++;
    this.begun.push(pod.pod.metadata.name);
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await this.gate;
    this.inFlight--;
    const state: ContainerRuntimeState = { state: 'running', id: `id-${pod.pod.metadata.name}`, startedAt: new Date(), restartCount };
    this.running.set(pod.pod.metadata.uid, state);
    return state;
  }
  async stopContainer(): Promise<void> {}
  async stopPod(pod: StaticPod): Promise<void> {
    this.running.delete(pod.pod.metadata.uid);
  }
  async status(pod: StaticPod): Promise<Map<string, ContainerRuntimeState>> {
    this.statusCalls++;
    const state = this.running.get(pod.pod.metadata.uid);
    return new Map(state ? [[pod.pod.spec.containers[0]!.name, state]] : []);
  }
  async exec() {
    return { exitCode: 0, output: '' };
  }
  logPath(): string {
    return '/dev/null';
  }
  podIPs(): string[] {
    return ['10.0.0.2'];
  }
  onContainerExit(listener: (podUid: string, containerName: string) => void) {
    return this.exits.add(listener);
  }
  detach(): void {}
}

function podObject(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { nodeName: 'n1', containers: [{ name: 'app', image: 'busybox' }] } } as KubeObject;
}

const started: ApiPods[] = [];

function startApiPods(api: FakeApi, runner: GatedRunner, extra: { parallelStarts?: number; podResyncMs?: number } = {}): ApiPods {
  const connection = { client: () => api, onConnected: (listener: (client: unknown) => void) => (listener(api), () => {}) } as unknown as ApiConnection;
  const apiPods = new ApiPods({
    nodeName: 'n1',
    connection,
    runnerFor: () => runner,
    runtimes: [runner],
    log: createMemoryLogger(),
    clock: systemClock,
    nodeAddress: '127.0.0.1',
    backoff: { baseMs: 10, maxMs: 100, resetAfterMs: 1000 },
    syncIntervalMs: 1000,
    defaultGracePeriodMs: 0,
    resyncMs: 60_000,
    ...extra,
  });
  started.push(apiPods);
  return apiPods;
}

afterEach(async () => {
  for (const p of started.splice(0)) await p.stop();
});

const phase = (api: FakeApi, name: string) => (api.find<KubeObject & { status?: { phase?: string } }>(pods, 'default', name)?.status?.phase);

describe('ApiPods', () => {
  it('starts new pods concurrently, at most parallelStarts at a time', async () => {
    const api = new FakeApi();
    const runner = new GatedRunner();
    runner.hold();
    for (let i = 0; i < 6; i++) api.put({ ...pods, namespace: 'default' }, podObject(`p${i}`));
    const apiPods = startApiPods(api, runner, { parallelStarts: 3 });
    await apiPods.start();
    await eventually(() => runner.inFlight === 3, 5000, 'three starts in flight');
    runner.release();
    await eventually(() => [0, 1, 2, 3, 4, 5].every((i) => phase(api, `p${i}`) === 'Running'), 5000, 'all six Running');
    expect(runner.maxInFlight).toBe(3);
  });

  it('starts a pod from its watch event, without waiting for the next list', async () => {
    const api = new FakeApi();
    const runner = new GatedRunner();
    const apiPods = startApiPods(api, runner);
    await apiPods.start();
    await eventually(() => api.listCalls.get('/v1/pods') === 1 && api.openWatches() === 1, 5000, 'the first list and the watch');
    api.put({ ...pods, namespace: 'default' }, podObject('late'));
    await eventually(() => phase(api, 'late') === 'Running', 5000, 'late Running');
    expect(api.listCalls.get('/v1/pods')).toBe(1);
  });

  it("syncs a pod's worker when its runner reports a container change, not every second", async () => {
    const api = new FakeApi();
    const runner = new GatedRunner();
    api.put({ ...pods, namespace: 'default' }, podObject('web'));
    const apiPods = startApiPods(api, runner, { podResyncMs: 60_000 });
    await apiPods.start();
    await eventually(() => phase(api, 'web') === 'Running', 5000, 'web Running');
    const uid = api.find(pods, 'default', 'web')!.metadata.uid!;
    const calls = runner.statusCalls;
    await new Promise((r) => setTimeout(r, 1500));
    expect(runner.statusCalls).toBe(calls);
    runner.running.set(uid, { state: 'exited', id: 'id-web', startedAt: new Date(), finishedAt: new Date(), exitCode: 1, reason: 'Error', restartCount: 0 });
    runner.exits.emit(uid, 'app');
    await eventually(() => runner.statusCalls > calls, 5000, 'a sync after the event');
    await eventually(() => runner.running.get(uid)?.state === 'running', 5000, 'the container restarted');
  });

  it('posts a status only when it changed, one PATCH per change', async () => {
    const api = new FakeApi();
    const runner = new GatedRunner();
    api.put({ ...pods, namespace: 'default' }, podObject('web'));
    const apiPods = startApiPods(api, runner);
    await apiPods.start();
    await eventually(() => phase(api, 'web') === 'Running', 5000, 'web Running');
    const patches = () => api.calls.filter((c) => c.method === 'PATCH' && c.path.endsWith('/pods/web/status')).length;
    const count = patches();
    await new Promise((r) => setTimeout(r, 300));
    expect(patches()).toBe(count);
    expect(count).toBeLessThanOrEqual(3);
  });

  it('never starts a pod deleted while it waited for its turn', async () => {
    const api = new FakeApi();
    const runner = new GatedRunner();
    runner.hold();
    for (const name of ['first', 'second']) api.put({ ...pods, namespace: 'default' }, podObject(name));
    const apiPods = startApiPods(api, runner, { parallelStarts: 1 });
    await apiPods.start();
    await eventually(() => runner.inFlight === 1, 5000, 'the first start in flight');
    const waiting = runner.begun[0] === 'first' ? 'second' : 'first';
    api.remove({ ...pods, namespace: 'default' }, 'default', waiting);
    await eventually(() => apiPods.pods().length === 1, 5000, 'the deleted pod forgotten');
    runner.release();
    await eventually(() => runner.running.size === 1, 5000, 'one pod running');
    await new Promise((r) => setTimeout(r, 100));
    expect(runner.begun).not.toContain(waiting);
    expect(runner.maxInFlight).toBe(1);
  });
});
