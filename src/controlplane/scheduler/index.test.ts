import { afterEach, describe, expect, it } from 'vitest';
import { createHost } from '../../host/index.js';
import { createMemoryLogger } from '../../log.js';
import { freePort, httpsGet, nodeRoot, type NodeRoot } from '../../../test/helpers/component-root.js';
import type { Lease } from '../common/leaderelection.js';
import { ref } from '../common/resources.js';
import { eventually, FakeApi } from '../../../test/helpers/fake-api.js';
import { runScheduler, type Running } from './index.js';
import type { Pod } from './schedule.js';

describe('runScheduler (FakeApi as the API, real files, real HTTPS)', () => {
  let root: NodeRoot;
  const running: Running[] = [];
  afterEach(async () => {
    for (const r of running.splice(0)) await r.stop();
    root?.cleanup();
  });

  it('takes kubeadm\'s manifest flags, serves health on its port, leads and binds a pending pod', async () => {
    root = await nodeRoot();
    const api = new FakeApi();
    api.on('POST', /\/binding$/, (body) => {
      const b = body as { metadata: { name: string; namespace: string }; target: { name: string } };
      const pod = api.find<Pod>(ref('pods'), b.metadata.namespace, b.metadata.name)!;
      api.put(ref('pods'), { ...pod, spec: { ...pod.spec, nodeName: b.target.name } });
      return {};
    });
    api.put(ref('nodes'), { apiVersion: 'v1', kind: 'Node', metadata: { name: 'cp1' }, status: { allocatable: { cpu: '2', memory: '2Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] } });
    api.put(ref('pods'), { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default' }, spec: { containers: [{ name: 'c' }] }, status: { phase: 'Pending' } });
    const port = await freePort();
    const r = await runScheduler([
      '--authentication-kubeconfig=/etc/kubernetes/scheduler.conf',
      '--authorization-kubeconfig=/etc/kubernetes/scheduler.conf',
      '--bind-address=127.0.0.1',
      '--kubeconfig=/etc/kubernetes/scheduler.conf',
      '--leader-elect=true',
      `--secure-port=${port}`,
    ], { files: createHost(root.root).files, client: () => api, log: createMemoryLogger(), identity: 'cp1' });
    running.push(r);
    expect(await httpsGet('127.0.0.1', port, '/livez')).toMatchObject({ status: 200, body: 'ok' });
    await eventually(() => api.find<Pod>(ref('pods'), 'default', 'web')?.spec.nodeName === 'cp1');
    expect(api.find<Lease>(ref('leases'), 'kube-system', 'kube-scheduler')?.spec.holderIdentity).toBe('cp1');
    expect(api.find<Pod>(ref('pods'), 'default', 'web')?.status?.phase).toBe('Pending');
  });

  it('defaults to port 10259 and rejects the controller manager\'s flags', async () => {
    root = await nodeRoot();
    await expect(runScheduler(['--kubeconfig=/etc/kubernetes/scheduler.conf', '--controllers=*'], { files: createHost(root.root).files, client: () => new FakeApi() }))
      .rejects.toMatchObject({ code: 'KF_FLAG_UNKNOWN', message: 'kube-scheduler: unknown flag: --controllers' });
  });
});
