/**
 * The admission chain, as upstream's plugin/pkg/admission: an ordered table of small plugins,
 * each validating a write (create, update, delete, subresource create) after defaults and
 * object validation and before storage. A plugin runs when it is always on, on by default and
 * not disabled, or named in --enable-admission-plugins.
 */
import { certificateApproval, certificateSigning, certificateSubjectRestriction } from './certificates.js';
import { nodeRestriction } from './noderestriction.js';
import { rbacEscalation } from './rbac-escalation.js';
import type { AdmissionAttributes, AdmissionContext, AdmissionPlugin } from './types.js';

export type { AdmissionAttributes, AdmissionContext, Operation } from './types.js';

const PLUGINS: readonly AdmissionPlugin[] = [nodeRestriction, certificateApproval, certificateSigning, certificateSubjectRestriction, rbacEscalation];

export type Admit = (attrs: AdmissionAttributes) => Promise<void>;

/** The chain for the enabled (minus disabled) and the disabled plugin names of the flags. */
export function admissionChain(enabled: readonly string[], disabled: readonly string[], ctx: AdmissionContext): Admit {
  const active = PLUGINS.filter((p) => p.enabled === 'always' || enabled.includes(p.name) || (p.enabled === 'default' && !disabled.includes(p.name)));
  return async (attrs) => {
    for (const plugin of active) await plugin.validate(attrs, ctx);
  };
}
