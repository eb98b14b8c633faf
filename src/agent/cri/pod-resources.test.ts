import { describe, expect, it } from 'vitest';
import type { Pod } from '../pod.js';
import { expandVars, podField } from './pod-resources.js';

const pod: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-1', namespace: 'shop', uid: 'u-1', labels: { app: 'web', tier: 'front' } },
  spec: { nodeName: 'w1', serviceAccountName: 'builder', containers: [] },
};

describe('what the containers of a pod are given', () => {
  it('resolves downward API fields as the kubelet does', () => {
    expect(podField(pod, 'metadata.name', {})).toBe('web-1');
    expect(podField(pod, 'metadata.namespace', {})).toBe('shop');
    expect(podField(pod, "metadata.labels['app']", {})).toBe('web');
    expect(podField(pod, 'metadata.labels', {})).toBe('app="web"\ntier="front"');
    expect(podField(pod, 'spec.nodeName', {})).toBe('w1');
    expect(podField(pod, 'status.podIP', { podIP: '10.244.1.5' })).toBe('10.244.1.5');
    expect(() => podField(pod, 'spec.nope', {})).toThrow(/unsupported fieldPath/);
  });

  it('expands $(VAR) from earlier variables, leaves unknown ones, and $$ escapes', () => {
    const env = new Map([['HOST', 'db']]);
    expect(expandVars('$(HOST):5432 $(MISSING) $$(HOST)', env)).toBe('db:5432 $(MISSING) $(HOST)');
  });
});
