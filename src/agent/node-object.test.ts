import { describe, expect, it } from 'vitest';
import { allocatableOf, goArch, microTime, nodeImages, nodeLease, nodeObject, nodeStatus, osImageFrom, statusFingerprint, type NodeFacts } from './node-object.js';

const facts: NodeFacts = {
  nodeName: 'cp1',
  nodeIP: '127.0.0.2',
  hostname: 'cp1',
  cpuCount: 2,
  memoryBytes: 4 * 1024 * 1024 * 1024,
  osImage: 'Debian GNU/Linux 12 (bookworm)',
  kernelVersion: '6.1.0-18-amd64',
  architecture: 'amd64',
  containerRuntimeVersion: 'kubeforge://0.1.0',
  kubeletPort: 10250,
};

describe('nodeObject', () => {
  it('carries the kubelet labels, addresses, capacity, allocatable and nodeInfo', () => {
    const node = nodeObject(facts, '2026-01-01T00:00:00.000Z', { ok: true });
    expect(node.metadata.labels).toMatchObject({ 'kubernetes.io/hostname': 'cp1', 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' });
    expect(node.status.addresses).toEqual([{ type: 'InternalIP', address: '127.0.0.2' }, { type: 'Hostname', address: 'cp1' }]);
    expect(node.status.capacity).toEqual({ cpu: '2', memory: '4194304Ki', pods: '110' });
    expect(node.status.allocatable).toEqual({ cpu: '2', memory: `${4194304 - 102400}Ki`, pods: '110' });
    expect(node.status.nodeInfo).toMatchObject({ kubeletVersion: 'v1.32.0', containerRuntimeVersion: 'kubeforge://0.1.0', operatingSystem: 'linux', architecture: 'amd64' });
    expect(node.status.daemonEndpoints).toEqual({ kubeletEndpoint: { Port: 10250 } });
  });
});

describe('nodeStatus', () => {
  it('reports Ready True with reason KubeletReady and no pressure', () => {
    const status = nodeStatus(facts, 't1', { ok: true });
    expect(status.conditions.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['MemoryPressure', 'False', 'KubeletHasSufficientMemory'],
      ['DiskPressure', 'False', 'KubeletHasNoDiskPressure'],
      ['PIDPressure', 'False', 'KubeletHasSufficientPID'],
      ['Ready', 'True', 'KubeletReady'],
    ]);
  });

  it('reports Ready False with KubeletNotReady and the message when the agent is not ready', () => {
    const ready = nodeStatus(facts, 't1', { ok: false, message: 'runtime down' }).conditions.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'False', reason: 'KubeletNotReady', message: 'runtime down' });
  });

  it('moves lastTransitionTime only when a condition flips, and the heartbeat every time', () => {
    const first = nodeStatus(facts, 't1', { ok: true });
    const same = nodeStatus(facts, 't2', { ok: true }, first.conditions);
    expect(same.conditions.every((c) => c.lastTransitionTime === 't1' && c.lastHeartbeatTime === 't2')).toBe(true);
    const flipped = nodeStatus(facts, 't3', { ok: false }, same.conditions);
    expect(flipped.conditions.find((c) => c.type === 'Ready')?.lastTransitionTime).toBe('t3');
    expect(flipped.conditions.find((c) => c.type === 'DiskPressure')?.lastTransitionTime).toBe('t1');
  });

  it('has the same fingerprint when only heartbeats moved, another when a condition flipped', () => {
    const first = nodeStatus(facts, 't1', { ok: true });
    const later = nodeStatus(facts, 't2', { ok: true }, first.conditions);
    expect(statusFingerprint(later)).toBe(statusFingerprint(first));
    expect(statusFingerprint(nodeStatus(facts, 't3', { ok: false }, later.conditions))).not.toBe(statusFingerprint(later));
  });
});

describe('nodeLease', () => {
  it('is held by the node for 40 s, renewed at a microsecond time, and owned by the Node', () => {
    const lease = nodeLease('cp1', 'uid-1', 40, new Date('2026-01-01T00:00:01.234Z'));
    expect(lease.metadata).toEqual({ name: 'cp1', namespace: 'kube-node-lease', ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'cp1', uid: 'uid-1' }] });
    expect(lease.spec).toEqual({ holderIdentity: 'cp1', leaseDurationSeconds: 40, renewTime: '2026-01-01T00:00:01.234000Z' });
  });
});

describe('machine facts', () => {
  it('takes PRETTY_NAME from os-release, unquoted', () => {
    expect(osImageFrom('NAME="Debian"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n')).toBe('Debian GNU/Linux 12 (bookworm)');
    expect(osImageFrom(undefined)).toBe('Linux');
  });

  it('spells architectures as GOARCH', () => {
    expect([goArch('x64'), goArch('arm64'), goArch('ppc64')]).toEqual(['amd64', 'arm64', 'ppc64le']);
    expect(microTime(new Date(0))).toBe('1970-01-01T00:00:00.000000Z');
  });
});

describe('memTotalBytes', () => {
  it('reads MemTotal from /proc/meminfo in bytes', async () => {
    const { memTotalBytes } = await import('./node-facts.js');
    expect(memTotalBytes('MemTotal:        8039412 kB\nMemFree:  1 kB\n')).toBe(8039412 * 1024);
    expect(memTotalBytes(undefined)).toBeUndefined();
  });
});

describe('nodeImages', () => {
  it('lists the largest images first, each named by its digests then its tags', () => {
    const images = nodeImages([
      { repoTags: ['registry.k8s.io/pause:3.10'], repoDigests: [], size: 700_000 },
      { repoTags: ['docker.io/library/busybox:1.36', 'docker.io/library/busybox:latest'], repoDigests: ['docker.io/library/busybox@sha256:abc'], size: 4_000_000 },
      { size: 10 },
    ]);
    expect(images).toEqual([
      { names: ['docker.io/library/busybox@sha256:abc', 'docker.io/library/busybox:1.36', 'docker.io/library/busybox:latest'], sizeBytes: 4_000_000 },
      { names: ['registry.k8s.io/pause:3.10'], sizeBytes: 700_000 },
      { names: [], sizeBytes: 10 },
    ]);
  });

  it('keeps at most 50 images and 5 names per image, as the kubelet', () => {
    const many = Array.from({ length: 60 }, (_, i) => ({ repoTags: Array.from({ length: 7 }, (_, t) => `img${i}:t${t}`), size: i }));
    const images = nodeImages(many);
    expect(images).toHaveLength(50);
    expect(images[0]).toEqual({ names: ['img59:t0', 'img59:t1', 'img59:t2', 'img59:t3', 'img59:t4'], sizeBytes: 59 });
    expect(images.at(-1)!.sizeBytes).toBe(10);
  });

  it('puts them in the node status, whose fingerprint then changes with them', () => {
    const without = nodeStatus(facts, 't1', { ok: true });
    const withImages = nodeStatus(facts, 't1', { ok: true }, [], [{ names: ['a:1'], sizeBytes: 1 }]);
    expect(without.images).toBeUndefined();
    expect(withImages.images).toEqual([{ names: ['a:1'], sizeBytes: 1 }]);
    expect(statusFingerprint(withImages)).not.toBe(statusFingerprint(without));
  });
});

describe('allocatableOf', () => {
  const GiB = 1024 ** 3;
  it('holds back the 100Mi eviction threshold when the config sets nothing', () => {
    expect(allocatableOf({ cpuCount: 2, memoryBytes: 4 * GiB })).toEqual({ cpuMilli: 2000, memoryBytes: 4 * GiB - 100 * 1024 ** 2 });
  });

  it('subtracts kubeReserved, systemReserved and evictionHard memory.available (a quantity or a percentage)', () => {
    const reservations = { kubeReserved: { cpu: '100m', memory: '256Mi' }, systemReserved: { cpu: '0.5', memory: '1Gi' }, evictionHard: { 'memory.available': '10%' } };
    expect(allocatableOf({ cpuCount: 2, memoryBytes: 4 * GiB, reservations })).toEqual({ cpuMilli: 1400, memoryBytes: 4 * GiB - 256 * 1024 ** 2 - GiB - Math.floor(0.4 * GiB) });
    const status = nodeStatus({ ...facts, reservations }, 't1', { ok: true });
    expect(status.capacity).toEqual({ cpu: '2', memory: '4194304Ki', pods: '110' });
    expect(status.allocatable).toEqual({ cpu: '1400m', memory: `${Math.floor((4 * GiB - 256 * 1024 ** 2 - GiB - Math.floor(0.4 * GiB)) / 1024)}Ki`, pods: '110' });
  });

  it('holds back no eviction memory when evictionHard is set without memory.available, and never goes below zero', () => {
    expect(allocatableOf({ cpuCount: 1, memoryBytes: GiB, reservations: { evictionHard: { 'nodefs.available': '10%' } } })).toEqual({ cpuMilli: 1000, memoryBytes: GiB });
    expect(allocatableOf({ cpuCount: 1, memoryBytes: GiB, reservations: { kubeReserved: { cpu: '2', memory: '2Gi' } } })).toEqual({ cpuMilli: 0, memoryBytes: 0 });
  });
});
