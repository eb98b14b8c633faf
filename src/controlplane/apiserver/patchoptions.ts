/**
 * The field manager of a write and the apply options, validated as upstream's
 * ValidatePatchOptions / ValidateCreateOptions: an apply needs ?fieldManager, ?force is only
 * for apply, a manager name is at most 128 characters. Writes without ?fieldManager are
 * recorded under the client's User-Agent prefix (`kubectl`, `helm`, `python`), as upstream.
 * Pure.
 */
import { queryBool } from './requestinfo.js';
import { apiErrors, type StatusCause } from './status.js';

export const APPLY_PATCH = 'application/apply-patch+yaml';

export interface ManagerOptions {
  fieldManager: string;
  force: boolean;
}

export function managerOptions(verb: string, mediaType: string, query: URLSearchParams, userAgent: string | undefined): ManagerOptions {
  const apply = verb === 'patch' && mediaType === APPLY_PATCH;
  const given = query.get('fieldManager') ?? '';
  const errs: StatusCause[] = [];
  if (apply && given === '') errs.push({ reason: 'FieldValueRequired', field: 'fieldManager', message: 'Required value: is required for apply patch' });
  if (!apply && query.has('force')) errs.push({ reason: 'FieldValueForbidden', field: 'force', message: 'Forbidden: may not be specified for non-apply patch' });
  if (given.length > 128) errs.push({ reason: 'FieldValueTooLong', field: 'fieldManager', message: `Too long: may not be more than 128 bytes` });
  if (errs.length > 0) throw apiErrors.invalid(verb === 'patch' ? 'PatchOptions' : verb === 'create' ? 'CreateOptions' : 'UpdateOptions', 'meta.k8s.io', '', errs);
  const fromAgent = (userAgent ?? '').split('/')[0]?.slice(0, 128) ?? '';
  return { fieldManager: given || fromAgent || 'unknown', force: queryBool(query.get('force')) };
}
