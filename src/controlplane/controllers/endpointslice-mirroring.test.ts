import { afterEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/index.js';
import { ref } from '../common/resources.js';
import { eventually, FakeApi, runAgainstFake, stopFakes } from '../../../test/helpers/fake-api.js';
import { endpointSliceController, MANAGED_BY_LABEL, type EndpointSlice } from './endpointslice.js';
import { endpointSliceMirroringController, MAX_ENDPOINTS_PER_SUBSET, MIRRORING_CONTROLLER_NAME, mirroredSlices, mirrors, type Endpoints } from './endpointslice-mirroring.js';
import type { Service } from './service-endpoints.js';

const service = (name: string, selector?: Record<string, string>): Service => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default', uid: `svc-${name}` }, spec: { ...(selector ? { selector } : {}), ports: [{ name: 'https', port: 443 }] } });
const endpoints = (name: string, subsets: Endpoints['subsets'], metadata: Partial<Endpoints['metadata']> = {}): Endpoints => ({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace: 'default', uid: `ep-${name}`, ...metadata }, subsets });

describe('EndpointSlice mirroring (pure)', () => {
  it('mirrors each subset per address family with upstream\'s labels, annotations, owner and ready conditions', () => {
    const source = endpoints('db', [
      { addresses: [{ ip: '192.0.2.1', hostname: 'db-0', nodeName: 'n1' }, { ip: '2001:db8::1' }, { ip: 'not-an-ip' }], notReadyAddresses: [{ ip: '192.0.2.2' }], ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }] },
      { addresses: [{ ip: '192.0.2.9' }], ports: [{ name: 'metrics', port: 9187, protocol: 'TCP', appProtocol: 'http' }] },
    ], { labels: { team: 'a' }, annotations: { note: 'x', 'endpoints.kubernetes.io/last-change-trigger-time': 't', 'kubectl.kubernetes.io/last-applied-configuration': '{}' } });
    const slices = mirroredSlices(source);
    expect(slices.map((s) => [s.addressType, s.endpoints.map((e) => (e.addresses as string[])[0]), s.ports])).toEqual([
      ['IPv4', ['192.0.2.1', '192.0.2.2'], [{ name: 'pg', port: 5432, protocol: 'TCP' }]],
      ['IPv6', ['2001:db8::1'], [{ name: 'pg', port: 5432, protocol: 'TCP' }]],
      ['IPv4', ['192.0.2.9'], [{ name: 'metrics', port: 9187, protocol: 'TCP', appProtocol: 'http' }]],
    ]);
    expect(slices[0]!.endpoints).toEqual([
      { addresses: ['192.0.2.1'], conditions: { ready: true }, hostname: 'db-0', nodeName: 'n1' },
      { addresses: ['192.0.2.2'], conditions: { ready: false } },
    ]);
    expect(slices[0]!.metadata).toEqual({
      generateName: 'db-', namespace: 'default',
      labels: { team: 'a', 'kubernetes.io/service-name': 'db', [MANAGED_BY_LABEL]: MIRRORING_CONTROLLER_NAME },
      annotations: { note: 'x' },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Endpoints', name: 'db', uid: 'ep-db', controller: true, blockOwnerDeletion: true }],
    });
  });

  it('caps a subset at 1000 endpoints, and mirrors only for a selector-less Service without skip-mirror', () => {
    const many = Array.from({ length: 1200 }, (_, i) => ({ ip: `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}` }));
    expect(mirroredSlices(endpoints('big', [{ addresses: many, ports: [{ port: 80 }] }]))[0]!.endpoints).toHaveLength(MAX_ENDPOINTS_PER_SUBSET);
    expect(mirrors(endpoints('db', []), service('db'))).toBe(true);
    expect(mirrors(endpoints('db', []), service('db', { app: 'db' }))).toBe(false);
    expect(mirrors(endpoints('db', []), undefined)).toBe(false);
    expect(mirrors(endpoints('kubernetes', [], { labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } }), service('kubernetes'))).toBe(false);
  });
});

describe('endpointslicemirroring loop (against the in-memory FakeApi)', () => {
  afterEach(stopFakes);
  const mirrored = (api: FakeApi) => api.all<EndpointSlice>(ref('endpointslices')).filter((s) => s.metadata.labels?.[MANAGED_BY_LABEL] === MIRRORING_CONTROLLER_NAME);

  it('follows a hand-written Endpoints; removes its slices when the Service gets a selector or the Endpoints goes', async () => {
    const api = new FakeApi();
    runAgainstFake(api, endpointSliceMirroringController, endpointSliceController);
    api.put(ref('services'), service('ext') as KubeObject);
    api.put(ref('endpoints'), endpoints('ext', [{ addresses: [{ ip: '192.0.2.1' }], ports: [{ name: 'https', port: 8443, protocol: 'TCP' }] }]) as KubeObject);
    await eventually(() => mirrored(api).length === 1, 5000, 'the mirrored slice');
    const [first] = mirrored(api);
    api.put(ref('endpoints'), endpoints('ext', [{ addresses: [{ ip: '192.0.2.1' }, { ip: '192.0.2.3' }], ports: [{ name: 'https', port: 8443, protocol: 'TCP' }] }]) as KubeObject);
    await eventually(() => mirrored(api)[0]?.endpoints.length === 2, 5000, 'the new address');
    // Updated in place, not replaced.
    expect(mirrored(api).map((s) => s.metadata.name)).toEqual([first!.metadata.name]);
    api.put(ref('services'), service('ext', { app: 'x' }) as KubeObject);
    await eventually(() => mirrored(api).length === 0, 5000, 'no mirror for a Service with a selector');
    api.put(ref('services'), service('ext') as KubeObject);
    await eventually(() => mirrored(api).length === 1, 5000, 'mirrored again');
    api.remove(ref('endpoints'), 'default', 'ext');
    await eventually(() => mirrored(api).length === 0, 5000, 'gone with the Endpoints');
  });
});
