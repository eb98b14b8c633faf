/**
 * Dynamic admission through the real API server and kubectl: admission webhooks served by an
 * HTTPS server in this test (loopback, a CA and serving certificate made by src/pki), reached
 * by URL and through a Service and its EndpointSlice; and a ValidatingAdmissionPolicy (CEL).
 */
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePrivateKey, encodePrivateKeyPem, loadCertificate, signCertificate } from '../../src/pki/index.js';
import { apiRequest, freePort, type ApiRequest, type TestCluster, startTestCluster } from '../helpers/apiserver-harness.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- AdmissionReview bodies are read as untyped JSON
type Json = any;
let cluster: TestCluster;
let server: https.Server;
let caBundle: string;
let base: string;
let closedPort: number;
/** Every AdmissionReview request the webhook server got, by path. */
const received: Array<{ path: string; request: Record<string, Json> }> = [];
const admin = (path: string, request: ApiRequest = {}) => apiRequest(cluster.url, cluster.pki, path, { client: cluster.pki.admin, ...request });

/** Creates objects through the API (kubectl apply spends seconds on discovery and OpenAPI: kept for what the tests assert). */
async function create(...objects: Array<Record<string, Json>>): Promise<void> {
  for (const object of objects) {
    const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : ['', object.apiVersion];
    const plural = object.kind === 'ValidatingAdmissionPolicy' ? 'validatingadmissionpolicies' : `${object.kind.toLowerCase()}s`;
    const namespace = object.metadata.namespace ? `/namespaces/${object.metadata.namespace}` : '';
    const res = await admin(`${group ? `/apis/${group}` : '/api'}/${version}${namespace}/${plural}`, { method: 'POST', body: object });
    expect(res.status, res.text).toBe(201);
  }
}

type Review = { request: Record<string, Json> };
const answer = (review: Review, response: Record<string, unknown>) => ({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: review.request.uid, ...response } });

/** The webhooks, by path: each returns the body to answer (or undefined to never answer). */
const HANDLERS: Record<string, (review: Review) => unknown> = {
  '/validate': (review) =>
    review.request.object?.data?.forbidden !== undefined
      ? answer(review, { allowed: false, status: { code: 403, message: 'forbidden key is not allowed' } })
      : answer(review, { allowed: true, warnings: ['checked by validate.example.com'], auditAnnotations: { checked: 'yes' } }),
  '/mutate': (review) => {
    const labels = review.request.object?.metadata?.labels;
    const patch = labels ? [{ op: 'add', path: '/metadata/labels/mutated-by', value: 'webhook' }] : [{ op: 'add', path: '/metadata/labels', value: { 'mutated-by': 'webhook' } }];
    return answer(review, { allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') });
  },
  '/allow': (review) => answer(review, { allowed: true }),
  '/slow': () => undefined,
  '/garbage': () => 'this is not an AdmissionReview',
};

async function servingPki(): Promise<{ ca: string; cert: string; key: string }> {
  const now = Date.now();
  const window = { notBefore: new Date(now - 60_000), notAfter: new Date(now + 3600_000) };
  const caKey = await generatePrivateKey('ECDSA-P256');
  const ca = signCertificate({ subject: { commonName: 'webhook-ca', organizations: [] }, altNames: { dnsNames: [], ips: [] }, usages: [], isCA: true, ...window }, caKey);
  const key = await generatePrivateKey('ECDSA-P256');
  const cert = signCertificate(
    { subject: { commonName: 'webhook', organizations: [] }, altNames: { dnsNames: ['webhook.wh-system.svc'], ips: ['127.0.0.1'] }, usages: ['serverAuth'], isCA: false, ...window },
    key,
    { key: caKey, certificate: loadCertificate(ca) },
  );
  return { ca, cert, key: encodePrivateKeyPem(key) };
}

async function startWebhookServer(): Promise<void> {
  const pki = await servingPki();
  caBundle = Buffer.from(pki.ca).toString('base64');
  server = https.createServer({ cert: pki.cert, key: pki.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0] as string;
      const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Review;
      received.push({ path: req.url ?? '', request: review.request });
      const body = HANDLERS[path]?.(review);
      if (body === undefined) return; // never answers: the API server's timeout cuts it
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Retries until `check` passes: configurations reach the API server's caches through a watch. */
async function eventually(check: () => Promise<void>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

const rule = (resources: string[], operations = ['CREATE', 'UPDATE']) => ({ apiGroups: [''], apiVersions: ['v1'], operations, resources });
const hook = (name: string, clientConfig: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  name,
  clientConfig: { caBundle, ...clientConfig },
  rules: [rule(['configmaps'])],
  sideEffects: 'None',
  admissionReviewVersions: ['v1'],
  ...extra,
});
const createConfigMap = (namespace: string, name: string, options: { labels?: Record<string, string>; data?: Record<string, string>; dryRun?: boolean } = {}) =>
  admin(`/api/v1/namespaces/${namespace}/configmaps${options.dryRun ? '?dryRun=All' : ''}`, { method: 'POST', body: { metadata: { name, labels: options.labels ?? {} }, data: options.data ?? {} } });

beforeAll(async () => {
  closedPort = await freePort();
  [cluster] = await Promise.all([startTestCluster(), startWebhookServer()]);
  const port = (server.address() as AddressInfo).port;
  // Namespaces: `wh` opts in to the validating webhook by label, `plain` does not.
  const setup = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'wh', labels: { webhooks: 'on' } } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'plain' } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'wh-system' } },
    // The mutating webhook is reached through this Service: its EndpointSlice points at the test's server.
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'webhook', namespace: 'wh-system' }, spec: { ports: [{ name: 'https', port: 443, targetPort: port }] } },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'webhook-1', namespace: 'wh-system', labels: { 'kubernetes.io/service-name': 'webhook' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
      ports: [{ name: 'https', port, protocol: 'TCP' }],
    },
  ];
  await create(...setup);
}, 60_000);

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  await cluster?.stop();
});

describe('validating admission webhooks', () => {
  beforeAll(async () => {
    const config = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'validate' },
      webhooks: [
        hook('validate.example.com', { url: `${base}/validate` }, {
          namespaceSelector: { matchLabels: { webhooks: 'on' } },
          objectSelector: { matchExpressions: [{ key: 'skip', operator: 'DoesNotExist' }] },
          matchConditions: [{ name: 'not-annotated', expression: "!has(object.metadata.annotations) || !('skip-cel' in object.metadata.annotations)" }],
        }),
      ],
    };
    await create(config);
    await eventually(async () => expect((await createConfigMap('wh', 'probe', { data: { forbidden: 'x' } })).status).toBe(403));
  });

  it('denies with the webhook\'s message through kubectl, and passes its warnings on', async () => {
    const denied = await cluster.kubectl(['create', 'configmap', 'bad', '-n', 'wh', '--from-literal=forbidden=1']);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('admission webhook "validate.example.com" denied the request: forbidden key is not allowed');
    expect((await cluster.kubectl(['get', 'configmap', 'bad', '-n', 'wh'])).stderr).toContain('not found');
    const allowed = await cluster.kubectl(['create', 'configmap', 'good', '-n', 'wh', '--from-literal=fine=1']);
    expect(allowed.stdout).toBe('configmap/good created\n');
    expect(allowed.stderr).toBe('Warning: checked by validate.example.com\n');
  });

  it('sends an admission.k8s.io/v1 AdmissionReview naming the request', async () => {
    const res = await createConfigMap('wh', 'reviewed', { labels: { app: 'x' } });
    expect(res.status).toBe(201);
    const review = received.filter((r) => r.path.startsWith('/validate?')).map((r) => r.request).find((r) => r.name === 'reviewed') as Record<string, Json>;
    expect(received.find((r) => r.request === review)?.path).toBe('/validate?timeout=10s');
    expect(review).toMatchObject({
      kind: { group: '', version: 'v1', kind: 'ConfigMap' },
      resource: { group: '', version: 'v1', resource: 'configmaps' },
      requestKind: { group: '', version: 'v1', kind: 'ConfigMap' },
      requestResource: { group: '', version: 'v1', resource: 'configmaps' },
      name: 'reviewed',
      namespace: 'wh',
      operation: 'CREATE',
      userInfo: { username: 'kubernetes-admin', groups: expect.arrayContaining(['system:masters']) },
      dryRun: false,
      options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
      oldObject: null,
    });
    expect(review.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(review.object.metadata).toMatchObject({ name: 'reviewed', namespace: 'wh', labels: { app: 'x' } });
  });

  it('skips requests its namespaceSelector, objectSelector or matchConditions exclude', async () => {
    expect((await createConfigMap('plain', 'other-namespace', { data: { forbidden: 'x' } })).status).toBe(201);
    expect((await createConfigMap('wh', 'labelled-skip', { labels: { skip: 'yes' }, data: { forbidden: 'x' } })).status).toBe(201);
    const annotated = await admin('/api/v1/namespaces/wh/configmaps', { method: 'POST', body: { metadata: { name: 'cel-skip', annotations: { 'skip-cel': 'yes' } }, data: { forbidden: 'x' } } });
    expect(annotated.status).toBe(201);
    expect(received.some((r) => ['other-namespace', 'labelled-skip', 'cel-skip'].includes(r.request.name))).toBe(false);
  });

  it('is not called for its own kind (webhook configurations are exempt)', async () => {
    const names = received.map((r) => r.request.resource?.resource);
    expect(names).not.toContain('validatingwebhookconfigurations');
  });
});

describe('mutating admission webhooks', () => {
  beforeAll(async () => {
    const config = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: 'mutate' },
      webhooks: [hook('mutate.example.com', { service: { namespace: 'wh-system', name: 'webhook', path: '/mutate' } }, { objectSelector: { matchLabels: { mutate: 'yes' } } })],
    };
    await create(config);
    await eventually(async () => expect((await createConfigMap('plain', `probe-${Date.now()}`, { labels: { mutate: 'yes' } })).json.metadata.labels['mutated-by']).toBe('webhook'));
  });

  it('adds a label through a Service, visible with kubectl get', async () => {
    const created = await cluster.kubectl(['create', '--validate=false', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'mutated', namespace: 'plain', labels: { mutate: 'yes' } } }) });
    expect(created.stderr).toBe('');
    const shown = await cluster.kubectl(['get', 'configmap', 'mutated', '-n', 'plain', '-o', 'jsonpath={.metadata.labels}']);
    expect(JSON.parse(shown.stdout)).toEqual({ mutate: 'yes', 'mutated-by': 'webhook' });
    // It was called at https://webhook.wh-system.svc:443/mutate, dialled at the EndpointSlice's address.
    expect(received.some((r) => r.path === '/mutate?timeout=10s' && r.request.name === 'mutated')).toBe(true);
  });

  it('mutates on update too, and the result is validated again', async () => {
    const res = await admin('/api/v1/namespaces/plain/configmaps/mutated', { method: 'PUT', body: { metadata: { name: 'mutated', labels: { mutate: 'yes' } }, data: { a: 'b' } } });
    expect(res.status).toBe(200);
    expect(res.json.metadata.labels).toEqual({ mutate: 'yes', 'mutated-by': 'webhook' });
    const review = received.filter((r) => r.path.startsWith('/mutate') && r.request.name === 'mutated').at(-1)?.request as Record<string, Json>;
    expect(review).toMatchObject({ operation: 'UPDATE', options: { kind: 'UpdateOptions' }, oldObject: { metadata: { name: 'mutated' } } });
  });
});

describe('failures of the webhook', () => {
  beforeAll(async () => {
    const config = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'failing' },
      webhooks: [
        hook('down-fail.example.com', { url: `https://127.0.0.1:${closedPort}/down` }, { objectSelector: { matchLabels: { case: 'down-fail' } } }),
        hook('down-ignore.example.com', { url: `https://127.0.0.1:${closedPort}/down` }, { objectSelector: { matchLabels: { case: 'down-ignore' } }, failurePolicy: 'Ignore' }),
        hook('slow.example.com', { url: `${base}/slow` }, { objectSelector: { matchLabels: { case: 'slow' } }, timeoutSeconds: 1 }),
        hook('garbage.example.com', { url: `${base}/garbage` }, { objectSelector: { matchLabels: { case: 'garbage' } } }),
        hook('dry-run.example.com', { url: `${base}/allow` }, { objectSelector: { matchLabels: { case: 'dry-run' } }, sideEffects: 'NoneOnDryRun' }),
      ],
    };
    await create(config);
    await eventually(async () => expect((await createConfigMap('plain', 'probe-down', { labels: { case: 'down-fail' } })).status).toBe(500));
  });

  it('refuses the request naming the webhook when it is down and failurePolicy is Fail', async () => {
    const res = await createConfigMap('plain', 'down-fail', { labels: { case: 'down-fail' } });
    expect(res.status).toBe(500);
    expect(res.json).toMatchObject({ reason: 'InternalError', code: 500 });
    expect(res.json.message).toBe(`Internal error occurred: failed calling webhook "down-fail.example.com": failed to call webhook: Post "https://127.0.0.1:${closedPort}/down?timeout=10s": dial tcp 127.0.0.1:${closedPort}: connect: connection refused`);
  });

  it('lets the request through when the webhook is down and failurePolicy is Ignore', async () => {
    expect((await createConfigMap('plain', 'down-ignore', { labels: { case: 'down-ignore' } })).status).toBe(201);
  });

  it('cuts a webhook that does not answer at timeoutSeconds', async () => {
    const started = Date.now();
    const res = await createConfigMap('plain', 'slow', { labels: { case: 'slow' } });
    expect(res.status).toBe(500);
    expect(res.json.message).toBe(`Internal error occurred: failed calling webhook "slow.example.com": failed to call webhook: Post "${base}/slow?timeout=1s": context deadline exceeded`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it('refuses the request when the webhook answers something that is not an AdmissionReview', async () => {
    const res = await createConfigMap('plain', 'garbage', { labels: { case: 'garbage' } });
    expect(res.status).toBe(500);
    expect(res.json.message).toMatch(/^Internal error occurred: failed calling webhook "garbage\.example\.com": failed to call webhook: couldn't get version\/kind; json parse error: /);
  });

  it('calls a NoneOnDryRun webhook for a dry run, which stores nothing', async () => {
    const res = await createConfigMap('plain', 'dry', { labels: { case: 'dry-run' }, dryRun: true });
    expect(res.status).toBe(201);
    expect(received.find((r) => r.request.name === 'dry')?.request).toMatchObject({ dryRun: true, options: { dryRun: ['All'] } });
    expect((await admin('/api/v1/namespaces/plain/configmaps/dry')).status).toBe(404);
  });

  it('refuses a dry run that would reach a webhook with side effects (a configuration stored before v1 checked them)', async () => {
    const legacy = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'legacy', uid: 'legacy-uid', creationTimestamp: '2020-01-01T00:00:00Z' }, webhooks: [{ ...hook('legacy.example.com', { url: `${base}/allow` }, { objectSelector: { matchLabels: { case: 'legacy' } } }), sideEffects: 'Unknown', failurePolicy: 'Fail', timeoutSeconds: 10, matchPolicy: 'Equivalent', namespaceSelector: {} }] };
    expect((await cluster.etcdctl(['put', '/registry/validatingwebhookconfigurations/legacy', JSON.stringify(legacy)])).code).toBe(0);
    await eventually(async () => expect((await createConfigMap('plain', 'legacy-dry', { labels: { case: 'legacy' }, dryRun: true })).status).toBe(400));
    const res = await cluster.kubectl(['create', '--validate=false', '-f', '-', '--dry-run=server'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'legacy-kubectl', namespace: 'plain', labels: { case: 'legacy' } } }) });
    expect(res.stderr).toContain('admission webhook "legacy.example.com" does not support dry run');
    // Without dryRun it is called as usual.
    expect((await createConfigMap('plain', 'legacy-real', { labels: { case: 'legacy' } })).status).toBe(201);
  });
});

describe('ValidatingAdmissionPolicy', () => {
  beforeAll(async () => {
    const objects = [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'replica-limit', namespace: 'default' }, data: { maxReplicas: '5' } },
      {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicy',
        metadata: { name: 'max-replicas' },
        spec: {
          failurePolicy: 'Fail',
          paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
          matchConstraints: { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['deployments'] }] },
          validations: [
            { expression: 'object.spec.replicas <= int(params.data.maxReplicas)', messageExpression: "'replicas must be no greater than ' + params.data.maxReplicas + ', got ' + string(object.spec.replicas)" },
          ],
        },
      },
      {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicyBinding',
        metadata: { name: 'max-replicas-binding' },
        spec: { policyName: 'max-replicas', validationActions: ['Deny'], paramRef: { name: 'replica-limit', namespace: 'default', parameterNotFoundAction: 'Deny' } },
      },
    ];
    await create(...objects);
  });

  it('denies a Deployment with more than 5 replicas through kubectl, and admits one with 3', async () => {
    await eventually(async () => {
      const denied = await cluster.kubectl(['create', 'deployment', 'big', '--image=nginx', '--replicas=6']);
      expect(denied.stderr).toContain(`deployments.apps "big" is forbidden: ValidatingAdmissionPolicy 'max-replicas' with binding 'max-replicas-binding' denied request: replicas must be no greater than 5, got 6`);
    });
    const res = await admin('/apis/apps/v1/namespaces/default/deployments', { method: 'POST', body: { metadata: { name: 'big' }, spec: { replicas: 7, selector: { matchLabels: { app: 'big' } }, template: { metadata: { labels: { app: 'big' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } } } });
    expect(res.status).toBe(422);
    expect(res.json).toMatchObject({ reason: 'Invalid', details: { name: 'big', group: 'apps', kind: 'deployments' } });
    const small = await cluster.kubectl(['create', 'deployment', 'small', '--image=nginx', '--replicas=3']);
    expect(small.stdout).toBe('deployment.apps/small created\n');
    const scaled = await cluster.kubectl(['patch', 'deployment', 'small', '--type=merge', '-p', '{"spec":{"replicas":9}}']);
    expect(scaled.stderr).toContain('replicas must be no greater than 5, got 9');
  });

  it('refuses a policy whose expression does not compile (422 naming the field)', async () => {
    const res = await admin('/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies', { method: 'POST', body: { metadata: { name: 'broken' }, spec: { matchConstraints: { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['deployments'] }] }, validations: [{ expression: 'object.spec.replicas <=' }] } } });
    expect(res.status).toBe(422);
    expect(res.json.message).toMatch(/^ValidatingAdmissionPolicy\.admissionregistration\.k8s\.io "broken" is invalid: spec\.validations\[0\]\.expression: Invalid value: "object\.spec\.replicas <=": compilation failed: /);
  });

  it('warns instead with validationActions Warn', async () => {
    const path = '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings/max-replicas-binding';
    expect((await admin(path, { method: 'PATCH', contentType: 'application/merge-patch+json', body: { spec: { validationActions: ['Warn'] } } })).status).toBe(200);
    await eventually(async () => {
      const warned = await cluster.kubectl(['create', 'deployment', `warned-${Date.now()}`, '--image=nginx', '--replicas=8']);
      expect(warned.code).toBe(0);
      expect(warned.stderr).toContain("Warning: Validation failed for ValidatingAdmissionPolicy 'max-replicas' with binding 'max-replicas-binding': replicas must be no greater than 5, got 8");
    });
  });
});
