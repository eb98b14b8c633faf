/**
 * Object lifecycle over Storage, generic over the kinds table: create (generateName, uid,
 * creationTimestamp, namespace checks, validation), get, list (selectors, limit/continue),
 * update with optimistic concurrency, patch (retried on conflict), subresources, and
 * delete honouring finalizers.
 */
import { randomUUID, randomInt } from 'node:crypto';
import type { UserInfo } from './authn.js';
import { mergeCsrSubresource } from './csr.js';
import { asVersion, toStorage } from './conversion.js';
import { validateCrdUpdate } from './crd.js';
import { customGeneration, prepareCustom } from './custom-resources.js';
import { applyCreateDefaults, applyUpdateDefaults } from './defaults.js';
import { applyConfiguration, recordUpdate } from './managedfields.js';
import { applyPatch } from './patch.js';
import { finalizersForPropagation, type PropagationPolicy } from './gc-deletion.js';
import { podDeletionGrace } from './pod-deletion.js';
import { groupVersion, storageKey, findResource, type ResourceType } from './resources.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { ApiError, apiErrors } from './status.js';
import type { KubeObject, Storage } from './storage.js';
import type { Admit, Mutate, Operation } from './admission/index.js';
import { rbacCauses, rbacUpdateCauses } from './rbac-validation.js';
import { validateObject } from './validation.js';

const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';
const MAX_RETRIES = 8;

export function nowTimestamp(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

export function parseResourceVersion(value: string | null | undefined, field = 'resourceVersion'): number {
  if (value === null || value === undefined || value === '' || value === '0') return 0;
  if (!/^\d+$/.test(value)) throw apiErrors.badRequest(`${field}: Invalid value: "${value}": resource version must be a non-negative integer`);
  return Number(value);
}

interface ContinueToken {
  v: string;
  rv: number;
  start: string;
}

function encodeContinue(revision: number, key: string, prefix: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: revision, start: key.slice(prefix.length) })).toString('base64url');
}

function decodeContinue(token: string): ContinueToken {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as ContinueToken;
    if (parsed.v !== 'meta.k8s.io/v1' || typeof parsed.rv !== 'number' || typeof parsed.start !== 'string' || parsed.start.includes('..')) throw new Error('bad');
    return parsed;
  } catch {
    throw apiErrors.badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
}

export interface WriteOptions {
  dryRun?: boolean;
  /** The admission chain for this request, run on the object after defaults and validation. */
  admit?: (operation: Operation, object: KubeObject | undefined, oldObject: KubeObject | undefined) => ReturnType<Admit>;
  /** Mutating admission (webhooks), run after defaults and before validation: the changed object, or undefined. */
  mutate?: (operation: Operation, object: KubeObject | undefined, oldObject: KubeObject | undefined) => ReturnType<Mutate>;
  /** Records the write in metadata.managedFields as an Update by this manager. */
  fieldManager?: string;
  /** The subresource written ('' for the object itself), for managedFields. */
  subresource?: string;
}

/** What some kinds hold outside their own key (a Service's ClusterIP and node ports). */
export interface StoreHooks {
  /** Takes it for a new object (filling the object); undone by release. */
  reserve?(type: ResourceType, object: KubeObject): Promise<void>;
  /** Gives it back once the object is gone (or was never stored). */
  release?(type: ResourceType, object: KubeObject): Promise<void>;
}

export class ObjectStore {
  constructor(
    readonly storage: Storage,
    readonly etcdRoot: string,
    private readonly hooks: StoreHooks = {},
  ) {}

  private async released(type: ResourceType, object: KubeObject): Promise<void> {
    await this.hooks.release?.(type, object).catch(() => undefined);
  }

  key(type: ResourceType, namespace: string | undefined, name?: string): string {
    if (name !== undefined && (name === '' || name === '.' || name === '..' || name.includes('/'))) {
      throw apiErrors.badRequest(`invalid resource name "${name}": may not be '.' or '..' and may not contain '/'`);
    }
    return storageKey(this.etcdRoot, type, namespace, name);
  }

  async get(type: ResourceType, namespace: string | undefined, name: string): Promise<KubeObject> {
    const stored = await this.storage.get(this.key(type, namespace, name));
    if (!stored) throw apiErrors.notFound(type.plural, type.group, name);
    return stored.object;
  }

  /** The stored object's JSON, for GETs that want it as stored. */
  async getEncoded(type: ResourceType, namespace: string | undefined, name: string): Promise<Buffer> {
    const encoded = await this.storage.getEncoded(this.key(type, namespace, name));
    if (!encoded) throw apiErrors.notFound(type.plural, type.group, name);
    return encoded;
  }

  async list(type: ResourceType, namespace: string | undefined, query: URLSearchParams): Promise<KubeObject> {
    const labels = parseLabelSelector(query.get('labelSelector'));
    const fields = parseFieldSelector(query.get('fieldSelector'));
    const prefix = this.key(type, namespace);
    const limit = Number(query.get('limit') ?? 0) || 0;
    const token = query.get('continue');
    const cont = token ? decodeContinue(token) : undefined;
    const rv = parseResourceVersion(query.get('resourceVersion'));
    const page = await this.storage.list(prefix, {
      limit,
      ...(cont ? { startKey: prefix + cont.start, revision: cont.rv } : rv && query.get('resourceVersionMatch') === 'Exact' ? { revision: rv } : {}),
      keep: (o) => labels(o) && fields(o),
    });
    const metadata: Record<string, unknown> = { resourceVersion: String(page.revision) };
    if (page.continueKey) {
      metadata.continue = encodeContinue(page.revision, page.continueKey, prefix);
      if (!query.get('labelSelector') && !query.get('fieldSelector')) metadata.remainingItemCount = page.remaining;
    }
    return { kind: `${type.kind}List`, apiVersion: groupVersion(type), metadata, items: page.items };
  }

  async namespaceUsable(namespace: string, forCreate: boolean): Promise<void> {
    const nsType = findResource('', 'v1', 'namespaces') as ResourceType;
    const stored = await this.storage.get(this.key(nsType, undefined, namespace));
    if (!stored) throw apiErrors.notFound('namespaces', '', namespace);
    if (forCreate && stored.object.metadata?.deletionTimestamp) {
      throw new ApiError(403, 'Forbidden', `unable to create new content in namespace ${namespace} because it is being terminated`);
    }
  }

  /** Checks kind/apiVersion/namespace of a body against the URL. */
  private checkBody(type: ResourceType, namespace: string | undefined, body: unknown): KubeObject {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw apiErrors.badRequest('the body of the request must be a JSON or YAML object');
    const object = body as KubeObject;
    if (object.kind !== undefined && object.kind !== type.kind) {
      throw apiErrors.badRequest(`the API version in the data (${String(object.apiVersion)}) does not match the expected API version (${groupVersion(type)}) or kind ${String(object.kind)} does not match ${type.kind}`);
    }
    if (object.apiVersion !== undefined && object.apiVersion !== groupVersion(type)) {
      throw apiErrors.badRequest(`the API version in the data (${String(object.apiVersion)}) does not match the expected API version (${groupVersion(type)})`);
    }
    const meta = object.metadata ?? {};
    if (meta === null || typeof meta !== 'object') throw apiErrors.badRequest('metadata must be an object');
    if (type.namespaced && meta.namespace && meta.namespace !== namespace) {
      throw apiErrors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    return { ...object, kind: type.kind, apiVersion: groupVersion(type), metadata: { ...meta, ...(type.namespaced ? { namespace } : {}) } };
  }

  /**
   * A mutating webhook's object, with what it may not change put back: kind, apiVersion, name,
   * namespace, uid, creationTimestamp and resourceVersion (upstream sets or checks them after admission).
   */
  private afterMutation(type: ResourceType, namespace: string | undefined, mutated: KubeObject, before: KubeObject): KubeObject {
    const sent = mutated.metadata;
    const meta: Record<string, unknown> = sent && typeof sent === 'object' && !Array.isArray(sent) ? { ...sent } : {};
    const kept = before.metadata ?? {};
    const system = { name: kept.name, uid: kept.uid, creationTimestamp: kept.creationTimestamp, resourceVersion: kept.resourceVersion, ...(type.namespaced ? { namespace } : {}) };
    for (const [key, value] of Object.entries(system)) {
      if (value === undefined) delete meta[key];
      else meta[key] = value;
    }
    return { ...mutated, kind: type.kind, apiVersion: groupVersion(type), metadata: meta as KubeObject['metadata'] };
  }

  private validate(type: ResourceType, object: KubeObject, previous?: KubeObject): void {
    const crdUpdate = previous && !type.custom && type.kind === 'CustomResourceDefinition' ? validateCrdUpdate(object, previous) : [];
    const causes = [...validateObject(type, object), ...rbacCauses(type.kind, object), ...(previous ? rbacUpdateCauses(type.kind, object, previous) : []), ...crdUpdate];
    if (causes.length > 0) throw apiErrors.invalid(type.kind, type.group, object.metadata?.name ?? '', causes);
  }

  async create(type: ResourceType, namespace: string | undefined, body: unknown, user: UserInfo, options: WriteOptions = {}): Promise<KubeObject> {
    let object = this.checkBody(type, namespace, body);
    const sentMeta = object.metadata ?? {};
    if (!sentMeta.name && sentMeta.generateName) {
      sentMeta.name = sentMeta.generateName + Array.from({ length: 5 }, () => NAME_CHARS[randomInt(NAME_CHARS.length)]).join('');
    }
    delete sentMeta.resourceVersion;
    delete sentMeta.deletionTimestamp;
    sentMeta.uid = randomUUID();
    sentMeta.creationTimestamp = nowTimestamp();
    object.metadata = sentMeta;
    if (type.custom) {
      prepareCustom(type, object);
      customGeneration(type, object, undefined);
    } else applyCreateDefaults(object, user);
    if (options.fieldManager) recordUpdate(type, '', undefined, object, options.fieldManager);
    const mutated = await options.mutate?.('CREATE', object, undefined);
    if (mutated) {
      // As upstream, the system fields are set after mutating admission and the result is defaulted again.
      object = this.afterMutation(type, namespace, mutated, object);
      if (type.custom) prepareCustom(type, object);
      else applyCreateDefaults(object, user);
    }
    const meta = object.metadata ?? {};
    this.validate(type, object);
    if (type.namespaced) await this.namespaceUsable(namespace ?? '', true);
    await options.admit?.('CREATE', object, undefined);
    const name = meta.name as string;
    const key = this.key(type, namespace, name);
    if (options.dryRun) return object;
    await this.hooks.reserve?.(type, object);
    let created: KubeObject | undefined;
    try {
      created = await this.storage.create(key, toStorage(type, object));
    } finally {
      if (!created) await this.released(type, object);
    }
    if (!created) throw apiErrors.alreadyExists(type.plural, type.group, name);
    return created;
  }

  /** Builds the object an update stores, from what is stored and what was sent. */
  private merged(type: ResourceType, subresource: string, current: KubeObject, sent: KubeObject): KubeObject {
    const meta = current.metadata ?? {};
    if (type.kind === 'CertificateSigningRequest' && (subresource === 'status' || subresource === 'approval')) return mergeCsrSubresource(subresource, current, sent);
    if (subresource === 'status') return { ...current, status: sent.status, metadata: meta };
    if (subresource === 'finalize') return { ...current, spec: { ...((current.spec ?? {}) as object), finalizers: (sent.spec as Record<string, unknown> | undefined)?.finalizers ?? [] } };
    const next: KubeObject = {
      ...sent,
      metadata: {
        ...sent.metadata,
        uid: meta.uid,
        creationTimestamp: meta.creationTimestamp,
        ...(meta.deletionTimestamp ? { deletionTimestamp: meta.deletionTimestamp } : {}),
        ...(meta.generation !== undefined ? { generation: meta.generation } : {}),
      },
    };
    if (type.subresources.includes('status')) {
      if (current.status === undefined) delete next.status;
      else next.status = current.status;
    }
    return next;
  }

  /**
   * Read-modify-write with compare-and-swap. `change` gets the stored object and returns the
   * object to store; a stale resourceVersion it pins is a 409, other races retry.
   */
  async guaranteedUpdate(type: ResourceType, namespace: string | undefined, name: string, change: (current: KubeObject) => KubeObject, options: WriteOptions = {}): Promise<KubeObject> {
    const key = this.key(type, namespace, name);
    for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
      const read = await this.storage.get(key);
      if (!read) throw apiErrors.notFound(type.plural, type.group, name);
      // The change sees the object in the version of the request.
      const stored = { ...read, object: asVersion(type, read.object) };
      let next = change(stored.object);
      const pinned = parseResourceVersion(next.metadata?.resourceVersion, 'metadata.resourceVersion');
      if (pinned && pinned !== stored.revision) throw apiErrors.conflict(type.plural, type.group, name);
      if ((next.metadata?.name ?? name) !== name) throw apiErrors.badRequest(`the name of the object (${String(next.metadata?.name)}) does not match the name on the URL (${name})`);
      next.metadata = { ...next.metadata, name, ...(type.namespaced ? { namespace } : {}) };
      next.kind = type.kind;
      next.apiVersion = groupVersion(type);
      if (type.custom) {
        prepareCustom(type, next);
        customGeneration(type, next, stored.object);
      } else applyUpdateDefaults(next, stored.object);
      if (options.fieldManager) recordUpdate(type, options.subresource ?? '', stored.object, next, options.fieldManager);
      const mutated = await options.mutate?.('UPDATE', next, stored.object);
      if (mutated) {
        next = this.afterMutation(type, namespace, mutated, next);
        if (type.custom) prepareCustom(type, next);
        else applyUpdateDefaults(next, stored.object);
      }
      this.validate(type, next, stored.object);
      await options.admit?.('UPDATE', next, stored.object);
      const unchanged = JSON.stringify({ ...next, metadata: { ...next.metadata, resourceVersion: undefined } }) === JSON.stringify({ ...stored.object, metadata: { ...stored.object.metadata, resourceVersion: undefined } });
      if (unchanged) return stored.object;
      // A dry run answers with what would be stored, at the revision it would replace.
      if (options.dryRun) return { ...next, metadata: { ...next.metadata, resourceVersion: stored.object.metadata?.resourceVersion } };
      // upstream's ShouldDeleteDuringUpdate: a pod still in its grace period stays for its kubelet.
      if (next.metadata?.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0 && !pendingNamespaceFinalizers(next) && Number(stored.object.metadata?.deletionGracePeriodSeconds ?? 0) === 0) {
        const deleted = await this.storage.delete(key, stored.revision);
        if (deleted !== undefined) {
          await this.released(type, stored.object);
          return next;
        }
        continue;
      }
      const updated = await this.storage.update(key, toStorage(type, next), stored.revision);
      if (updated) return updated;
      if (pinned) throw apiErrors.conflict(type.plural, type.group, name);
    }
    throw apiErrors.conflict(type.plural, type.group, name);
  }

  async update(type: ResourceType, namespace: string | undefined, name: string, subresource: string, body: unknown, options: WriteOptions = {}): Promise<KubeObject> {
    const sent = this.checkBody(type, namespace, body);
    return this.guaranteedUpdate(type, namespace, name, (current) => {
      const next = this.merged(type, subresource, current, sent);
      next.metadata = { ...next.metadata, resourceVersion: sent.metadata?.resourceVersion };
      return next;
    }, { ...options, subresource });
  }

  async patch(type: ResourceType, namespace: string | undefined, name: string, subresource: string, patchType: string, patch: unknown, options: WriteOptions = {}): Promise<KubeObject> {
    return this.guaranteedUpdate(type, namespace, name, (current) => {
      const patched = this.checkBody(type, namespace, applyPatch(patchType, current, patch));
      const next = this.merged(type, subresource, current, patched);
      const sentRv = (patched.metadata?.resourceVersion ?? '') !== current.metadata?.resourceVersion ? patched.metadata?.resourceVersion : undefined;
      next.metadata = { ...next.metadata, resourceVersion: sentRv };
      return next;
    }, { ...options, subresource });
  }

  /**
   * Server-side apply: creates the object from the configuration when it does not exist
   * (after `mayCreate`, as upstream authorizes create too), else merges it in. `created`
   * tells which (201 or 200).
   */
  async apply(type: ResourceType, namespace: string | undefined, name: string, subresource: string, body: unknown, user: UserInfo, options: WriteOptions & { fieldManager: string; force: boolean; mayCreate: () => void }): Promise<{ object: KubeObject; created: boolean }> {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw apiErrors.badRequest('the body of the request must be a JSON or YAML object');
    const sent = body as KubeObject;
    if (typeof sent.kind !== 'string' || sent.kind === '') throw apiErrors.badRequest(`Object 'Kind' is missing in '${JSON.stringify(body).slice(0, 200)}'`);
    const applied = this.checkBody(type, namespace, body);
    const sentName = applied.metadata?.name;
    if (sentName !== undefined && sentName !== name) throw apiErrors.badRequest(`the name of the object (${String(sentName)}) does not match the name on the URL (${name})`);
    applied.metadata = { ...applied.metadata, name };
    const write = { ...(options.dryRun ? { dryRun: true } : {}), ...(options.admit ? { admit: options.admit } : {}), ...(options.mutate ? { mutate: options.mutate } : {}), subresource };
    for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
      try {
        return { object: await this.guaranteedUpdate(type, namespace, name, (current) => applyConfiguration(type, subresource, current, applied, options.fieldManager, options.force), write), created: false };
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 404 && err.details?.name === name) || subresource) throw err;
      }
      options.mayCreate();
      const object = applyConfiguration(type, '', undefined, applied, options.fieldManager, options.force);
      try {
        return { object: await this.create(type, namespace, object, user, write), created: true };
      } catch (err) {
        if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
      }
    }
    throw apiErrors.conflict(type.plural, type.group, name);
  }

  async delete(type: ResourceType, namespace: string | undefined, name: string, options: WriteOptions & { preconditions?: { resourceVersion?: string; uid?: string }; gracePeriodSeconds?: number; propagationPolicy?: PropagationPolicy } = {}): Promise<KubeObject> {
    const key = this.key(type, namespace, name);
    for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
      const stored = await this.storage.get(key);
      if (!stored) throw apiErrors.notFound(type.plural, type.group, name);
      const storedMeta = stored.object.metadata ?? {};
      // Orphan/Foreground hand the dependents to the garbage collector through a finalizer.
      const finalizers = finalizersForPropagation(storedMeta.finalizers ?? [], options.propagationPolicy);
      const finalizersChanged = finalizers.join('\n') !== (storedMeta.finalizers ?? []).join('\n');
      const meta = finalizersChanged ? { ...storedMeta, finalizers } : storedMeta;
      const pre = options.preconditions ?? {};
      if ((pre.uid && pre.uid !== meta.uid) || (pre.resourceVersion && pre.resourceVersion !== meta.resourceVersion)) {
        throw new ApiError(409, 'Conflict', `Precondition failed: UID in precondition: ${pre.uid ?? ''}, UID in object meta: ${meta.uid ?? ''}`);
      }
      await options.mutate?.('DELETE', undefined, stored.object);
      await options.admit?.('DELETE', undefined, stored.object);
      if (options.dryRun) return stored.object;
      const grace = type.kind === 'Pod' && type.group === '' ? podDeletionGrace(stored.object as never, options.gracePeriodSeconds) : 0;
      const shortened = typeof meta.deletionGracePeriodSeconds !== 'number' || grace < meta.deletionGracePeriodSeconds;
      if (grace > 0 && (!meta.deletionTimestamp || shortened || finalizersChanged)) {
        const next: KubeObject = { ...stored.object, metadata: { ...meta, deletionTimestamp: meta.deletionTimestamp && !shortened ? meta.deletionTimestamp : nowTimestamp(), deletionGracePeriodSeconds: grace } };
        const updated = await this.storage.update(key, next, stored.revision);
        if (updated) return updated;
        continue;
      }
      if (grace > 0) return stored.object;
      const finalizing = (meta.finalizers ?? []).length > 0 || pendingNamespaceFinalizers(stored.object);
      if (finalizing) {
        if (meta.deletionTimestamp && !finalizersChanged && meta.deletionGracePeriodSeconds === 0) return stored.object;
        const next: KubeObject = { ...stored.object, metadata: { ...meta, deletionTimestamp: meta.deletionTimestamp ?? nowTimestamp(), deletionGracePeriodSeconds: 0 } };
        if (type.kind === 'Namespace') next.status = { ...((next.status ?? {}) as object), phase: 'Terminating' };
        const updated = await this.storage.update(key, next, stored.revision);
        if (updated) return updated;
        continue;
      }
      if ((await this.storage.delete(key, stored.revision)) !== undefined) {
        await this.released(type, stored.object);
        return stored.object;
      }
    }
    throw apiErrors.conflict(type.plural, type.group, name);
  }

  async deleteCollection(type: ResourceType, namespace: string | undefined, query: URLSearchParams, options: WriteOptions = {}): Promise<KubeObject> {
    const list = await this.list(type, namespace, query);
    const items = list.items as KubeObject[];
    for (const item of items) {
      try {
        await this.delete(type, namespace, item.metadata?.name ?? '', options);
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 404)) throw err;
      }
    }
    return list;
  }
}

function pendingNamespaceFinalizers(object: KubeObject): boolean {
  if (object.kind !== 'Namespace') return false;
  const finalizers = (object.spec as Record<string, unknown> | undefined)?.finalizers;
  return Array.isArray(finalizers) && finalizers.length > 0;
}
