/**
 * Auditing (--audit-policy-file, --audit-log-*), as upstream's k8s.io/apiserver/pkg/audit: the
 * policy's first matching rule gives a request its level (None, Metadata, Request,
 * RequestResponse); each request gets an Audit-Id header and, at its level, audit.k8s.io/v1
 * Events, one JSON line per stage (RequestReceived, ResponseComplete; kubeforge logs no
 * ResponseStarted for watches) unless the policy omits the stage. Metadata events name the user, verb,
 * object and response code, never a body; Request adds the request body, RequestResponse the
 * response body as well.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import yaml from 'js-yaml';
import { KubeforgeError } from '../../errors.js';
import type { UserInfo } from './authn.js';
import type { AuditSink } from './audit-log.js';
import type { RequestInfo } from './requestinfo.js';

export type AuditLevel = 'None' | 'Metadata' | 'Request' | 'RequestResponse';
export type AuditStage = 'RequestReceived' | 'ResponseStarted' | 'ResponseComplete' | 'Panic';
const LEVELS: readonly AuditLevel[] = ['None', 'Metadata', 'Request', 'RequestResponse'];
const STAGES: readonly AuditStage[] = ['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic'];

interface GroupResources {
  group: string;
  resources: string[];
  resourceNames: string[];
}

export interface PolicyRule {
  level: AuditLevel;
  users: string[];
  userGroups: string[];
  verbs: string[];
  resources: GroupResources[];
  namespaces: string[];
  nonResourceURLs: string[];
  omitStages: AuditStage[];
}

export interface AuditPolicy {
  rules: PolicyRule[];
  omitStages: AuditStage[];
}

const invalid = (message: string) =>
  new KubeforgeError('KF_APISERVER_AUDIT_POLICY', `--audit-policy-file: ${message}`, { hint: 'see https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/ for the audit.k8s.io/v1 Policy format' });

function strings(value: unknown, at: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw invalid(`${at} must be a list of strings`);
  return value as string[];
}

function stages(value: unknown, at: string): AuditStage[] {
  const list = strings(value, at);
  for (const s of list) if (!STAGES.includes(s as AuditStage)) throw invalid(`${at}: unknown stage "${s}" (one of ${STAGES.join(', ')})`);
  return list as AuditStage[];
}

/** Parses an audit.k8s.io/v1 Policy; every mistake is an error naming the field (the server does not start). */
export function parseAuditPolicy(text: string): AuditPolicy {
  let doc: unknown;
  try {
    doc = yaml.load(text, { schema: yaml.CORE_SCHEMA });
  } catch (err) {
    throw invalid(`not YAML or JSON: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  const policy = doc as { kind?: unknown; apiVersion?: unknown; rules?: unknown; omitStages?: unknown } | null;
  if (policy?.kind !== 'Policy' || typeof policy.apiVersion !== 'string' || !policy.apiVersion.startsWith('audit.k8s.io/')) {
    throw invalid('expected kind Policy, apiVersion audit.k8s.io/v1');
  }
  if (!Array.isArray(policy.rules) || policy.rules.length === 0) throw invalid('rules must list at least one rule');
  const rules = policy.rules.map((raw: Record<string, unknown> | null, i): PolicyRule => {
    const at = `rules[${i}]`;
    const level = raw?.level;
    if (!LEVELS.includes(level as AuditLevel)) throw invalid(`${at}.level must be one of ${LEVELS.join(', ')}`);
    const resources = raw?.resources === undefined ? [] : raw.resources;
    if (!Array.isArray(resources)) throw invalid(`${at}.resources must be a list`);
    const rule: PolicyRule = {
      level: level as AuditLevel,
      users: strings(raw?.users, `${at}.users`),
      userGroups: strings(raw?.userGroups, `${at}.userGroups`),
      verbs: strings(raw?.verbs, `${at}.verbs`),
      namespaces: strings(raw?.namespaces, `${at}.namespaces`),
      nonResourceURLs: strings(raw?.nonResourceURLs, `${at}.nonResourceURLs`),
      omitStages: stages(raw?.omitStages, `${at}.omitStages`),
      resources: resources.map((g: Record<string, unknown> | null, j) => ({
        group: typeof g?.group === 'string' ? g.group : '',
        resources: strings(g?.resources, `${at}.resources[${j}].resources`),
        resourceNames: strings(g?.resourceNames, `${at}.resources[${j}].resourceNames`),
      })),
    };
    if (rule.nonResourceURLs.length > 0 && (rule.resources.length > 0 || rule.namespaces.length > 0)) {
      throw invalid(`${at}: rules cannot apply to both regular resources and non-resource URLs`);
    }
    return rule;
  });
  return { rules, omitStages: stages(policy.omitStages, 'omitStages') };
}

/** upstream's ruleMatchesResource: `*`, `res`, `res/sub`, `*\/sub`, `res/*`. */
function resourceMatches(patterns: readonly string[], resource: string, subresource: string): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  return patterns.some((p) => p === '*' || p === combined || (p === `*/${subresource}` && subresource !== '') || p === `${resource}/*`);
}

function ruleMatches(rule: PolicyRule, user: UserInfo | undefined, info: RequestInfo): boolean {
  if (rule.users.length > 0 && !(user && rule.users.includes(user.name))) return false;
  if (rule.userGroups.length > 0 && !(user && user.groups.some((g) => rule.userGroups.includes(g)))) return false;
  if (rule.verbs.length > 0 && !rule.verbs.includes(info.verb)) return false;
  if (rule.namespaces.length > 0 || rule.resources.length > 0) {
    if (!info.isResourceRequest) return false;
    if (rule.namespaces.length > 0 && !rule.namespaces.includes(info.namespace ?? '')) return false;
    if (rule.resources.length > 0) {
      const hit = rule.resources.some(
        (g) =>
          g.group === info.apiGroup &&
          (g.resources.length === 0 || resourceMatches(g.resources, info.resource, info.subresource ?? '')) &&
          (g.resourceNames.length === 0 || g.resourceNames.includes(info.name ?? '')),
      );
      if (!hit) return false;
    }
  }
  if (rule.nonResourceURLs.length > 0) {
    if (info.isResourceRequest) return false;
    if (!rule.nonResourceURLs.some((u) => u === info.path || (u.endsWith('*') && info.path.startsWith(u.slice(0, -1))))) return false;
  }
  return true;
}

/** The level and omitted stages of one request: the first matching rule, None when none matches. */
export function evaluatePolicy(policy: AuditPolicy, user: UserInfo | undefined, info: RequestInfo): { level: AuditLevel; omitStages: AuditStage[] } {
  const rule = policy.rules.find((r) => ruleMatches(r, user, info));
  return rule ? { level: rule.level, omitStages: [...policy.omitStages, ...rule.omitStages] } : { level: 'None', omitStages: [] };
}

/** Go's RFC3339 with microseconds, as upstream's MicroTime (Node's clock gives milliseconds). */
function microTime(at: Date): string {
  return `${at.toISOString().slice(0, 23)}000Z`;
}

interface RequestAudit {
  id: string;
  received: Date;
  requestURI: string;
  sourceIPs: string[];
  userAgent: string | undefined;
  user?: UserInfo;
  info?: RequestInfo;
  level: AuditLevel;
  omitStages: AuditStage[];
  decision?: { allowed: boolean; reason: string };
  objectRef?: Record<string, string>;
  requestObject?: unknown;
  response?: Buffer[];
  /** Set by admission (webhooks' auditAnnotations, policies' audit failures). */
  annotations?: Record<string, string>;
}

/** The request pipeline's hooks; the event goes out when the response is finished. */
export class Auditor {
  private readonly requests = new WeakMap<IncomingMessage, RequestAudit>();

  constructor(
    private readonly policy: AuditPolicy,
    private readonly sink: AuditSink,
  ) {}

  begin(req: IncomingMessage, res: ServerResponse): void {
    const record: RequestAudit = {
      id: randomUUID(),
      received: new Date(),
      requestURI: req.url ?? '/',
      sourceIPs: req.socket.remoteAddress ? [req.socket.remoteAddress] : [],
      userAgent: req.headers['user-agent'],
      level: 'None',
      omitStages: [],
    };
    this.requests.set(req, record);
    res.setHeader('Audit-Id', record.id);
    res.once('close', () => this.finish(req, res));
  }

  /** After authentication (or its failure: then `user` is undefined). */
  authenticated(req: IncomingMessage, res: ServerResponse, user: UserInfo | undefined, info: RequestInfo): void {
    const record = this.requests.get(req);
    if (!record) return;
    record.user = user;
    record.info = info;
    Object.assign(record, evaluatePolicy(this.policy, user, info));
    if (record.level === 'None') return;
    if (info.isResourceRequest) {
      record.objectRef = {
        resource: info.resource,
        ...(info.namespace ? { namespace: info.namespace } : {}),
        ...(info.name ? { name: info.name } : {}),
        apiGroup: info.apiGroup,
        apiVersion: info.apiVersion,
        ...(info.subresource ? { subresource: info.subresource } : {}),
      };
      if (!info.apiGroup) delete record.objectRef.apiGroup;
    }
    this.emit(record, 'RequestReceived', undefined);
    if (record.level === 'RequestResponse') this.captureResponse(res, record);
  }

  authorized(req: IncomingMessage, allowed: boolean, reason: string): void {
    const record = this.requests.get(req);
    if (record) record.decision = { allowed, reason };
  }

  /** The decoded request body: names a created object (all levels), kept whole at Request and above. */
  requestObject(req: IncomingMessage, body: unknown): void {
    const record = this.requests.get(req);
    if (!record || record.level === 'None') return;
    const meta = (body as { metadata?: { name?: unknown; namespace?: unknown } } | undefined)?.metadata;
    if (record.objectRef && !record.objectRef.name && typeof meta?.name === 'string') record.objectRef.name = meta.name;
    if (record.level !== 'Metadata') record.requestObject = body;
  }

  /** An annotation of the request's events from admission (first value wins, as upstream's AddAnnotation). */
  annotate(req: IncomingMessage, key: string, value: string): void {
    const record = this.requests.get(req);
    if (!record || record.level === 'None') return;
    record.annotations ??= {};
    record.annotations[key] ??= value;
  }

  private captureResponse(res: ServerResponse, record: RequestAudit): void {
    record.response = [];
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    res.end = ((...args: unknown[]) => {
      const chunk = args[0];
      if (typeof chunk === 'string' || Buffer.isBuffer(chunk)) record.response?.push(Buffer.from(chunk));
      return end(...args);
    }) as ServerResponse['end'];
  }

  private finish(req: IncomingMessage, res: ServerResponse): void {
    const record = this.requests.get(req);
    this.requests.delete(req);
    if (record && record.level !== 'None') this.emit(record, 'ResponseComplete', res.statusCode);
  }

  private emit(record: RequestAudit, stage: AuditStage, code: number | undefined): void {
    if (record.omitStages.includes(stage) || !record.info) return;
    const event: Record<string, unknown> = {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: record.level,
      auditID: record.id,
      stage,
      requestURI: record.requestURI,
      verb: record.info.verb,
      user: record.user ? { username: record.user.name, ...(record.user.uid ? { uid: record.user.uid } : {}), groups: record.user.groups } : {},
      sourceIPs: record.sourceIPs,
      ...(record.userAgent ? { userAgent: record.userAgent } : {}),
      ...(record.objectRef ? { objectRef: record.objectRef } : {}),
      ...(code === undefined ? {} : { responseStatus: { metadata: {}, ...(code >= 400 ? { status: 'Failure' } : {}), code } }),
      ...(record.requestObject !== undefined ? { requestObject: record.requestObject } : {}),
      ...(stage === 'ResponseComplete' && record.response?.length ? { responseObject: parseJson(Buffer.concat(record.response)) } : {}),
      requestReceivedTimestamp: microTime(record.received),
      stageTimestamp: microTime(new Date()),
      ...(record.decision || record.annotations
        ? {
            annotations: {
              ...(record.decision ? { 'authorization.k8s.io/decision': record.decision.allowed ? 'allow' : 'forbid' } : {}),
              ...(record.decision?.reason ? { 'authorization.k8s.io/reason': record.decision.reason } : {}),
              ...record.annotations,
            },
          }
        : {}),
    };
    this.sink.write(`${JSON.stringify(event)}\n`);
  }

  close(): void {
    this.sink.close();
  }
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}
