/**
 * The request pipeline: TLS → authentication → (non-resource routes | authorization →
 * admission → resource handlers). Every failure is a Kubernetes Status with upstream's code.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Auditor } from './audit.js';
import { authenticate, type AuthnOptions, type UserInfo } from './authn.js';
import type { AdmissionAttributes, Admit, Mutate, Operation } from './admission/index.js';
import type { Authorizer } from './authz.js';
import { requestedPropagation } from './gc-deletion.js';
import { decodeBody, mediaType, readBody, sendError, sendJson, sendRawJson } from './http.js';
import type { ObjectStore } from './objects.js';
import { parseResourceVersion } from './objects.js';
import type { Attributes } from './rbac.js';
import type { PodLogHandler } from './podlogs.js';
import { STREAM_SUBRESOURCES, type PodStreamHandler, type StreamSubresource } from './pod-streams.js';
import { parseListOptions } from './listoptions.js';
import { APPLY_PATCH, managerOptions } from './patchoptions.js';
import { parseRequestInfo, type RequestInfo } from './requestinfo.js';
import { findResource, type ResourceType } from './resources.js';
import { checkFieldValidation } from './openapi.js';
import { asVersion, converts } from './conversion.js';
import { customScale } from './custom-resources.js';
import { metricsResource } from './metrics.js';
import { impersonatedUser, wantsImpersonation } from './impersonation.js';
import { evaluateReview, reviewToken } from './reviews.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { ApiError, apiErrors } from './status.js';
import type { KubeObject } from './storage.js';
import { subresourceHandler, type TokenIssuer } from './subresources.js';
import { serveWatch } from './watch.js';

export interface NonResourceRoute {
  /** Returns true when it handled the request. */
  (req: IncomingMessage, res: ServerResponse, info: RequestInfo): Promise<boolean> | boolean;
}

export interface Metrics {
  observe(verb: string, resource: string, code: number, seconds: number): void;
  /** A watch was closed because its client did not read. */
  terminatedWatcher(resource: string): void;
}

export interface PipelineOptions {
  authn: AuthnOptions;
  authorizer: Authorizer;
  objects: ObjectStore;
  maxRequestBytes: number;
  nonResource: NonResourceRoute;
  /** The admission chain (admission/index.ts). */
  admit: Admit;
  /** Mutating admission (webhooks), before validation. */
  mutate?: Mutate;
  /** Non-resource paths served without authorization (`/livez`, `/livez/*` style). */
  alwaysAllowPaths?: readonly string[];
  bookmarkIntervalMs?: number;
  metrics?: Metrics;
  /** Signs TokenRequests (serviceaccounts/token); absent without --service-account-signing-key-file. */
  tokens?: TokenIssuer;
  /**
   * The transform to the representation the request asks for (a Table), or undefined when it
   * wants the objects as stored (then GETs are served from etcd's bytes without re-encoding).
   */
  representation?: (req: IncomingMessage) => ((type: ResourceType, body: KubeObject) => KubeObject) | undefined;
  /** pods/log: proxies to the node's kubelet (podlogs.ts). */
  podLogs?: PodLogHandler;
  /** pods/exec, pods/attach, pods/portforward: proxied to the node's kubelet (pod-streams.ts). */
  podStreams?: PodStreamHandler;
  /** --audit-policy-file and --audit-log-path (audit.ts). */
  audit?: Auditor;
}

/** Splits path and query without resolving dot segments: `/x/%2E%2E` must reach routing as a name, not as `..`. */
export function splitUrl(raw: string): { pathname: string; searchParams: URLSearchParams } {
  const at = raw.indexOf('?');
  return at < 0 ? { pathname: raw, searchParams: new URLSearchParams() } : { pathname: raw.slice(0, at), searchParams: new URLSearchParams(raw.slice(at + 1)) };
}

/** Subresources served by ObjectStore on the main object; the others have handlers in subresources.ts. */
const GENERIC_SUBRESOURCES = new Set(['status', 'approval', 'finalize']);
/** Subresources proxied to the node's kubelet (podlogs.ts, pod-streams.ts). */
const PROXIED_SUBRESOURCES = new Set<string>(['log', ...STREAM_SUBRESOURCES]);
const isStreamSubresource = (type: ResourceType, sub: string | undefined): sub is StreamSubresource => type.plural === 'pods' && (STREAM_SUBRESOURCES as readonly (string | undefined)[]).includes(sub);

function attributes(user: UserInfo, info: RequestInfo): Attributes {
  return {
    user,
    verb: info.verb,
    isResourceRequest: info.isResourceRequest,
    apiGroup: info.apiGroup,
    resource: info.resource,
    subresource: info.subresource,
    name: info.name,
    namespace: info.namespace,
    path: info.path,
  };
}

export function createRequestHandler(options: PipelineOptions): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const started = process.hrtime.bigint();
    let verb = (req.method ?? 'GET').toLowerCase();
    let resource = '';
    res.on('finish', () => options.metrics?.observe(verb, resource, res.statusCode, Number(process.hrtime.bigint() - started) / 1e9));
    options.audit?.begin(req, res);
    void (async () => {
      const url = splitUrl(req.url ?? '/');
      const info = parseRequestInfo(req.method ?? 'GET', url.pathname, url.searchParams);
      verb = info.verb;
      const authenticated = await authenticate(
        { method: req.method ?? 'GET', path: url.pathname, authorization: req.headers.authorization, socket: req.socket as TLSSocket },
        options.authn,
      );
      options.audit?.authenticated(req, res, authenticated, info);
      if (!authenticated) throw apiErrors.unauthorized();
      resource = metricsResource(info);
      const user = wantsImpersonation(req.headers) ? impersonatedUser(authenticated, req.headersDistinct, (a) => options.authorizer.authorize(a)) : authenticated;
      const attrs = attributes(user, info);
      if (!info.isResourceRequest) {
        const always = (options.alwaysAllowPaths ?? []).some((p) => p === info.path || (p.endsWith('*') && info.path.startsWith(p.slice(0, -1))));
        const decision = always ? { allowed: true, reason: '' } : options.authorizer.authorize(attrs);
        options.audit?.authorized(req, decision.allowed, decision.reason);
        if (!decision.allowed) throw apiErrors.forbiddenPath(user.name, info.verb, info.path);
        if (!(await options.nonResource(req, res, info))) throw apiErrors.notFoundPath();
        return;
      }
      await serveResource(req, res, url.searchParams, info, user, options);
    })().catch((err: unknown) => sendError(res, err));
  };
}

async function serveResource(req: IncomingMessage, res: ServerResponse, query: URLSearchParams, info: RequestInfo, user: UserInfo, options: PipelineOptions): Promise<void> {
  const type = findResource(info.apiGroup, info.apiVersion, info.resource);
  if (!type) {
    throw apiErrors.notFoundPath(`the server could not find the requested resource (${info.apiGroup ? `${info.apiGroup}/` : ''}${info.apiVersion} ${info.resource})`);
  }
  if (info.subresource && !type.subresources.includes(info.subresource)) throw apiErrors.notFoundPath();
  const handler = info.subresource ? (type.custom && info.subresource === 'scale' ? customScale : subresourceHandler(type.plural, info.subresource)) : undefined;
  if (info.subresource && !handler && !GENERIC_SUBRESOURCES.has(info.subresource) && !PROXIED_SUBRESOURCES.has(info.subresource)) throw apiErrors.methodNotAllowed(`${req.method ?? ''} ${info.subresource}`);
  const attrs = attributes(user, info);
  const decision = options.authorizer.authorize(attrs);
  options.audit?.authorized(req, decision.allowed, decision.reason);
  if (!decision.allowed) throw apiErrors.forbidden(user.name, info.verb, info.resource + (info.subresource ? `/${info.subresource}` : ''), info.apiGroup, info.name, type.namespaced ? info.namespace : undefined);
  // A WebSocket exec/attach/port-forward is a GET: it must also be allowed to `create` the
  // subresource, or `get pods/*` would grant a shell (upstream's AuthorizePodWebsocketUpgradeCreatePermission).
  if (isStreamSubresource(type, info.subresource) && info.verb === 'get' && !options.authorizer.authorize({ ...attrs, verb: 'create' }).allowed) {
    throw apiErrors.forbidden(user.name, 'create', `${info.resource}/${info.subresource}`, info.apiGroup, info.name, info.namespace);
  }
  // A cluster-scoped kind under /namespaces/<ns>/ has no route upstream: authorized (above, against <ns>) then 404.
  if (!type.namespaced && info.namespacedPath) throw apiErrors.notFoundPath();
  const namespace = type.namespaced ? info.namespace : undefined;
  // Without a namespace a namespaced kind has only upstream's list and watch route: another method there is 405, a name under it 404.
  if (type.namespaced && !namespace && !['list', 'watch'].includes(info.verb)) throw info.name === undefined ? apiErrors.methodNotAllowed(req.method ?? '') : apiErrors.notFoundPath();
  if (info.subresource === 'log') {
    if (info.verb !== 'get' || !options.podLogs) throw apiErrors.methodNotAllowed(req.method ?? '');
    return options.podLogs(res, namespace as string, info.name as string, query);
  }
  const dynamic = admissionExtras(req, res, query, options);
  if (isStreamSubresource(type, info.subresource)) {
    if ((info.verb !== 'get' && info.verb !== 'create') || !options.podStreams) throw apiErrors.methodNotAllowed(req.method ?? '');
    // As upstream, exec, attach and port-forward are admitted as CONNECT with their options.
    const connect: AdmissionAttributes = { user, operation: 'CONNECT', type, subresource: info.subresource, namespace, name: info.name ?? '', object: connectOptions(info.subresource, query), ...dynamic('CONNECT', {}) };
    await options.mutate?.(connect);
    await options.admit(connect);
    return options.podStreams(req, res, info.subresource, namespace as string, info.name as string, query);
  }
  if (type.custom?.terminating && info.verb === 'create') throw new ApiError(405, 'MethodNotAllowed', 'create not allowed while custom resource definition is terminating');
  const isWrite = ['create', 'update', 'patch'].includes(info.verb);
  const body = isWrite ? decodeBody(await readBody(req, options.maxRequestBytes), mediaType(req), info.verb === 'patch') : undefined;
  if (body !== undefined) options.audit?.requestObject(req, body);
  if (!handler && (info.verb === 'create' || info.verb === 'update')) checkFieldValidation(type, body, query.get('fieldValidation'), res);
  const bodyName = info.verb === 'create' ? (body as KubeObject | undefined)?.metadata?.name : undefined;
  const dryRun = query.getAll('dryRun').includes('All');
  const manager = isWrite ? managerOptions(info.verb, mediaType(req), query, req.headers['user-agent']) : undefined;
  const admissionAttrs = (operation: Operation, object: KubeObject | undefined, oldObject: KubeObject | undefined, deleteOptions: Record<string, unknown> = {}): AdmissionAttributes => ({
    user,
    operation,
    type,
    subresource: info.subresource,
    namespace,
    name: info.name ?? (operation === 'CREATE' ? bodyName : oldObject?.metadata?.name) ?? '',
    object,
    oldObject,
    ...dynamic(operation, operation === 'DELETE' ? deleteOptions : manager ? { fieldManager: manager.fieldManager } : {}),
  });
  const admit = (operation: Operation, object: KubeObject | undefined, oldObject: KubeObject | undefined) => options.admit(admissionAttrs(operation, object, oldObject));
  const mutate = (operation: Operation, object: KubeObject | undefined, oldObject: KubeObject | undefined) => options.mutate?.(admissionAttrs(operation, object, oldObject)) ?? Promise.resolve(undefined);
  const write = { dryRun, admit, mutate, ...(manager ? { fieldManager: manager.fieldManager } : {}) };
  const transform = options.representation?.(req);
  // An object stored in another version is served in the one asked for.
  const represent = (object: KubeObject) => (transform ? transform(type, asVersion(type, object)) : asVersion(type, object));
  const { objects } = options;
  if (handler) {
    // A subresource create (TokenRequest, Binding, Eviction) is admitted with its body as the object.
    let sent = body;
    if (info.verb === 'create') {
      sent = (await mutate('CREATE', body as KubeObject, undefined)) ?? body;
      await admit('CREATE', sent as KubeObject, undefined);
    }
    const result = await handler({ objects, type, namespace, name: info.name as string, verb: info.verb, body: sent, patchType: mediaType(req), user, dryRun, tokens: options.tokens, fieldManager: manager?.fieldManager });
    sendJson(res, result.code, result.body);
    return;
  }
  if (type.virtual) {
    if (info.verb !== 'create') throw apiErrors.methodNotAllowed(req.method ?? '');
    const review = (body ?? {}) as KubeObject;
    sendJson(res, 201, type.kind === 'TokenReview' ? await reviewToken(review, options.authn) : evaluateReview(type.kind, review, user, options.authorizer, namespace));
    return;
  }
  switch (info.verb) {
    case 'get':
      parseResourceVersion(query.get('resourceVersion'));
      if (transform || info.subresource || converts(type)) sendJson(res, 200, represent(await objects.get(type, namespace, info.name as string)));
      else sendRawJson(res, 200, await objects.getEncoded(type, namespace, info.name as string));
      return;
    case 'list':
      parseListOptions(query);
      sendJson(res, 200, represent(await objects.list(type, namespace, query)));
      return;
    case 'watch': {
      const listOptions = parseListOptions(query);
      const labels = parseLabelSelector(query.get('labelSelector'));
      const fields = parseFieldSelector(query.get('fieldSelector'));
      const timeout = Number(query.get('timeoutSeconds') ?? 1800);
      await serveWatch(
        objects.storage,
        type,
        {
          prefix: objects.key(type, namespace),
          fromRevision: parseResourceVersion(listOptions.resourceVersion),
          initialEvents: listOptions.sendInitialEvents === true,
          keep: (o) => labels(o) && fields(o),
          bookmarks: listOptions.allowWatchBookmarks,
          bookmarkIntervalMs: options.bookmarkIntervalMs ?? 15_000,
          timeoutMs: (Number.isFinite(timeout) && timeout > 0 ? timeout : 1800) * 1000,
          transform: represent,
          onTerminated: () => options.metrics?.terminatedWatcher(type.plural),
        },
        res,
      );
      return;
    }
    case 'create':
      if (info.subresource) throw apiErrors.methodNotAllowed('POST');
      sendJson(res, 201, represent(await objects.create(type, namespace, body, user, write)));
      return;
    case 'update':
      sendJson(res, 200, represent(await objects.update(type, namespace, info.name as string, info.subresource, body, write)));
      return;
    case 'patch': {
      if (mediaType(req) !== APPLY_PATCH) {
        sendJson(res, 200, represent(await objects.patch(type, namespace, info.name as string, info.subresource, mediaType(req), body, write)));
        return;
      }
      const mayCreate = () => {
        const create = { ...attrs, verb: 'create' };
        if (!options.authorizer.authorize(create).allowed) throw apiErrors.forbidden(user.name, 'create', info.resource, info.apiGroup, info.name, namespace);
      };
      const applied = await objects.apply(type, namespace, info.name as string, info.subresource, body, user, { ...write, fieldManager: manager?.fieldManager ?? '', force: manager?.force ?? false, mayCreate });
      sendJson(res, applied.created ? 201 : 200, represent(applied.object));
      return;
    }
    case 'delete': {
      const raw = await readBody(req, options.maxRequestBytes);
      // DeleteOptions: JSON, or protobuf from typed clients (helm uninstall).
      const deleteOptions = raw.length > 0 ? (decodeBody(raw, mediaType(req), false) as { preconditions?: { resourceVersion?: string; uid?: string }; dryRun?: unknown; gracePeriodSeconds?: number; propagationPolicy?: unknown; orphanDependents?: unknown }) : {};
      const propagationPolicy = requestedPropagation(deleteOptions, query);
      const preconditions = deleteOptions.preconditions;
      const dryRunDelete = dryRun || (Array.isArray(deleteOptions.dryRun) && deleteOptions.dryRun.includes('All'));
      const queryGrace = query.get('gracePeriodSeconds');
      const gracePeriodSeconds = typeof deleteOptions.gracePeriodSeconds === 'number' ? deleteOptions.gracePeriodSeconds : queryGrace !== null && queryGrace !== '' ? Number(queryGrace) : undefined;
      const optionsObject = { ...deleteOptions, ...(dryRunDelete ? { dryRun: ['All'] } : {}), ...(propagationPolicy ? { propagationPolicy } : {}) };
      const admitDelete = (operation: Operation, object: KubeObject | undefined, oldObject: KubeObject | undefined) => options.admit(admissionAttrs(operation, object, oldObject, optionsObject));
      const mutateDelete = (operation: Operation, object: KubeObject | undefined, oldObject: KubeObject | undefined) => options.mutate?.(admissionAttrs(operation, object, oldObject, optionsObject)) ?? Promise.resolve(undefined);
      sendJson(res, 200, await objects.delete(type, namespace, info.name as string, { ...(preconditions ? { preconditions } : {}), dryRun: dryRunDelete, admit: admitDelete, mutate: mutateDelete, propagationPolicy, ...(Number.isFinite(gracePeriodSeconds) ? { gracePeriodSeconds } : {}) }));
      return;
    }
    case 'deletecollection':
      sendJson(res, 200, await objects.deleteCollection(type, namespace, query, { admit, mutate }));
      return;
    default:
      throw apiErrors.methodNotAllowed(req.method ?? '');
  }
}

const OPTIONS_KINDS: Record<string, string> = { CREATE: 'CreateOptions', UPDATE: 'UpdateOptions', DELETE: 'DeleteOptions' };

/**
 * What dynamic admission adds to a request's attributes: dryRun, the operation's options
 * object (CreateOptions, UpdateOptions, DeleteOptions; CONNECT passes its own), and where its
 * warnings (Warning headers) and audit annotations go.
 */
function admissionExtras(req: IncomingMessage, res: ServerResponse, query: URLSearchParams, options: PipelineOptions) {
  const dryRun = query.getAll('dryRun').includes('All');
  const warned = new Set<string>();
  return (operation: Operation, fields: Record<string, unknown>): Pick<AdmissionAttributes, 'dryRun' | 'options' | 'warn' | 'annotate'> => {
    const kind = OPTIONS_KINDS[operation];
    const deleteDryRun = Array.isArray(fields.dryRun) && fields.dryRun.includes('All');
    return {
      dryRun: dryRun || deleteDryRun,
      ...(kind ? { options: { ...fields, ...(dryRun ? { dryRun: ['All'] } : {}), kind, apiVersion: 'meta.k8s.io/v1' } } : {}),
      warn: (text) => {
        // As upstream's warning recorder: each text once, quoted as RFC 7234 asks.
        if (warned.has(text) || res.headersSent) return;
        warned.add(text);
        res.appendHeader('Warning', `299 - "${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`);
      },
      annotate: (key, value) => options.audit?.annotate(req, key, value),
    };
  };
}

/** The options object a CONNECT is admitted with (PodExecOptions, PodAttachOptions, PodPortForwardOptions). */
function connectOptions(subresource: string, query: URLSearchParams): KubeObject {
  const bool = (name: string) => (query.get(name) === 'true' || query.get(name) === '1' ? { [name]: true } : {});
  const kind = ({ exec: 'PodExecOptions', attach: 'PodAttachOptions', portforward: 'PodPortForwardOptions' } as Record<string, string>)[subresource] ?? 'PodExecOptions';
  const container = query.get('container');
  return {
    kind,
    apiVersion: 'v1',
    ...bool('stdin'),
    ...bool('stdout'),
    ...bool('stderr'),
    ...bool('tty'),
    ...(container ? { container } : {}),
    ...(subresource === 'exec' ? { command: query.getAll('command') } : {}),
    ...(subresource === 'portforward' ? { ports: query.getAll('ports').map(Number) } : {}),
  };
}
