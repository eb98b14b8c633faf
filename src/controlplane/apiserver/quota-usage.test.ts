import { describe, expect, it } from 'vitest';
import { charge, formatQuantity, usageOf } from './quota-usage.js';
import { findResource, type ResourceType } from './resources.js';

const pods = findResource('', 'v1', 'pods') as ResourceType;
const deployments = findResource('apps', 'v1', 'deployments') as ResourceType;
const pod = (resources: Record<string, unknown>[]) => ({ metadata: { name: 'p' }, spec: { containers: resources.map((r, i) => ({ name: `c${i}`, resources: r })) } });

describe('ResourceQuota usage and charging', () => {
  it('counts objects and sums a pod\'s requests (a missing request is its limit) and limits', () => {
    expect(usageOf(deployments, { metadata: { name: 'd' } })).toEqual({ 'count/deployments.apps': 1 });
    expect(usageOf(pods, pod([{ requests: { cpu: '250m' }, limits: { memory: '1Gi' } }, { limits: { cpu: '1', memory: '512Mi' } }]))).toEqual({
      'count/pods': 1, pods: 1, 'requests.cpu': 1.25, cpu: 1.25, 'limits.cpu': 1, 'requests.memory': 1.5 * 2 ** 30, memory: 1.5 * 2 ** 30, 'limits.memory': 1.5 * 2 ** 30,
    });
    expect(usageOf(pods, { ...pod([]), status: { phase: 'Succeeded' } })).toEqual({});
  });

  it('formats quantities as the quota status shows them', () => {
    expect([formatQuantity('requests.cpu', 1.5), formatQuantity('cpu', 2), formatQuantity('limits.memory', 3 * 2 ** 20), formatQuantity('pods', 7)]).toEqual(['1500m', '2', '3Mi', '7']);
  });

  it('charges within the hard limits, refuses over them or without a tracked compute resource', () => {
    const quota = { metadata: { name: 'q' }, spec: { hard: { pods: '2', 'requests.cpu': '1' } }, status: { used: { pods: '1', 'requests.cpu': '500m' } } };
    const fits = pod([{ requests: { cpu: '500m' } }]);
    expect(charge(quota, pods, fits, usageOf(pods, fits))).toEqual({ used: { pods: '2', 'requests.cpu': '1' } });
    const big = pod([{ requests: { cpu: '600m' } }]);
    expect(charge(quota, pods, big, usageOf(pods, big))).toEqual({ refused: 'exceeded quota: q, requested: requests.cpu=600m, used: requests.cpu=500m, limited: requests.cpu=1' });
    const bare = pod([{}]);
    expect(charge(quota, pods, bare, usageOf(pods, bare))).toEqual({ refused: 'failed quota: q: must specify requests.cpu for: c0' });
  });
});
