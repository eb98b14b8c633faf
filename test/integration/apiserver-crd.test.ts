import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRequest, type ApiRequest, type TestCluster } from '../helpers/apiserver-harness.js';
import { startClusterWithNewestClients, type ClientRunner } from '../helpers/newest-clients.js';

let cluster: TestCluster;
let kubectl135: ClientRunner;
let helm: ClientRunner;
const admin = (p: string, request: ApiRequest = {}) => apiRequest(cluster.url, cluster.pki, p, { client: cluster.pki.admin, ...request });

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: crontabs.stable.example.com
spec:
  group: stable.example.com
  scope: Namespaced
  names: { plural: crontabs, singular: crontab, kind: CronTab, shortNames: [ct] }
  versions:
  - name: v1beta1
    served: true
    storage: false
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: { type: object, x-kubernetes-preserve-unknown-fields: true }
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale: { specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas }
    additionalPrinterColumns:
    - { name: Spec, type: string, jsonPath: .spec.cronSpec }
    - { name: Replicas, type: integer, jsonPath: .spec.replicas }
    - { name: Age, type: date, jsonPath: .metadata.creationTimestamp }
    schema:
      openAPIV3Schema:
        type: object
        description: A CronTab runs an image on a schedule.
        properties:
          spec:
            type: object
            required: [cronSpec]
            properties:
              cronSpec: { type: string, pattern: '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$', description: The schedule in cron format. }
              image: { type: string }
              replicas: { type: integer, minimum: 1, maximum: 10, default: 1 }
              color: { type: string, enum: [red, blue] }
              extra: { type: object, x-kubernetes-preserve-unknown-fields: true }
          status:
            type: object
            properties:
              replicas: { type: integer }
`;

const CR = (name: string, spec: string) => `apiVersion: stable.example.com/v1
kind: CronTab
metadata: { name: ${name}, namespace: default }
spec: ${spec}
`;

beforeAll(async () => {
  ({ cluster, kubectl135, helm } = await startClusterWithNewestClients());
});
afterAll(async () => {
  await cluster?.stop();
});

describe('CustomResourceDefinitions', () => {
  it('kubectl 1.32 applies a CRD; kubectl 1.35 waits until it is Established; both discover it', async () => {
    const applied = await cluster.kubectl(['apply', '-f', '-'], { input: CRD });
    expect(applied.stderr).toBe('');
    expect(applied.stdout).toBe('customresourcedefinition.apiextensions.k8s.io/crontabs.stable.example.com created\n');
    const waited = await kubectl135(['wait', '--for', 'condition=established', '--timeout=20s', 'crd/crontabs.stable.example.com']);
    expect(waited.stderr).toBe('');
    expect(waited.stdout).toBe('customresourcedefinition.apiextensions.k8s.io/crontabs.stable.example.com condition met\n');
    const crd = JSON.parse((await cluster.kubectl(['get', 'crd', 'crontabs.stable.example.com', '-o', 'json'])).stdout);
    expect(crd.status.conditions.map((c: { type: string; status: string; reason: string }) => `${c.type}=${c.status}/${c.reason}`)).toEqual(['NamesAccepted=True/NoConflicts', 'Established=True/InitialNamesAccepted']);
    expect(crd.status.acceptedNames).toMatchObject({ plural: 'crontabs', kind: 'CronTab', listKind: 'CronTabList', singular: 'crontab' });
    expect(crd.status.storedVersions).toEqual(['v1']);
    expect(crd.spec.conversion).toEqual({ strategy: 'None' });
    for (const run of [cluster.kubectl, kubectl135]) {
      expect((await run(['api-resources', '--api-group=stable.example.com'])).stdout).toMatch(/^crontabs\s+ct\s+stable\.example\.com\/v1\s+true\s+CronTab$/m);
    }
    const aggregated = await admin('/apis', { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' });
    const group = aggregated.json.items.find((g: { metadata: { name: string } }) => g.metadata.name === 'stable.example.com');
    expect(group.versions.map((v: { version: string }) => v.version)).toEqual(['v1', 'v1beta1']);
    expect(group.versions[0].resources[0]).toMatchObject({ resource: 'crontabs', scope: 'Namespaced', shortNames: ['ct'], subresources: [{ subresource: 'status' }, { subresource: 'scale' }] });
  });

  it('serves custom resources: apply (client- and server-side), get with printer columns, defaults, pruning, scale, status', async () => {
    const created = await cluster.kubectl(['apply', '-f', '-'], { input: CR('nightly', '{ cronSpec: "0 3 * * *", image: busybox }') });
    expect(created.stderr).toBe('');
    expect(created.stdout).toBe('crontab.stable.example.com/nightly created\n');
    const ssa = await kubectl135(['apply', '--server-side', '-f', '-'], { input: CR('hourly', '{ cronSpec: "0 * * * *", image: nginx, replicas: 2 }') });
    expect(ssa.stderr).toBe('');
    expect(ssa.stdout).toBe('crontab.stable.example.com/hourly serverside-applied\n');
    const again = await kubectl135(['apply', '--server-side', '-f', '-'], { input: CR('hourly', '{ cronSpec: "0 * * * *", image: nginx, replicas: 2 }') });
    expect(again.stdout).toBe('crontab.stable.example.com/hourly serverside-applied\n');
    const table = await kubectl135(['get', 'ct']);
    expect(table.stdout).toMatch(/^NAME\s+SPEC\s+REPLICAS\s+AGE\nhourly\s+0 \* \* \* \*\s+2\s+\S+\nnightly\s+0 3 \* \* \*\s+1\s+\S+\n$/);
    const nightly = JSON.parse((await cluster.kubectl(['get', 'crontab', 'nightly', '-o', 'json'])).stdout);
    expect(nightly.spec).toEqual({ cronSpec: '0 3 * * *', image: 'busybox', replicas: 1 });
    expect(nightly.metadata.generation).toBe(1);
    const hourly = JSON.parse((await kubectl135(['get', 'crontab', 'hourly', '-o', 'json', '--show-managed-fields'])).stdout);
    expect(hourly.metadata.managedFields[0]).toMatchObject({ manager: 'kubectl', operation: 'Apply', fieldsV1: { 'f:spec': { 'f:cronSpec': {}, 'f:image': {}, 'f:replicas': {} } } });
    // Without ?fieldValidation, unknown fields are pruned (preserved where the schema says so).
    const pruned = await admin('/apis/stable.example.com/v1/namespaces/default/crontabs', { method: 'POST', body: { apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name: 'pruned' }, spec: { cronSpec: '* * * * *', bogus: 1, extra: { kept: true } }, junk: 'x' } });
    expect(pruned.status).toBe(201);
    expect(pruned.json.spec).toEqual({ cronSpec: '* * * * *', replicas: 1, extra: { kept: true } });
    expect(pruned.json.junk).toBeUndefined();
    const strict = await admin('/apis/stable.example.com/v1/namespaces/default/crontabs?fieldValidation=Strict', { method: 'POST', body: { metadata: { name: 'strict' }, spec: { cronSpec: '* * * * *', bogus: 1 } } });
    expect(strict.status).toBe(400);
    expect(strict.json.message).toBe('strict decoding error: unknown field "spec.bogus"');
    // The scale subresource reads and writes the CRD's replica paths.
    const scaled = await cluster.kubectl(['scale', 'crontab', 'nightly', '--replicas=3']);
    expect(scaled.stdout).toBe('crontab.stable.example.com/nightly scaled\n');
    const scale = await admin('/apis/stable.example.com/v1/namespaces/default/crontabs/nightly/scale');
    expect(scale.json).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 3 }, status: { replicas: 0 } });
    // With the status subresource, the main resource ignores status and status writes only status.
    const status = await admin('/apis/stable.example.com/v1/namespaces/default/crontabs/nightly/status', { method: 'PATCH', contentType: 'application/merge-patch+json', body: { status: { replicas: 3 }, spec: { image: 'ignored' } } });
    expect(status.status).toBe(200);
    expect(status.json.status).toEqual({ replicas: 3 });
    expect(status.json.spec.image).toBe('busybox');
    expect(status.json.metadata.generation).toBe(2);
    // Another served version reads the same object (conversion None).
    const beta = await admin('/apis/stable.example.com/v1beta1/namespaces/default/crontabs/nightly');
    expect(beta.json.apiVersion).toBe('stable.example.com/v1beta1');
    expect(beta.json.spec.replicas).toBe(3);
  });

  it('refuses a custom resource its schema does not allow (422 naming each field)', async () => {
    const bad = await kubectl135(['apply', '-f', '-'], { input: CR('bad', '{ cronSpec: "whenever", replicas: 11, color: purple, image: 5 }') });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('The CronTab "bad" is invalid');
    const res = await admin('/apis/stable.example.com/v1/namespaces/default/crontabs', { method: 'POST', body: { apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name: 'bad' }, spec: { cronSpec: 'whenever', replicas: 11, color: 'purple', image: 5 } } });
    expect(res.status).toBe(422);
    expect(res.json.reason).toBe('Invalid');
    expect(res.json.details.causes.map((c: { field: string }) => c.field).sort()).toEqual(['spec.color', 'spec.cronSpec', 'spec.image', 'spec.replicas']);
    expect(res.json.message).toContain('spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10');
    expect(res.json.message).toContain('spec.color: Unsupported value: "purple": supported values: "red", "blue"');
    expect(res.json.message).toContain('spec.image: Invalid value: "integer": spec.image in body must be of type string: "integer"');
    const missing = await admin('/apis/stable.example.com/v1/namespaces/default/crontabs', { method: 'POST', body: { metadata: { name: 'empty' }, spec: {} } });
    expect(missing.status).toBe(422);
    expect(missing.json.message).toBe('CronTab.stable.example.com "empty" is invalid: spec.cronSpec: Required value');
  });

  it('refuses a CRD whose schema is not structural, with upstream\'s message', async () => {
    const crd = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.example.com' }, spec: { group: 'example.com', scope: 'Cluster', names: { plural: 'widgets', kind: 'Widget' }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { properties: { size: { type: 'integer' } } } } } } }] } };
    const res = await admin('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { method: 'POST', body: crd });
    expect(res.status).toBe(422);
    expect(res.json.message).toBe('CustomResourceDefinition.apiextensions.k8s.io "widgets.example.com" is invalid: spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields');
    expect((await admin('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com')).status).toBe(404);
  });

  it('publishes the schema in OpenAPI v3: kubectl explain (1.32 and 1.35)', async () => {
    for (const run of [cluster.kubectl, kubectl135]) {
      const res = await run(['explain', 'crontab.spec.cronSpec']);
      expect(res.stderr).toBe('');
      expect(res.stdout).toMatch(/GROUP:\s+stable\.example\.com\nKIND:\s+CronTab\nVERSION:\s+v1\n\nFIELD: cronSpec <string>\n/);
      expect(res.stdout).toContain('The schedule in cron format.');
    }
    expect((await kubectl135(['explain', 'crontab'])).stdout).toContain('A CronTab runs an image on a schedule.');
  });

  it('serves a cluster-scoped kind; deleting its CRD removes its custom resources', async () => {
    const crd = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'gadgets.example.com' }, spec: { group: 'example.com', scope: 'Cluster', names: { plural: 'gadgets', kind: 'Gadget' }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } } }] } };
    expect((await admin('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { method: 'POST', body: crd })).status).toBe(201);
    expect((await kubectl135(['wait', '--for', 'condition=established', '--timeout=20s', 'crd/gadgets.example.com'])).code).toBe(0);
    const created = await kubectl135(['apply', '--server-side', '-f', '-'], { input: 'apiVersion: example.com/v1\nkind: Gadget\nmetadata: { name: g1 }\nspec: { size: 3 }\n' });
    expect(created.stdout).toBe('gadget.example.com/g1 serverside-applied\n');
    expect((await cluster.kubectl(['get', 'gadgets'])).stdout).toMatch(/^NAME\s+AGE\ng1\s+\S+\n$/);
    // A finalizer on a custom resource holds its CRD in Terminating: no new ones meanwhile.
    expect((await admin('/apis/example.com/v1/gadgets', { method: 'POST', body: { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'held', finalizers: ['example.com/hold'] } } })).status).toBe(201);
    const deleting = await kubectl135(['delete', 'crd', 'gadgets.example.com', '--wait=false']);
    expect(deleting.stdout).toBe('customresourcedefinition.apiextensions.k8s.io "gadgets.example.com" deleted\n');
    const crdPath = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.com';
    let terminating = await admin(crdPath);
    for (let i = 0; i < 100 && !terminating.json.status?.conditions?.some((c: { type: string }) => c.type === 'Terminating'); i++) terminating = await admin(crdPath);
    expect(terminating.json.status.conditions).toContainEqual(expect.objectContaining({ type: 'Terminating', status: 'True', reason: 'InstanceDeletionInProgress' }));
    const refused = await admin('/apis/example.com/v1/gadgets', { method: 'POST', body: { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'late' } } });
    expect(refused.status).toBe(405);
    expect(refused.json.message).toBe('create not allowed while custom resource definition is terminating');
    expect((await admin('/apis/example.com/v1/gadgets/held', { method: 'PATCH', contentType: 'application/merge-patch+json', body: { metadata: { finalizers: null } } })).status).toBe(200);
    const waited = await kubectl135(['wait', '--for=delete', 'crd/gadgets.example.com', '--timeout=30s']);
    expect(waited.code).toBe(0);
    expect((await admin(crdPath)).status).toBe(404);
    expect((await admin('/apis/example.com/v1/gadgets')).status).toBe(404);
    expect((await cluster.etcdctl(['get', '--prefix', '--keys-only', '/registry/example.com/gadgets/'])).stdout).toBe('');
  });

  it('helm 4 installs a chart with a CRD in crds/ and a custom resource in templates/', async () => {
    const chart = path.join(cluster.dir, 'things');
    await mkdir(path.join(chart, 'crds'), { recursive: true });
    await mkdir(path.join(chart, 'templates'), { recursive: true });
    await writeFile(path.join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: things\nversion: 0.1.0\n');
    await writeFile(path.join(chart, 'crds', 'things.yaml'), CRD.replaceAll('crontabs', 'things').replaceAll('crontab', 'thing').replaceAll('CronTab', 'Thing').replace('shortNames: [ct]', 'shortNames: [th]'));
    await writeFile(path.join(chart, 'templates', 'thing.yaml'), 'apiVersion: stable.example.com/v1\nkind: Thing\nmetadata: { name: first }\nspec: { cronSpec: "*/5 * * * *" }\n');
    const res = await helm(['install', 'things', chart], { timeoutMs: 60_000 });
    expect(res.stderr).not.toMatch(/Error|error/);
    expect(res.stdout).toMatch(/STATUS: deployed/);
    const thing = JSON.parse((await cluster.kubectl(['get', 'thing', 'first', '-n', 'default', '-o', 'json'])).stdout);
    expect(thing.spec).toEqual({ cronSpec: '*/5 * * * *', replicas: 1 });
  });
});
