/**
 * The admission chain, as upstream's plugin/pkg/admission: an ordered table of small plugins.
 * Mutating plugins (MutatingAdmissionWebhook) run after defaults and before object validation;
 * validating plugins after it and before storage, on every write (create, update, delete,
 * subresource create) and, for the dynamic ones, on CONNECT. A plugin runs when it is always on,
 * on by default and not disabled, or named in --enable-admission-plugins.
 */
import { certificateApproval, certificateSigning, certificateSubjectRestriction } from './certificates.js';
import { nodeRestriction } from './noderestriction.js';
import { rbacEscalation } from './rbac-escalation.js';
import type { AdmissionAttributes, AdmissionContext, AdmissionPlugin } from './types.js';
import type { KubeObject } from '../storage.js';
import { apiErrors } from '../status.js';
import { expressionCauses } from '../webhooks/cel.js';

export type { AdmissionAttributes, AdmissionContext, DynamicAdmission, Operation } from './types.js';

// Upstream's order: the webhooks and policies come after the built-in plugins (ResourceQuota,
// the last upstream, runs at storage here: quota.ts).
const PLUGINS: readonly AdmissionPlugin[] = [
  nodeRestriction,
  certificateApproval,
  certificateSigning,
  certificateSubjectRestriction,
  rbacEscalation,
  // Not a plugin upstream (its strategies compile the CEL of these kinds when validating them); here
  // after validation, as compiling loads CEL asynchronously.
  {
    name: 'AdmissionExpressions',
    enabled: 'always',
    validate: async (a) => {
      if (a.type.group !== 'admissionregistration.k8s.io' || !a.object || a.subresource !== '' || (a.operation !== 'CREATE' && a.operation !== 'UPDATE')) return;
      const causes = await expressionCauses(a.type.kind, a.object);
      if (causes.length > 0) throw apiErrors.invalid(a.type.kind, a.type.group, a.object.metadata?.name ?? '', causes);
    },
  },
  { name: 'MutatingAdmissionWebhook', enabled: 'default', connect: true, admit: (a, ctx) => ctx.dynamic?.mutate(a) ?? Promise.resolve(undefined) },
  { name: 'ValidatingAdmissionPolicy', enabled: 'default', connect: true, validate: (a, ctx) => ctx.dynamic?.validatePolicies(a) },
  { name: 'ValidatingAdmissionWebhook', enabled: 'default', connect: true, validate: (a, ctx) => ctx.dynamic?.validateWebhooks(a) },
];

export type Admit = (attrs: AdmissionAttributes) => Promise<void>;
/** Mutating admission: the object as changed, or undefined when nothing changed it. */
export type Mutate = (attrs: AdmissionAttributes) => Promise<KubeObject | undefined>;

function activePlugins(enabled: readonly string[], disabled: readonly string[]): AdmissionPlugin[] {
  return PLUGINS.filter((p) => p.enabled === 'always' || enabled.includes(p.name) || (p.enabled === 'default' && !disabled.includes(p.name)));
}

const sees = (plugin: AdmissionPlugin, attrs: AdmissionAttributes) => attrs.operation !== 'CONNECT' || plugin.connect === true;

/** The validating chain for the enabled (minus disabled) and the disabled plugin names of the flags. */
export function admissionChain(enabled: readonly string[], disabled: readonly string[], ctx: AdmissionContext): Admit {
  const active = activePlugins(enabled, disabled).filter((p) => p.validate);
  return async (attrs) => {
    for (const plugin of active) if (sees(plugin, attrs)) await plugin.validate?.(attrs, ctx);
  };
}

/** The mutating chain: each plugin sees the object as the ones before it left it. */
export function mutationChain(enabled: readonly string[], disabled: readonly string[], ctx: AdmissionContext): Mutate {
  const active = activePlugins(enabled, disabled).filter((p) => p.admit);
  return async (attrs) => {
    let changed: KubeObject | undefined;
    for (const plugin of active) {
      if (!sees(plugin, attrs)) continue;
      const next = await plugin.admit?.(changed ? { ...attrs, object: changed } : attrs, ctx);
      if (next) changed = next;
    }
    return changed;
  };
}
