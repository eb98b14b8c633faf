import { afterEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/index.js';
import { ref } from '../common/resources.js';
import { eventually, FakeApi, runAgainstFake, stopFakes } from '../../../test/helpers/fake-api.js';
import { endpointsController, endpointSubsets, type Endpoints } from './endpoints.js';
import { CONTROLLER_NAME, desiredSlices, endpointSliceController, MANAGED_BY_LABEL, planSlices, type EndpointSlice } from './endpointslice.js';
import { podEndpoints, type Service, type ServicePod } from './service-endpoints.js';

const service = (extra: Partial<Service['spec']> = {}, name = 'web'): Service => ({
  apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default', uid: `svc-${name}`, labels: { team: 'a' } },
  spec: { selector: { app: 'web' }, clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80, targetPort: 'web', protocol: 'TCP' }], ...extra },
});
const pod = (name: string, ip: string, opts: { ready?: boolean; deleting?: boolean; portName?: string; node?: string; phase?: string } = {}): ServicePod => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name, namespace: 'default', uid: `uid-${name}`, labels: { app: 'web' }, ...(opts.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
  spec: { nodeName: opts.node ?? 'n1', containers: [{ ports: [{ name: opts.portName ?? 'web', containerPort: 8080 }] }] },
  status: { phase: opts.phase ?? 'Running', podIP: ip, conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] },
});

describe('pods as service endpoints', () => {
  it('derives ready/serving/terminating from the Ready condition and deletionTimestamp', () => {
    const eps = podEndpoints(service(), [pod('a', '10.0.0.1'), pod('b', '10.0.0.2', { ready: false }), pod('c', '10.0.0.3', { deleting: true })], true);
    expect(eps.map((e) => [e.pod.metadata.name, e.ready, e.serving, e.terminating])).toEqual([['a', true, true, false], ['b', false, false, false], ['c', false, true, true]]);
    expect(podEndpoints(service(), [pod('c', '10.0.0.3', { deleting: true })], false)).toEqual([]);
    expect(podEndpoints(service({ publishNotReadyAddresses: true }), [pod('b', '10.0.0.2', { ready: false })], true)[0]?.ready).toBe(true);
  });

  it('leaves out pods without an IP, finished pods, pods of another namespace or labels', () => {
    const other = { ...pod('x', '10.0.0.9'), metadata: { ...pod('x', '10.0.0.9').metadata, namespace: 'other' } };
    const unlabelled = { ...pod('y', '10.0.0.8'), metadata: { ...pod('y', '10.0.0.8').metadata, labels: {} } };
    const noIp = { ...pod('z', ''), status: { phase: 'Pending' } };
    expect(podEndpoints(service(), [other, unlabelled, noIp, pod('done', '10.0.0.7', { phase: 'Succeeded' })], true)).toEqual([]);
  });

  it('resolves a named targetPort per pod; a pod whose containers lack that name gets no port', () => {
    const eps = podEndpoints(service(), [pod('a', '10.0.0.1'), pod('b', '10.0.0.2', { portName: 'other' })], true);
    expect(eps.map((e) => e.ports)).toEqual([[{ name: 'http', port: 8080, protocol: 'TCP' }], []]);
    expect(podEndpoints(service({ ports: [{ name: '', port: 80, targetPort: 9090 }] }), [pod('a', '10.0.0.1')], true)[0]?.ports).toEqual([{ name: '', port: 9090, protocol: 'TCP' }]);
  });
});

describe('EndpointSlices of a Service', () => {
  it('labels, owns and groups by port set, at most 100 endpoints a slice', () => {
    const pods = Array.from({ length: 150 }, (_, i) => pod(`p${String(i).padStart(3, '0')}`, `10.0.${Math.floor(i / 200)}.${i + 1}`));
    const slices = desiredSlices(service(), podEndpoints(service(), [...pods, pod('odd', '10.0.9.9', { portName: 'nope' })], true));
    expect(slices.map((s) => [s.ports?.length, s.endpoints.length])).toEqual([[0, 1], [1, 100], [1, 50]]);
    expect(slices[1]!.metadata).toMatchObject({
      generateName: 'web-',
      labels: { team: 'a', 'kubernetes.io/service-name': 'web', [MANAGED_BY_LABEL]: CONTROLLER_NAME },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'svc-web', controller: true, blockOwnerDeletion: true }],
    });
    expect(slices[1]!.endpoints[0]).toEqual({ addresses: ['10.0.0.1'], conditions: { ready: true, serving: true, terminating: false }, targetRef: { kind: 'Pod', namespace: 'default', name: 'p000', uid: 'uid-p000' }, nodeName: 'n1' });
  });

  it('keeps one empty placeholder slice for a Service selecting nothing, and marks headless Services', () => {
    const [placeholder] = desiredSlices(service({ clusterIP: 'None' }), []);
    expect(placeholder).toMatchObject({ endpoints: [], ports: null, addressType: 'IPv4' });
    expect(placeholder!.metadata.labels).toHaveProperty('service.kubernetes.io/headless', '');
  });

  it('updates a changed slice in place and deletes the surplus', () => {
    const [wanted] = desiredSlices(service(), podEndpoints(service(), [pod('a', '10.0.0.1')], true));
    const existing = (name: string, s: EndpointSlice): EndpointSlice => ({ ...s, metadata: { ...s.metadata, name } });
    const [old] = desiredSlices(service(), podEndpoints(service(), [pod('a', '10.0.0.1'), pod('b', '10.0.0.2')], true));
    const plan = planSlices([wanted!], [existing('web-b', old!), existing('web-a', old!)]);
    expect(plan.create).toEqual([]);
    expect(plan.update.map((s) => [s.metadata.name, s.endpoints.length])).toEqual([['web-a', 1]]);
    expect(plan.delete.map((s) => s.metadata.name)).toEqual(['web-b']);
    expect(planSlices([wanted!], [existing('web-a', wanted!)])).toEqual({ create: [], update: [], delete: [] });
  });
});

describe('Endpoints subsets', () => {
  it('puts ready pods under addresses and unready under notReadyAddresses, grouped by port set', () => {
    const subsets = endpointSubsets(service(), podEndpoints(service(), [pod('a', '10.0.0.10'), pod('b', '10.0.0.9', { ready: false }), pod('c', '10.0.0.2'), pod('odd', '10.0.0.3', { portName: 'x' })], false));
    expect(subsets).toHaveLength(1);
    expect(subsets[0]!.addresses?.map((a) => a.ip)).toEqual(['10.0.0.2', '10.0.0.10']);
    expect(subsets[0]!.notReadyAddresses?.map((a) => a.ip)).toEqual(['10.0.0.9']);
    expect(subsets[0]!.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
  });

  it('lists the pods of a headless Service without ports', () => {
    const headless = service({ clusterIP: 'None', ports: [] });
    expect(endpointSubsets(headless, podEndpoints(headless, [pod('a', '10.0.0.1')], false))).toEqual([{ addresses: [{ ip: '10.0.0.1', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'default', name: 'a', uid: 'uid-a' } }] }]);
  });
});

describe('endpointslice and endpoint loops (against the in-memory FakeApi)', () => {
  afterEach(stopFakes);
  const slicesOf = (api: FakeApi) => api.all<EndpointSlice>(ref('endpointslices'));
  const addresses = (api: FakeApi) => slicesOf(api).flatMap((s) => s.endpoints.filter((e) => (e.conditions as { ready: boolean }).ready).map((e) => (e.addresses as string[])[0])).sort();

  it('follows pods joining, turning unready and leaving; deletes the slices with the Service', async () => {
    const api = new FakeApi();
    runAgainstFake(api, endpointSliceController, endpointsController);
    api.put(ref('services'), service() as KubeObject);
    await eventually(() => slicesOf(api).length === 1 && slicesOf(api)[0]!.ports === null, 5000, 'the placeholder slice');
    api.put(ref('pods'), pod('a', '10.0.0.1'));
    api.put(ref('pods'), pod('b', '10.0.0.2'));
    await eventually(() => addresses(api).join() === '10.0.0.1,10.0.0.2', 5000, 'two ready endpoints');
    expect(slicesOf(api)).toHaveLength(1);
    api.put(ref('pods'), pod('b', '10.0.0.2', { ready: false }));
    await eventually(() => addresses(api).join() === '10.0.0.1', 5000, 'b unready');
    await eventually(() => api.find<Endpoints>(ref('endpoints'), 'default', 'web')?.subsets?.[0]?.notReadyAddresses?.[0]?.ip === '10.0.0.2', 5000, 'the Endpoints');
    api.remove(ref('pods'), 'default', 'a');
    await eventually(() => addresses(api).join() === '', 5000, 'a gone');
    api.remove(ref('services'), 'default', 'web');
    await eventually(() => slicesOf(api).length === 0 && !api.find(ref('endpoints'), 'default', 'web'), 5000, 'cleanup');
  });

  it('leaves Services without a selector and their hand-made Endpoints alone', async () => {
    const api = new FakeApi();
    runAgainstFake(api, endpointSliceController, endpointsController);
    api.put(ref('services'), { ...service(), metadata: { ...service().metadata, name: 'manual' }, spec: { ports: [{ port: 443 }] } } as KubeObject);
    api.put(ref('endpoints'), { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'manual', namespace: 'default' }, subsets: [{ addresses: [{ ip: '192.0.2.1' }] }] } as KubeObject);
    api.put(ref('endpoints'), { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'orphan', namespace: 'default' }, subsets: [] } as KubeObject);
    api.put(ref('services'), service({}, 'probe') as KubeObject);
    await eventually(() => slicesOf(api).some((s) => s.metadata.labels?.['kubernetes.io/service-name'] === 'probe'), 5000, 'the probe service slice');
    await eventually(() => Boolean(api.find(ref('endpoints'), 'default', 'probe')), 5000, 'the probe Endpoints');
    expect(slicesOf(api).filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === 'manual')).toEqual([]);
    expect(api.find<Endpoints>(ref('endpoints'), 'default', 'manual')?.subsets?.[0]?.addresses?.[0]?.ip).toBe('192.0.2.1');
    expect(api.find(ref('endpoints'), 'default', 'orphan')).toBeDefined();
  });
});
