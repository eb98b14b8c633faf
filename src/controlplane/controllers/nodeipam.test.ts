import { afterEach, describe, expect, it } from 'vitest';
import { ref } from '../common/resources.js';
import { eventually, FakeApi, runAgainstFake, stopFakes } from '../../../test/helpers/fake-api.js';
import { nextPodCIDR, nodeIpamController } from './nodeipam.js';
import type { Node } from './nodelifecycle.js';

describe('nodeipam ranges', () => {
  const options = { clusterCIDR: '10.244.0.0/16', nodeMaskSize: 24 };
  it('hands out /24s in order, skipping taken ones', () => {
    expect(nextPodCIDR(options, [])).toBe('10.244.0.0/24');
    expect(nextPodCIDR(options, ['10.244.0.0/24', '10.244.2.0/24'])).toBe('10.244.1.0/24');
  });
  it('skips ranges overlapping the service CIDR', () => {
    expect(nextPodCIDR({ clusterCIDR: '10.96.0.0/11', nodeMaskSize: 24, serviceCIDR: '10.96.0.0/12' }, [])).toBe('10.112.0.0/24');
  });
  it('says when the cluster CIDR is used up', () => {
    expect(nextPodCIDR({ clusterCIDR: '10.0.0.0/23', nodeMaskSize: 24 }, ['10.0.0.0/24', '10.0.1.0/24'])).toBeUndefined();
  });
  it('rejects a mask shorter than the cluster CIDR and non-IPv4 ranges', () => {
    expect(() => nextPodCIDR({ clusterCIDR: '10.0.0.0/24', nodeMaskSize: 16 }, [])).toThrow(expect.objectContaining({ code: 'KF_NODEIPAM_CIDR' }));
    expect(() => nextPodCIDR({ clusterCIDR: 'fd00::/64', nodeMaskSize: 80 }, [])).toThrow(expect.objectContaining({ code: 'KF_NODEIPAM_CIDR' }));
  });
});

describe('nodeipam loop (against the in-memory FakeApi)', () => {
  afterEach(stopFakes);
  it('gives each node its own podCIDR and keeps existing ones', async () => {
    const api = new FakeApi();
    api.put(ref('nodes'), { metadata: { name: 'cp1' }, spec: { podCIDR: '10.244.0.0/24', podCIDRs: ['10.244.0.0/24'] } });
    for (const name of ['w1', 'w2', 'w3']) api.put(ref('nodes'), { metadata: { name } });
    runAgainstFake(api, nodeIpamController({ clusterCIDR: '10.244.0.0/16', nodeMaskSize: 24 }));
    const cidrs = () => api.all<Node>(ref('nodes')).map((n) => `${n.metadata.name}=${n.spec?.podCIDR ?? ''}`).sort();
    await eventually(() => !cidrs().some((c) => c.endsWith('=')));
    expect(cidrs()).toEqual(['cp1=10.244.0.0/24', 'w1=10.244.1.0/24', 'w2=10.244.2.0/24', 'w3=10.244.3.0/24']);
  });
});
