/**
 * metadata.managedFields, as upstream's field manager keeps it: who owns which fields, per
 * manager, operation (Apply or Update), apiVersion and subresource. An Update takes the fields
 * its write changed (others lose them); server-side apply merges an applied configuration,
 * refuses to change fields other managers own (409 naming them) unless forced, and removes
 * fields its manager stopped applying that nobody else owns. Pure.
 */
import { kindType, type FieldType } from './apply-schema.js';
import { customFieldType } from './custom-schema.js';
import { canonical, decodeFields, displayPath, encodeFields, fieldsOf, mergeApplied, pathKey, removePath, valueAt, type FieldPath, type FieldSet } from './fieldset.js';
import { groupVersion, type ResourceType } from './resources.js';
import { ApiError, apiErrors, type StatusCause } from './status.js';
import type { KubeObject } from './storage.js';

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

interface Owner {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string | undefined;
  subresource: string;
  set: FieldSet;
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
/** Metadata the server sets; nobody owns it (upstream's StripMeta). */
const SERVER_METADATA = ['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'selfLink', 'managedFields', 'deletionTimestamp', 'deletionGracePeriodSeconds'];

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

function schemaOf(type: ResourceType): FieldType {
  if (type.custom) return customFieldType(type.custom.schema);
  return kindType(groupVersion(type), type.kind) ?? { k: 'any' };
}

/** The fields of `object` a manager can own: no type meta, no server metadata, and only the subresource's half. */
function ownable(type: ResourceType, subresource: string, object: KubeObject): KubeObject {
  const { apiVersion: _v, kind: _k, metadata: _m, ...rest } = object;
  const metadata = { ...(object.metadata ?? {}) } as Record<string, unknown>;
  for (const field of SERVER_METADATA) delete metadata[field];
  if (subresource === 'status') return { status: rest.status };
  const out: KubeObject = { ...rest, ...(Object.keys(metadata).length > 0 ? { metadata } : {}) };
  if (type.subresources.includes('status')) delete out.status;
  return out;
}

function tracked(type: ResourceType, subresource: string, object: KubeObject | undefined, unknown?: string[]): FieldSet {
  return object ? fieldsOf(ownable(type, subresource, object), schemaOf(type), unknown) : new Map();
}

/** The owners recorded on an object; undefined when its managedFields do not parse. */
function ownersOf(object: KubeObject | undefined): Owner[] | undefined {
  const entries = object?.metadata?.managedFields;
  if (entries === undefined || entries === null) return [];
  if (!Array.isArray(entries)) return undefined;
  try {
    return entries.map((e: Partial<ManagedFieldsEntry>) => {
      if (typeof e.manager !== 'string' || (e.operation !== 'Apply' && e.operation !== 'Update')) throw new Error('bad entry');
      return { manager: e.manager, operation: e.operation, apiVersion: String(e.apiVersion ?? ''), time: e.time, subresource: e.subresource ?? '', set: decodeFields(e.fieldsV1 ?? {}) };
    });
  } catch {
    return undefined;
  }
}

function encodeOwners(owners: Owner[]): ManagedFieldsEntry[] {
  return owners
    .filter((o) => o.set.size > 0)
    .map((o) => ({
      manager: o.manager,
      operation: o.operation,
      apiVersion: o.apiVersion,
      ...(o.time ? { time: o.time } : {}),
      fieldsType: 'FieldsV1' as const,
      fieldsV1: encodeFields(o.set),
      ...(o.subresource ? { subresource: o.subresource } : {}),
    }));
}

function ownerFor(owners: Owner[], manager: string, operation: Owner['operation'], apiVersion: string, subresource: string): Owner {
  let owner = owners.find((o) => o.manager === manager && o.operation === operation && o.subresource === subresource && (operation === 'Apply' || o.apiVersion === apiVersion));
  if (!owner) owners.push((owner = { manager, operation, apiVersion, time: undefined, subresource, set: new Map() }));
  return owner;
}

const isItem = (path: FieldPath) => !(path.at(-1) as string).startsWith('f:');

/**
 * Records an Update by `manager` (create, update, or a non-apply patch) on `next`: it owns
 * what it changed, others lose that, and removed fields leave every set. managedFields the
 * client sent (kubectl's client-side → server-side apply upgrade rewrites them) replace the
 * stored ones first.
 */
export function recordUpdate(type: ResourceType, subresource: string, live: KubeObject | undefined, next: KubeObject, manager: string): void {
  const sent = next.metadata?.managedFields;
  const userSet = sent !== undefined && canonical(sent) !== canonical(live?.metadata?.managedFields);
  const owners = (userSet ? ownersOf(next) : undefined) ?? ownersOf(live) ?? [];
  const before = tracked(type, subresource, live);
  const after = tracked(type, subresource, next);
  const schema = schemaOf(type);
  const changed: FieldPath[] = [];
  for (const [key, path] of after) {
    if (!before.has(key)) changed.push(path);
    else if (!isItem(path) && canonical(valueAt(live, path, schema)) !== canonical(valueAt(next, path, schema))) changed.push(path);
  }
  const removed = [...before.keys()].filter((key) => !after.has(key));
  for (const owner of owners) {
    for (const key of removed) owner.set.delete(key);
    if (owner.manager !== manager || owner.operation !== 'Update') for (const path of changed) owner.set.delete(pathKey(path));
  }
  if (changed.length > 0) {
    const own = ownerFor(owners, manager, 'Update', groupVersion(type), subresource);
    for (const path of changed) own.set.set(pathKey(path), path);
    own.time = now();
  }
  next.metadata = { ...next.metadata, managedFields: encodeOwners(owners) };
  if ((next.metadata.managedFields as unknown[]).length === 0) delete next.metadata.managedFields;
}

function conflictError(conflicts: Array<{ owner: Owner; path: FieldPath }>): ApiError {
  const name = (o: Owner) => {
    const base = `"${o.manager}"${o.subresource ? ` with subresource "${o.subresource}"` : ''}`;
    return o.operation === 'Update' ? `${base} using ${o.apiVersion}${o.time ? ` at ${o.time}` : ''}` : base;
  };
  const causes: StatusCause[] = conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${name(c.owner)}`, field: displayPath(c.path) }));
  let message: string;
  if (conflicts.length === 1) {
    const [c] = conflicts as [{ owner: Owner; path: FieldPath }];
    message = `Apply failed with 1 conflict: conflict with ${name(c.owner)}: ${displayPath(c.path)}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const c of conflicts) byManager.set(name(c.owner), [...(byManager.get(name(c.owner)) ?? []), displayPath(c.path)]);
    const lines = [...byManager.keys()].sort().flatMap((m) => [`conflicts with ${m}:`, ...(byManager.get(m) as string[]).map((p) => `- ${p}`)]);
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new ApiError(409, 'Conflict', message, { causes });
}

/**
 * Upstream's lastAppliedManager: kubectl's first server-side apply over a client-side-applied
 * object may take the fields of the last-applied annotation whose live values it still holds.
 */
function clientSideApplied(type: ResourceType, subresource: string, live: KubeObject | undefined, schema: FieldType): FieldSet {
  const annotation = (live?.metadata?.annotations as Record<string, string> | undefined)?.[LAST_APPLIED];
  if (!annotation) return new Map();
  let lastApplied: KubeObject;
  try {
    lastApplied = JSON.parse(annotation) as KubeObject;
  } catch {
    return new Map();
  }
  const fields = tracked(type, subresource, lastApplied, []);
  for (const [key, path] of fields) if (canonical(valueAt(lastApplied, path, schema)) !== canonical(valueAt(live, path, schema))) fields.delete(key);
  return fields;
}

/**
 * Server-side apply of `applied` by `manager` over `live` (undefined: the object is created).
 * Returns the object to store, managedFields included.
 */
export function applyConfiguration(type: ResourceType, subresource: string, live: KubeObject | undefined, applied: KubeObject, manager: string, force: boolean): KubeObject {
  const schema = schemaOf(type);
  const config: KubeObject = { ...applied, metadata: { ...(applied.metadata ?? {}) } };
  delete config.metadata?.managedFields;
  const unknown: string[] = [];
  const appliedSet = tracked(type, subresource, config, unknown);
  if (unknown.length > 0) {
    throw apiErrors.badRequest(`failed to create typed patch object (${groupVersion(type)}, Kind=${type.kind}): ${unknown.map((u) => `${u}: field not declared in schema`).join(', ')}`);
  }
  const owners = ownersOf(live) ?? [];
  const merged = mergeApplied(live ?? {}, config, schema) as KubeObject;
  const isSelf = (o: Owner) => o.manager === manager && o.operation === 'Apply' && o.subresource === subresource;
  const conflicts: Array<{ owner: Owner; path: FieldPath }> = [];
  for (const owner of owners) {
    if (isSelf(owner)) continue;
    for (const [key, path] of appliedSet) {
      if (!owner.set.has(key) || isItem(path)) continue;
      if (canonical(valueAt(live, path, schema)) !== canonical(valueAt(merged, path, schema))) conflicts.push({ owner, path });
    }
  }
  if (conflicts.length > 0 && !force) {
    const upgradable = clientSideApplied(type, subresource, live, schema);
    const blocking = manager === 'kubectl' ? conflicts.filter((c) => !upgradable.has(pathKey(c.path))) : conflicts;
    if (blocking.length > 0) throw conflictError(blocking);
  }
  for (const { owner, path } of conflicts) owner.set.delete(pathKey(path));
  const own = ownerFor(owners, manager, 'Apply', String(config.apiVersion ?? groupVersion(type)), subresource);
  const others = owners.filter((o) => o !== own);
  const removed = [...own.set.entries()].filter(([key]) => !appliedSet.has(key) && !others.some((o) => o.set.has(key)));
  // Parents first: a removed list item takes its fields along (its key fields identify it).
  for (const [, path] of removed.sort(([, a], [, b]) => a.length - b.length)) removePath(merged, path, schema);
  own.set = appliedSet;
  own.apiVersion = String(config.apiVersion ?? groupVersion(type));
  own.time = now();
  const annotations = merged.metadata?.annotations as Record<string, string> | undefined;
  // As upstream's lastAppliedUpdater: a later client-side apply diffs against this apply.
  if (annotations?.[LAST_APPLIED] !== undefined && (config.metadata?.annotations as Record<string, string> | undefined)?.[LAST_APPLIED] === undefined) {
    const { metadata, ...rest } = config;
    const lastApplied = { ...rest, metadata: { ...metadata } };
    merged.metadata = { ...merged.metadata, annotations: { ...annotations, [LAST_APPLIED]: `${JSON.stringify(lastApplied)}\n` } };
  }
  merged.metadata = { ...merged.metadata, resourceVersion: applied.metadata?.resourceVersion, managedFields: encodeOwners(owners) };
  return merged;
}
