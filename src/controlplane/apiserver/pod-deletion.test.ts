import { describe, expect, it } from 'vitest';
import { podDeletionGrace } from './pod-deletion.js';

describe('graceful pod deletion (CheckGracefulDelete)', () => {
  const running = { spec: { nodeName: 'w1', terminationGracePeriodSeconds: 5 }, status: { phase: 'Running' } };
  it('marks a pod on a node with its terminationGracePeriodSeconds, or the requested period', () => {
    expect(podDeletionGrace(running, undefined)).toBe(5);
    expect(podDeletionGrace(running, 2)).toBe(2);
    expect(podDeletionGrace({ spec: { nodeName: 'w1' } }, undefined)).toBe(30);
  });
  it('deletes at once an unscheduled pod, a finished pod, a mirror pod, or with grace 0', () => {
    expect(podDeletionGrace({ spec: {} }, undefined)).toBe(0);
    expect(podDeletionGrace({ ...running, status: { phase: 'Succeeded' } }, undefined)).toBe(0);
    expect(podDeletionGrace({ ...running, metadata: { annotations: { 'kubernetes.io/config.mirror': 'x' } } }, undefined)).toBe(0);
    expect(podDeletionGrace(running, 0)).toBe(0);
  });
});
