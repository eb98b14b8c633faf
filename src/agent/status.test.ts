import { describe, expect, it } from 'vitest';
import { buildPodStatus, podPhase, type ContainerStatus } from './status.js';

const base = { name: 'c', image: 'i', imageID: '', ready: false, started: false, restartCount: 0, lastState: {} };
const running: ContainerStatus = { ...base, ready: true, started: true, state: { running: { startedAt: 't0' } } };
const creating: ContainerStatus = { ...base, state: { waiting: { reason: 'ContainerCreating' } } };
const terminated = (exitCode: number): ContainerStatus => ({ ...base, state: { terminated: { exitCode, reason: exitCode ? 'Error' : 'Completed', startedAt: 't0', finishedAt: 't1' } } });
const crashLooping: ContainerStatus = { ...base, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: terminated(1).state };

describe('pod phase (the kubelet rule)', () => {
  it('is Pending while a container never ran, Running while one runs or crash-loops under Always', () => {
    expect(podPhase([creating])).toBe('Pending');
    expect(podPhase([running, creating])).toBe('Pending');
    expect(podPhase([running])).toBe('Running');
    expect(podPhase([crashLooping])).toBe('Running');
  });

  it('is Succeeded or Failed once every container stopped for good', () => {
    expect(podPhase([terminated(0)], 'Never')).toBe('Succeeded');
    expect(podPhase([terminated(0)], 'OnFailure')).toBe('Succeeded');
    expect(podPhase([terminated(2)], 'Never')).toBe('Failed');
  });
});

describe('pod status', () => {
  it('is Ready only when every container is ready, and keeps transition times while a condition holds', () => {
    const first = buildPodStatus({ containers: [running, { ...running, name: 'd', ready: false }], nodeAddress: '127.0.0.2', startTime: 's', now: 't1' });
    expect(first.conditions.find((c) => c.type === 'Ready')).toEqual({ type: 'Ready', status: 'False', lastTransitionTime: 't1', reason: 'ContainersNotReady' });
    expect(first).toMatchObject({ hostIP: '127.0.0.2', podIP: '127.0.0.2', podIPs: [{ ip: '127.0.0.2' }] });
    const second = buildPodStatus({ containers: [running], nodeAddress: '127.0.0.2', startTime: 's', now: 't2', previous: first.conditions });
    expect(second.conditions.find((c) => c.type === 'Ready')).toEqual({ type: 'Ready', status: 'True', lastTransitionTime: 't2' });
    expect(second.conditions.find((c) => c.type === 'PodScheduled')?.lastTransitionTime).toBe('t1');
  });
});
