/**
 * OpenAPI v3, enough for kubectl 1.32: `/openapi/v3` lists one document per group-version;
 * each declares the paths (with x-kubernetes-group-version-kind, x-kubernetes-action and the
 * fieldValidation parameter on writes, so kubectl leaves validation to the server) and a
 * schema per kind. The same field table drives server-side field validation (Strict/Warn).
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { structType } from './apply-schema.js';
import { unknownCustomFields } from './custom-resources.js';
import { sendJson } from './http.js';
import { componentName, componentSchemas, kindDefinition, type Docs } from './openapi-components.js';
import type { RequestInfo } from './requestinfo.js';
import { groupVersion, RESOURCES, resourcesGeneration, servedGroupVersions, type ResourceType } from './resources.js';
import { apiErrors } from './status.js';
import type { KubeObject } from './storage.js';

/** Top-level fields of each kind besides apiVersion, kind and metadata. */
const KIND_FIELDS: Record<string, string[]> = {
  ConfigMap: ['data', 'binaryData', 'immutable'],
  Secret: ['data', 'stringData', 'type', 'immutable'],
  ServiceAccount: ['secrets', 'imagePullSecrets', 'automountServiceAccountToken'],
  Event: ['involvedObject', 'reason', 'message', 'source', 'firstTimestamp', 'lastTimestamp', 'count', 'type', 'eventTime', 'series', 'action', 'related', 'reportingComponent', 'reportingInstance', 'regarding', 'note', 'reportingController', 'deprecatedSource', 'deprecatedFirstTimestamp', 'deprecatedLastTimestamp', 'deprecatedCount'],
  Endpoints: ['subsets'],
  ClusterRole: ['rules', 'aggregationRule'],
  Role: ['rules'],
  ClusterRoleBinding: ['subjects', 'roleRef'],
  RoleBinding: ['subjects', 'roleRef'],
  PriorityClass: ['value', 'globalDefault', 'description', 'preemptionPolicy'],
};
const META_FIELDS = ['name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields'];

function topFields(type: ResourceType): string[] {
  const def = kindDefinition(groupVersion(type), type.kind);
  const declared = def ? [...(structType(def)?.fields.keys() ?? [])].filter((f) => !['apiVersion', 'kind', 'metadata'].includes(f)) : undefined;
  return ['apiVersion', 'kind', 'metadata', ...(KIND_FIELDS[type.kind] ?? declared ?? ['spec', 'status'])];
}

/** Unknown fields of `object` (top level and metadata), as `.spec.x` paths. */
export function unknownFields(type: ResourceType, object: KubeObject): string[] {
  if (type.custom) return unknownCustomFields(type, object);
  const known = new Set(topFields(type));
  const unknown = Object.keys(object).filter((k) => !known.has(k)).map((k) => `.${k}`);
  const meta = object.metadata && typeof object.metadata === 'object' ? Object.keys(object.metadata) : [];
  return [...unknown, ...meta.filter((k) => !META_FIELDS.includes(k)).map((k) => `.metadata.${k}`)];
}

/** Applies ?fieldValidation: Strict → 400 naming the fields, Warn → warning headers, Ignore → nothing. */
export function checkFieldValidation(type: ResourceType, object: unknown, mode: string | null, res: ServerResponse): void {
  if (!mode || mode === 'Ignore' || object === null || typeof object !== 'object') return;
  const unknown = unknownFields(type, object as KubeObject);
  if (unknown.length === 0) return;
  if (mode === 'Strict') throw apiErrors.badRequest(`strict decoding error: ${unknown.map((u) => `unknown field "${u.slice(1)}"`).join(', ')}`);
  res.setHeader('Warning', unknown.map((u) => `299 - "unknown field \\"${u.slice(1)}\\""`));
}

/** Upstream's component name where upstream's OpenAPI describes the kind, else a shallow schema's. */
const schemaName = (type: ResourceType) => {
  if (type.custom) return `${type.group.split('.').reverse().join('.')}.${type.version}.${type.kind}`;
  const def = kindDefinition(groupVersion(type), type.kind);
  return def ? componentName(def) : `io.k8s.kubeforge.${(type.group || 'core').replace(/\./g, '_')}.${type.version}.${type.kind}`;
};

function kindSchema(type: ResourceType): Record<string, unknown> {
  const properties: Record<string, unknown> = {
    apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
    kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
    metadata: { type: 'object', description: "Standard object's metadata.", 'x-kubernetes-preserve-unknown-fields': true },
  };
  for (const field of topFields(type).slice(3)) properties[field] = { 'x-kubernetes-preserve-unknown-fields': true };
  return {
    type: 'object',
    description: `${type.kind} (${groupVersion(type)}) served by kubeforge.`,
    properties,
    'x-kubernetes-group-version-kind': [{ group: type.group, version: type.version, kind: type.kind }],
  };
}

const OBJECT_META = 'apimachinery.pkg.apis.meta.v1.ObjectMeta';

/** A custom resource's component: its CRD's schema with the type meta and ObjectMeta upstream adds. */
function customSchema(type: ResourceType): Record<string, unknown> {
  const schema = type.custom?.schema ?? {};
  return {
    ...schema,
    type: 'object',
    properties: {
      apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
      kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
      metadata: { allOf: [{ $ref: `#/components/schemas/${componentName(OBJECT_META)}` }], description: "Standard object's metadata." },
      ...((schema.properties ?? {}) as Record<string, unknown>),
    },
    'x-kubernetes-group-version-kind': [{ group: type.group, version: type.version, kind: type.kind }],
  };
}

const FIELD_VALIDATION = { name: 'fieldValidation', in: 'query', description: 'Ignore, Warn or Strict handling of unknown fields.', schema: { type: 'string', uniqueItems: true } };

function operation(type: ResourceType, action: string, write: boolean): Record<string, unknown> {
  const ref = { $ref: `#/components/schemas/${schemaName(type)}` };
  return {
    operationId: `${action}${type.kind}`,
    ...(write ? { parameters: [FIELD_VALIDATION], requestBody: { content: { '*/*': { schema: ref } } } } : {}),
    responses: { '200': { description: 'OK', content: { 'application/json': { schema: ref } } } },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group: type.group, version: type.version, kind: type.kind },
  };
}

export function groupVersionDocument(group: string, version: string, docs: Docs): Record<string, unknown> | undefined {
  const types = RESOURCES.filter((r) => r.group === group && r.version === version);
  if (types.length === 0) return undefined;
  const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
  const paths: Record<string, unknown> = {};
  for (const type of types) {
    const collection = type.namespaced ? `${base}/namespaces/{namespace}/${type.plural}` : `${base}/${type.plural}`;
    paths[collection] = { get: operation(type, 'list', false), post: operation(type, 'post', true) };
    if (!type.virtual) paths[`${collection}/{name}`] = { get: operation(type, 'get', false), put: operation(type, 'put', true), patch: operation(type, 'patch', true), delete: operation(type, 'delete', false) };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths,
    components: {
      schemas: {
        ...Object.fromEntries(types.filter((t) => !t.custom && !kindDefinition(groupVersion(t), t.kind)).map((t) => [schemaName(t), kindSchema(t)])),
        ...componentSchemas([...types.flatMap((t) => (t.custom ? [] : (kindDefinition(groupVersion(t), t.kind) ?? []))), ...(types.some((t) => t.custom) ? [OBJECT_META] : [])], docs),
        ...Object.fromEntries(types.filter((t) => t.custom).map((t) => [schemaName(t), customSchema(t)])),
      },
    },
  };
}

function docPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

/** The descriptions, loaded on the first OpenAPI request (most of the generated data). */
const loadDocs = async (): Promise<Docs> => (await import('./openapi-docs.js')).DOCS;

/** The documents are built on request and never kept: only their hashes stay, once asked for. */
export function openApiRoute() {
  let hashes: Map<string, string> | undefined;
  let hashed = -1;
  const documentHashes = (docs: Docs) => {
    // Kept until a CRD changes the served kinds.
    if (hashes && hashed === resourcesGeneration()) return hashes;
    hashed = resourcesGeneration();
    hashes = new Map();
    for (const { group, versions } of servedGroupVersions()) {
      for (const version of versions) {
        const doc = JSON.stringify(groupVersionDocument(group, version, docs));
        hashes.set(docPath(group, version), createHash('sha512').update(doc).digest('hex').slice(0, 64).toUpperCase());
      }
    }
    return hashes;
  };
  return async (_req: IncomingMessage, res: ServerResponse, info: RequestInfo): Promise<boolean> => {
    const [first, second, ...rest] = info.parts;
    if (first !== 'openapi' || second !== 'v3') return false;
    const docs = await loadDocs();
    if (rest.length === 0) {
      const paths = Object.fromEntries([...documentHashes(docs)].map(([p, hash]) => [p, { serverRelativeURL: `/openapi/v3/${p}?hash=${hash}` }]));
      sendJson(res, 200, { paths });
      return true;
    }
    const [kind, a, b] = rest;
    const doc = kind === 'api' && a && !b ? groupVersionDocument('', a, docs) : kind === 'apis' && a && b ? groupVersionDocument(a, b, docs) : undefined;
    if (!doc) return false;
    sendJson(res, 200, doc);
    return true;
  };
}
