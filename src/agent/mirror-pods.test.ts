import { afterEach, describe, expect, it } from 'vitest';
import type { KubeClient } from '../kube/index.js';
import { createMemoryLogger } from '../log.js';
import type { ApiConnection } from './api-connection.js';
import { Listeners } from './listeners.js';
import { MirrorPods } from './mirror-pods.js';
import type { NodeRegistration } from './node-registration.js';
import { parseStaticPod } from './pod.js';
import type { StaticPodView } from './static-pods.js';
import { buildPodStatus } from './status.js';

function view(name: string): StaticPodView {
  const manifest = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  namespace: kube-system\nspec:\n  containers:\n  - name: c\n    image: registry.k8s.io/etcd:3.5.16-0\n    command: [etcd]\n`;
  const parsed = parseStaticPod(manifest, `/etc/kubernetes/manifests/${name}.yaml`, 'cp1');
  if (!parsed.ok) throw new Error(parsed.reason);
  return { pod: parsed.pod, status: buildPodStatus({ containers: [], nodeAddress: '127.0.0.2', startTime: 't', now: 't' }) };
}

/** MirrorPods against an API that accepts every write, with the static pods `pods` holds now. */
function mirrorPods(pods: { current: StaticPodView[] }) {
  const changes = new Listeners<[]>();
  const registered = new Listeners<[uid: string]>();
  const client = {
    list: async () => ({ metadata: {}, items: [] }),
    create: async (_ref: unknown, object: unknown) => object,
    update: async (_ref: unknown, object: unknown) => object,
    delete: async () => ({}),
  } as unknown as KubeClient;
  const mirrors = new MirrorPods({
    nodeName: 'cp1',
    connection: { client: () => client } as unknown as ApiConnection,
    registration: { nodeUid: () => 'node-uid', onRegistered: (l: (uid: string) => void) => registered.add(l) } as unknown as NodeRegistration,
    pods: () => pods.current,
    onChange: (l) => changes.add(l),
    clock: { now: () => new Date() } as never,
    log: createMemoryLogger(),
    resyncMs: 60_000,
  });
  return { mirrors, changes, registered };
}

const started: MirrorPods[] = [];
afterEach(async () => {
  for (const m of started.splice(0)) await m.stop();
});

async function settle(mirrors: MirrorPods, expected: number): Promise<void> {
  for (let i = 0; i < 200 && mirrors.rememberedPods() !== expected; i++) await new Promise((r) => setTimeout(r, 10));
}

describe('mirror pods', () => {
  it('forgets the first-seen time of static pods it no longer has', async () => {
    const pods = { current: [view('etcd'), view('kube-apiserver')] };
    const { mirrors, changes } = mirrorPods(pods);
    started.push(mirrors);
    await mirrors.start();
    await settle(mirrors, 2);
    expect(mirrors.rememberedPods()).toBe(2);
    pods.current = [view('etcd')];
    changes.emit();
    await settle(mirrors, 1);
    expect(mirrors.rememberedPods()).toBe(1);
  });

  it('removes its listeners from the static pods and the registration when it stops', async () => {
    const { mirrors, changes, registered } = mirrorPods({ current: [] });
    await mirrors.start();
    expect([changes.size, registered.size]).toEqual([1, 1]);
    await mirrors.stop();
    expect([changes.size, registered.size]).toEqual([0, 0]);
  });
});

describe('Listeners', () => {
  it('calls each listener until it is removed, also one removed during a round', () => {
    const list = new Listeners<[n: number]>();
    const seen: string[] = [];
    const removeA = list.add((n) => seen.push(`a${n}`));
    const removeB = list.add((n) => (seen.push(`b${n}`), removeA()));
    list.emit(1);
    list.emit(2);
    removeB();
    list.emit(3);
    expect(seen).toEqual(['a1', 'b1', 'b2']);
    expect(list.size).toBe(0);
  });
});
