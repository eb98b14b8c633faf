/**
 * What an admission plugin sees and may use, as upstream's admission.Attributes: the user, the
 * operation, the kind, subresource, namespace and name, the object about to be stored (after
 * defaults) and the one stored before. Plugins only refuse (validate); they never write.
 */
import type { UserInfo } from '../authn.js';
import type { Attributes, Decision, PolicyRule } from '../rbac.js';
import type { ResourceType } from '../resources.js';
import { ApiError, qualified } from '../status.js';
import type { KubeObject } from '../storage.js';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface AdmissionAttributes {
  readonly user: UserInfo;
  readonly operation: Operation;
  readonly type: ResourceType;
  readonly subresource: string;
  readonly namespace: string | undefined;
  /** The name on the URL, or on create the body's metadata.name ('' with generateName). */
  readonly name: string;
  /** The object to store (CREATE, UPDATE), or the body of a subresource create (TokenRequest, Binding). */
  readonly object?: KubeObject;
  /** The stored object (UPDATE, DELETE). */
  readonly oldObject?: KubeObject;
  /** The request's dryRun=All (webhooks with side effects refuse it). */
  readonly dryRun?: boolean;
  /** CreateOptions, UpdateOptions, DeleteOptions or the CONNECT options object (PodExecOptions, ...). */
  readonly options?: KubeObject;
  /** Adds a `Warning: 299 - "<text>"` header to the response. */
  warn?(text: string): void;
  /** Adds an annotation to the request's audit events. */
  annotate?(key: string, value: string): void;
}

export interface AdmissionContext {
  authorize(attrs: Attributes): Decision;
  /** The RBAC rules that apply to a user in a namespace (cluster-wide ones only without). */
  rulesFor(user: UserInfo, namespace: string | undefined): PolicyRule[];
  /** A stored object, or undefined when there is none. */
  get(type: { group: string; plural: string }, namespace: string | undefined, name: string): Promise<KubeObject | undefined>;
  /** Webhooks and ValidatingAdmissionPolicies; absent in unit tests of the built-in plugins. */
  dynamic?: DynamicAdmission;
}

/**
 * Dynamic admission (webhooks/): the configured webhooks and ValidatingAdmissionPolicies.
 * `mutate` answers the object as the mutating webhooks changed it (undefined when unchanged).
 */
export interface DynamicAdmission {
  mutate(attrs: AdmissionAttributes): Promise<KubeObject | undefined>;
  validateWebhooks(attrs: AdmissionAttributes): Promise<void>;
  validatePolicies(attrs: AdmissionAttributes): Promise<void>;
}

export interface AdmissionPlugin {
  readonly name: string;
  /** Enabled without --enable-admission-plugins (upstream's default-on set), or always on (not a plugin upstream). */
  readonly enabled: 'default' | 'opt-in' | 'always';
  /** Also sees CONNECT (pods/exec, attach, portforward); the built-in plugins here only handle writes. */
  readonly connect?: boolean;
  /** Mutating admission: the changed object, or undefined. */
  admit?(attrs: AdmissionAttributes, ctx: AdmissionContext): Promise<KubeObject | undefined>;
  validate?(attrs: AdmissionAttributes, ctx: AdmissionContext): void | Promise<void>;
}

/** A plugin that only validates (the built-in ones here). */
export type ValidatingPlugin = AdmissionPlugin & Required<Pick<AdmissionPlugin, 'validate'>>;

/** admission.NewForbidden: `<resource> "<name>" is forbidden: <why>`. */
export function forbidden(attrs: Pick<AdmissionAttributes, 'type' | 'name'>, why: string): ApiError {
  const { group, plural } = attrs.type;
  return new ApiError(403, 'Forbidden', `${qualified(plural, group)} "${attrs.name}" is forbidden: ${why}`, { name: attrs.name, group, kind: plural });
}

type Obj = Record<string, unknown>;
/** A field as an object (empty when absent or not an object): admission reads untrusted bodies. */
export const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
export const list = (v: unknown): Obj[] => (Array.isArray(v) ? (v as unknown[]).filter((x): x is Obj => !!x && typeof x === 'object') : []);
