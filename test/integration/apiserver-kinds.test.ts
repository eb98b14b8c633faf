import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRequest, runCommand, type ApiRequest, type TestCluster } from '../helpers/apiserver-harness.js';
import { startClusterWithNewestClients, type ClientRunner } from '../helpers/newest-clients.js';
import { assertPythonKubernetes, SYSTEM_PYTHON } from '../helpers/python-client.js';

let cluster: TestCluster;
let kubectl135: ClientRunner;
const admin = (p: string, request: ApiRequest = {}) => apiRequest(cluster.url, cluster.pki, p, { client: cluster.pki.admin, ...request });

beforeAll(async () => {
  ({ cluster, kubectl135 } = await startClusterWithNewestClients());
});
afterAll(async () => {
  await cluster?.stop();
});

const STORAGE = `apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: { name: local, annotations: { storageclass.kubernetes.io/is-default-class: "true" } }
provisioner: kubernetes.io/no-provisioner
---
apiVersion: v1
kind: PersistentVolume
metadata: { name: pv1 }
spec: { capacity: { storage: 1Gi }, accessModes: [ReadWriteOnce], storageClassName: local, hostPath: { path: /tmp/pv1 } }
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: data, namespace: default }
spec: { accessModes: [ReadWriteOnce], storageClassName: local, resources: { requests: { storage: 1Gi } } }
`;

const POLICY = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: web, namespace: default }
spec:
  podSelector: { matchLabels: { app: web } }
  ingress: [{ ports: [{ port: 80 }] }]
`;

describe('the remaining built-in kinds', () => {
  it('kubectl 1.32 create ingress and create quota (protobuf bodies); kubectl 1.35 lists them with upstream\'s columns', async () => {
    const ingress = await cluster.kubectl(['create', 'ingress', 'simple', '--rule=foo.com/bar=svc1:8080', '--class=nginx']);
    expect(ingress.stderr).toBe('');
    expect(ingress.stdout).toBe('ingress.networking.k8s.io/simple created\n');
    const stored = JSON.parse((await kubectl135(['get', 'ing', 'simple', '-o', 'json'])).stdout);
    expect(stored.spec.rules[0].http.paths[0]).toEqual({ path: '/bar', pathType: 'Exact', backend: { service: { name: 'svc1', port: { number: 8080 } } } });
    expect((await kubectl135(['get', 'ingress'])).stdout).toMatch(/^NAME\s+CLASS\s+HOSTS\s+ADDRESS\s+PORTS\s+AGE\nsimple\s+nginx\s+foo\.com\s+80\s+\S+\n$/);
    const quota = await cluster.kubectl(['create', 'quota', 'small', '--hard=cpu=1,pods=2']);
    expect(quota.stderr).toBe('');
    expect(quota.stdout).toBe('resourcequota/small created\n');
    expect((await kubectl135(['create', 'quota', 'other', '--hard=pods=5'])).stdout).toBe('resourcequota/other created\n');
    expect((await kubectl135(['get', 'quota'])).stdout).toMatch(/^NAME\s+AGE\s+REQUEST\s+LIMIT\nother\s+\S+\s+/);
  });

  it('kubectl autoscale (1.32 and 1.35): stored as autoscaling/v2, readable as v1, with upstream\'s defaults', async () => {
    expect((await cluster.kubectl(['create', 'deployment', 'web', '--image=nginx'])).code).toBe(0);
    const v132 = await cluster.kubectl(['autoscale', 'deployment', 'web', '--min=2', '--max=5', '--cpu-percent=70']);
    expect(v132.stderr).toBe('');
    expect(v132.stdout).toBe('horizontalpodautoscaler.autoscaling/web autoscaled\n');
    expect((await cluster.kubectl(['create', 'deployment', 'api', '--image=nginx'])).code).toBe(0);
    const v135 = await kubectl135(['autoscale', 'deployment', 'api', '--max=3']);
    expect(v135.stderr).toBe('');
    expect(v135.stdout).toBe('horizontalpodautoscaler.autoscaling/api autoscaled\n');
    expect((await kubectl135(['get', 'hpa'])).stdout).toMatch(/^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE\napi\s+Deployment\/api\s+cpu: <unknown>\/80%\s+1\s+3\s+0\s+\S+\nweb\s+Deployment\/web\s+cpu: <unknown>\/70%\s+2\s+5\s+0\s+\S+\n$/);
    const v2 = await admin('/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/web');
    expect(v2.json.apiVersion).toBe('autoscaling/v2');
    expect(v2.json.spec.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }]);
    const v1 = await admin('/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/web');
    expect(v1.json).toMatchObject({ apiVersion: 'autoscaling/v1', spec: { minReplicas: 2, maxReplicas: 5, targetCPUUtilizationPercentage: 70 } });
    // A v2 metric v1 cannot say survives a v1 update in upstream's annotation.
    await admin('/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/web', { method: 'PATCH', contentType: 'application/merge-patch+json', body: { spec: { metrics: [...v2.json.spec.metrics, { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } } }] } } });
    const readV1 = await admin('/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/web');
    const updated = await admin('/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/web', { method: 'PUT', body: { ...readV1.json, spec: { ...readV1.json.spec, maxReplicas: 6 } } });
    expect(updated.status).toBe(200);
    const after = await admin('/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/web');
    expect(after.json.spec.maxReplicas).toBe(6);
    expect(after.json.spec.metrics.map((m: { type: string }) => m.type)).toEqual(['Resource', 'Pods']);
    expect(after.json.metadata.annotations).toBeUndefined();
  });

  it('kubectl 1.35 applies a StorageClass, PV, PVC and NetworkPolicy from YAML (client- and server-side), defaulted as upstream', async () => {
    const applied = await kubectl135(['apply', '-f', '-'], { input: STORAGE });
    expect(applied.stderr).toBe('');
    expect(applied.stdout).toBe('storageclass.storage.k8s.io/local created\npersistentvolume/pv1 created\npersistentvolumeclaim/data created\n');
    for (let i = 0; i < 2; i++) {
      const ssa = await kubectl135(['apply', '--server-side', '-f', '-'], { input: POLICY });
      expect(ssa.stderr).toBe('');
      expect(ssa.stdout).toBe('networkpolicy.networking.k8s.io/web serverside-applied\n');
    }
    expect((await cluster.kubectl(['get', 'pvc'])).stdout).toMatch(/^NAME\s+STATUS\s+VOLUME\s+CAPACITY\s+ACCESS MODES\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+AGE\ndata\s+Pending\s+local\s+<unset>\s+\S+\n$/);
    expect((await cluster.kubectl(['get', 'pv'])).stdout).toMatch(/\npv1\s+1Gi\s+RWO\s+Retain\s+Pending\s+local\s+<unset>\s+\S+\n$/);
    expect((await cluster.kubectl(['get', 'sc'])).stdout).toMatch(/\nlocal \(default\)\s+kubernetes\.io\/no-provisioner\s+Delete\s+Immediate\s+false\s+\S+\n$/);
    expect((await kubectl135(['get', 'netpol'])).stdout).toMatch(/\nweb\s+app=web\s+\S+\n$/);
    const policy = JSON.parse((await cluster.kubectl(['get', 'netpol', 'web', '-o', 'json'])).stdout);
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
    expect(policy.spec.ingress[0].ports[0]).toEqual({ port: 80, protocol: 'TCP' });
    const pvc = JSON.parse((await cluster.kubectl(['get', 'pvc', 'data', '-o', 'json'])).stdout);
    expect(pvc.spec.volumeMode).toBe('Filesystem');
  });

  it('serves a ReplicationController with its scale subresource and a PodTemplate, with the pod spec defaults', async () => {
    const rc = { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'legacy' }, spec: { template: { metadata: { labels: { app: 'legacy' } }, spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } } } };
    const created = await admin('/api/v1/namespaces/default/replicationcontrollers', { method: 'POST', body: rc });
    expect(created.status).toBe(201);
    expect(created.json.spec).toMatchObject({ replicas: 1, selector: { app: 'legacy' } });
    expect(created.json.metadata.labels).toEqual({ app: 'legacy' });
    expect(created.json.spec.template.spec).toMatchObject({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', terminationGracePeriodSeconds: 30, containers: [{ imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log' }] });
    expect((await cluster.kubectl(['scale', 'rc', 'legacy', '--replicas=3'])).stdout).toBe('replicationcontroller/legacy scaled\n');
    const scale = await admin('/api/v1/namespaces/default/replicationcontrollers/legacy/scale');
    expect(scale.json).toMatchObject({ spec: { replicas: 3 }, status: { selector: 'app=legacy' } });
    expect((await kubectl135(['get', 'rc'])).stdout).toMatch(/^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE\nlegacy\s+3\s+0\s+0\s+\S+\n$/);
    const template = await admin('/api/v1/namespaces/default/podtemplates', { method: 'POST', body: { metadata: { name: 'tpl' }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } } });
    expect(template.status).toBe(201);
    expect(template.json.template.spec.containers[0].imagePullPolicy).toBe('Always');
    expect((await cluster.kubectl(['get', 'podtemplates'])).stdout).toMatch(/^TEMPLATE\s+CONTAINERS\s+IMAGES\s+POD LABELS\ntpl\s+c\s+busybox\s+a=b\n$/);
  });

  it.each([
    ['persistentvolumes', '/api/v1/persistentvolumes', { metadata: { name: 'x' }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'] } }, 'spec: Required value: must specify a volume type'],
    ['persistentvolumeclaims', '/api/v1/namespaces/default/persistentvolumeclaims', { metadata: { name: 'x' }, spec: { resources: { requests: { storage: '1Gi' } } } }, 'spec.accessModes: Required value: at least 1 access mode is required'],
    ['limitranges', '/api/v1/namespaces/default/limitranges', { metadata: { name: 'x' }, spec: { limits: [{ type: 'Node' }] } }, 'spec.limits[0].type: Unsupported value: "Node": supported values: "Container", "PersistentVolumeClaim", "Pod"'],
    ['replicationcontrollers', '/api/v1/namespaces/default/replicationcontrollers', { metadata: { name: 'x' }, spec: { selector: { app: 'a' }, template: { metadata: { labels: { app: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } }, 'spec.template.metadata.labels: Invalid value: map[string]string{"app":"b"}: `selector` does not match template `labels`'],
    ['storageclasses', '/apis/storage.k8s.io/v1/storageclasses', { metadata: { name: 'x' }, reclaimPolicy: 'Keep' }, 'provisioner: Required value'],
    ['csidrivers', '/apis/storage.k8s.io/v1/csidrivers', { metadata: { name: 'x.example.com' }, spec: { fsGroupPolicy: 'Any' } }, 'spec.fsGroupPolicy: Unsupported value: "Any": supported values: "File", "None", "ReadWriteOnceWithFSType"'],
    ['csinodes', '/apis/storage.k8s.io/v1/csinodes', { metadata: { name: 'n1' }, spec: { drivers: [{ name: 'x.example.com' }] } }, 'spec.drivers[0].nodeID: Required value'],
    ['volumeattachments', '/apis/storage.k8s.io/v1/volumeattachments', { metadata: { name: 'x' }, spec: { attacher: 'x.example.com', nodeName: 'n1', source: {} } }, 'spec.source: Required value: must specify exactly one of inlineVolumeSpec and persistentVolumeName'],
    ['ingresses', '/apis/networking.k8s.io/v1/namespaces/default/ingresses', { metadata: { name: 'x' }, spec: { rules: [{ http: { paths: [{ path: 'bar', backend: { service: { name: 's', port: { number: 80 } } } }] } }] } }, 'spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified'],
    ['ingressclasses', '/apis/networking.k8s.io/v1/ingressclasses', { metadata: { name: 'x' }, spec: {} }, 'spec.controller: Required value'],
    ['networkpolicies', '/apis/networking.k8s.io/v1/namespaces/default/networkpolicies', { metadata: { name: 'x' }, spec: { podSelector: {}, policyTypes: ['Sideways'] } }, 'spec.policyTypes[0]: Unsupported value: "Sideways": supported values: "Ingress", "Egress"'],
    ['horizontalpodautoscalers', '/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers', { metadata: { name: 'x' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, minReplicas: 3, maxReplicas: 2 } }, 'spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`'],
    ['validatingwebhookconfigurations', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', { metadata: { name: 'x' }, webhooks: [{ name: 'check.example.com', clientConfig: { url: 'https://example.com' }, admissionReviewVersions: ['v1'] }] }, 'webhooks[0].sideEffects: Required value: must specify one of "None", "NoneOnDryRun"'],
    ['mutatingwebhookconfigurations', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', { metadata: { name: 'x' }, webhooks: [{ name: 'short', clientConfig: {}, sideEffects: 'None', admissionReviewVersions: ['v1'] }] }, 'webhooks[0].clientConfig: Required value: exactly one of url or service is required'],
    ['validatingadmissionpolicies', '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies', { metadata: { name: 'x' }, spec: { matchConstraints: {} } }, 'spec.validations: Required value: validations or auditAnnotations must contain at least one item'],
    ['validatingadmissionpolicybindings', '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings', { metadata: { name: 'x' }, spec: { policyName: 'p' } }, 'spec.validationActions: Required value: at least one validation action is required'],
    ['runtimeclasses', '/apis/node.k8s.io/v1/runtimeclasses', { metadata: { name: 'x' } }, 'handler: Required value'],
  ])('refuses an invalid %s with upstream\'s field path (422) and stores nothing', async (_plural, url, body, message) => {
    const res = await admin(url, { method: 'POST', body });
    expect(res.status).toBe(422);
    expect(res.json.message).toContain(message);
    expect((await admin(`${url}/${(body.metadata as { name: string }).name}`)).status).toBe(404);
  });

  it('defaults webhook configurations, admission policies and CSIDrivers as upstream', async () => {
    const hook = await admin('/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', { method: 'POST', body: { metadata: { name: 'm' }, webhooks: [{ name: 'mutate.example.com', clientConfig: { service: { namespace: 'default', name: 'svc' } }, sideEffects: 'None', admissionReviewVersions: ['v1'], rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }] }] } });
    expect(hook.status).toBe(201);
    expect(hook.json.webhooks[0]).toMatchObject({ failurePolicy: 'Fail', matchPolicy: 'Equivalent', namespaceSelector: {}, objectSelector: {}, timeoutSeconds: 10, reinvocationPolicy: 'Never', clientConfig: { service: { port: 443 } }, rules: [{ scope: '*' }] });
    const policy = await admin('/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies', { method: 'POST', body: { metadata: { name: 'p' }, spec: { matchConstraints: { resourceRules: [{ operations: ['CREATE'], apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments'] }] }, validations: [{ expression: 'object.spec.replicas <= 5' }] } } });
    expect(policy.status).toBe(201);
    expect(policy.json.spec).toMatchObject({ failurePolicy: 'Fail', matchConstraints: { matchPolicy: 'Equivalent', namespaceSelector: {}, objectSelector: {}, resourceRules: [{ scope: '*' }] } });
    const driver = await admin('/apis/storage.k8s.io/v1/csidrivers', { method: 'POST', body: { metadata: { name: 'hostpath.csi.k8s.io' }, spec: {} } });
    expect(driver.json.spec).toMatchObject({ attachRequired: true, podInfoOnMount: false, fsGroupPolicy: 'ReadWriteOnceWithFSType', volumeLifecycleModes: ['Persistent'] });
    expect((await kubectl135(['get', 'mutatingwebhookconfigurations,validatingadmissionpolicies'])).stdout).toMatch(/mutatingwebhookconfiguration\.admissionregistration\.k8s\.io\/m\s+1\s+\S+\n[\s\S]*validatingadmissionpolicy\.admissionregistration\.k8s\.io\/p\s+1\s+<unset>\s+\S+/);
    const resources = (await cluster.kubectl(['api-resources', '-o', 'name'])).stdout;
    for (const name of ['persistentvolumes', 'ingresses.networking.k8s.io', 'horizontalpodautoscalers.autoscaling', 'runtimeclasses.node.k8s.io', 'csinodes.storage.k8s.io', 'validatingadmissionpolicybindings.admissionregistration.k8s.io']) expect(resources).toContain(`${name}\n`);
    // The webhook is called (its Service does not exist, failurePolicy Fail): it would refuse the later tests' pods.
    expect((await admin('/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/m', { method: 'DELETE' })).status).toBe(200);
  });

  it("Debian's python3-kubernetes lists and watches Ingresses", async () => {
    assertPythonKubernetes();
    const script = `
import sys
from kubernetes import client, config, watch
config.load_kube_config(config_file=sys.argv[1])
net = client.NetworkingV1Api()
listed = net.list_namespaced_ingress("default")
print("ingresses:", ",".join(i.metadata.name for i in listed.items))
backend = client.V1IngressBackend(service=client.V1IngressServiceBackend(name="s", port=client.V1ServiceBackendPort(number=80)))
net.create_namespaced_ingress("default", client.V1Ingress(metadata=client.V1ObjectMeta(name="from-python"), spec=client.V1IngressSpec(default_backend=backend)))
w = watch.Watch()
for event in w.stream(net.list_namespaced_ingress, "default", resource_version=listed.metadata.resource_version, timeout_seconds=10):
    print("event:", event["type"], event["object"].metadata.name, event["object"].spec.default_backend.service.name)
    w.stop()
`;
    const res = await runCommand(SYSTEM_PYTHON, ['-c', script, cluster.kubeconfig], { timeoutMs: 30_000 });
    expect(res.stderr).toBe('');
    expect(res.stdout).toBe('ingresses: simple\nevent: ADDED from-python s\n');
  });
});

describe('ResourceQuota and LimitRanger admission', () => {
  const pod = (name: string, resources?: Record<string, unknown>) => ({ metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox', ...(resources ? { resources } : {}) }] } });
  const createPod = (ns: string, body: unknown) => admin(`/api/v1/namespaces/${ns}/pods`, { method: 'POST', body });
  const quotaStatus = async (ns: string, name: string) => (await admin(`/api/v1/namespaces/${ns}/resourcequotas/${name}`)).json.status;

  it('counts objects in status.used and refuses a create over the quota (403 exceeded quota); a delete gives it back', async () => {
    expect((await cluster.kubectl(['create', 'namespace', 'quota-a'])).code).toBe(0);
    expect((await admin('/api/v1/namespaces/quota-a/configmaps', { method: 'POST', body: { metadata: { name: 'before' } } })).status).toBe(201);
    expect((await kubectl135(['create', 'quota', 'small', '--hard=pods=1,count/configmaps=2', '-n', 'quota-a'])).code).toBe(0);
    expect(await quotaStatus('quota-a', 'small')).toEqual({ hard: { pods: '1', 'count/configmaps': '2' }, used: { pods: '0', 'count/configmaps': '1' } });
    expect((await createPod('quota-a', pod('p1'))).status).toBe(201);
    expect((await quotaStatus('quota-a', 'small')).used.pods).toBe('1');
    const refused = await createPod('quota-a', pod('p2'));
    expect(refused.status).toBe(403);
    expect(refused.json.message).toBe('pods "p2" is forbidden: exceeded quota: small, requested: pods=1, used: pods=1, limited: pods=1');
    const viaKubectl = await cluster.kubectl(['create', 'configmap', 'two', '-n', 'quota-a']);
    expect(viaKubectl.code).toBe(0);
    const over = await cluster.kubectl(['create', 'configmap', 'three', '-n', 'quota-a']);
    expect(over.stderr).toBe('error: failed to create configmap: configmaps "three" is forbidden: exceeded quota: small, requested: count/configmaps=1, used: count/configmaps=2, limited: count/configmaps=2\n');
    expect((await cluster.kubectl(['delete', 'pod', 'p1', '-n', 'quota-a', '--grace-period=0', '--force'])).code).toBe(0);
    expect((await quotaStatus('quota-a', 'small')).used.pods).toBe('0');
    expect((await createPod('quota-a', pod('p2'))).status).toBe(201);
    expect((await kubectl135(['get', 'quota', 'small', '-n', 'quota-a'])).stdout).toMatch(/\nsmall\s+\S+\s+count\/configmaps: 2\/2, pods: 1\/1\s+\n$/);
  });

  it('LimitRange defaults fill what a compute quota needs; bounds and missing requests are refused with upstream\'s messages', async () => {
    expect((await cluster.kubectl(['create', 'namespace', 'quota-b'])).code).toBe(0);
    expect((await cluster.kubectl(['create', 'quota', 'compute', '--hard=requests.cpu=1,limits.memory=1Gi', '-n', 'quota-b'])).code).toBe(0);
    const bare = await createPod('quota-b', pod('bare'));
    expect(bare.status).toBe(403);
    expect(bare.json.message).toBe('pods "bare" is forbidden: failed quota: compute: must specify limits.memory for: c; requests.cpu for: c');
    const limits = await admin('/api/v1/namespaces/quota-b/limitranges', { method: 'POST', body: { metadata: { name: 'defaults' }, spec: { limits: [{ type: 'Container', default: { memory: '512Mi' }, defaultRequest: { cpu: '500m' }, max: { cpu: '1' } }] } } });
    expect(limits.status).toBe(201);
    expect(limits.json.spec.limits[0]).toEqual({ type: 'Container', default: { memory: '512Mi', cpu: '1' }, defaultRequest: { cpu: '500m', memory: '512Mi' }, max: { cpu: '1' } });
    const first = await createPod('quota-b', pod('first'));
    expect(first.status).toBe(201);
    expect(first.json.spec.containers[0].resources).toEqual({ limits: { memory: '512Mi', cpu: '1' }, requests: { cpu: '500m', memory: '512Mi' } });
    expect(first.json.metadata.annotations['kubernetes.io/limit-ranger']).toBe('LimitRanger plugin set: cpu, memory request for container c; memory, cpu limit for container c');
    expect((await createPod('quota-b', pod('second'))).status).toBe(201);
    expect((await quotaStatus('quota-b', 'compute')).used).toEqual({ 'requests.cpu': '1', 'limits.memory': '1Gi' });
    const third = await createPod('quota-b', pod('third'));
    expect(third.status).toBe(403);
    expect(third.json.message).toBe('pods "third" is forbidden: exceeded quota: compute, requested: limits.memory=512Mi,requests.cpu=500m, used: limits.memory=1Gi,requests.cpu=1, limited: limits.memory=1Gi,requests.cpu=1');
    const big = await createPod('quota-b', pod('big', { limits: { cpu: '2', memory: '100Mi' } }));
    expect(big.status).toBe(403);
    expect(big.json.message).toBe('pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2');
  });
});
