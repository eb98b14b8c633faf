/**
 * ListOptions of list and watch requests as upstream reads and validates them
 * (k8s.io/apimachinery/pkg/apis/meta/internalversion: SetListOptionsDefaults with the WatchList
 * feature on, as in 1.32, and validation.ValidateListOptions): streaming lists
 * (`watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan`) and the combinations
 * upstream refuses (422 ListOptions.meta.k8s.io, or 400 for a parameter that does not parse).
 * Pure.
 */
import { apiErrors, type StatusCause } from './status.js';

export interface ListOptions {
  watch: boolean;
  /** Undefined when not sent (and not defaulted). */
  sendInitialEvents: boolean | undefined;
  resourceVersion: string;
  resourceVersionMatch: string;
  continue: string;
  allowWatchBookmarks: boolean;
}

const TRUE = ['1', 't', 'T', 'TRUE', 'true', 'True'];
const FALSE = ['0', 'f', 'F', 'FALSE', 'false', 'False'];

/** Go's strconv.ParseBool; a value it refuses fails the request's decoding (400), as upstream. */
function parseBool(query: URLSearchParams, name: string): boolean | undefined {
  const value = query.get(name);
  if (value === null) return undefined;
  if (TRUE.includes(value)) return true;
  if (FALSE.includes(value) || value === '') return false;
  throw apiErrors.badRequest(`strconv.ParseBool: parsing "${value}": invalid syntax`);
}

const NOT_OLDER_THAN = 'NotOlderThan';
const EXACT = 'Exact';

const forbidden = (field: string, detail: string): StatusCause => ({ reason: 'FieldValueForbidden', field, message: `Forbidden: ${detail}` });
const notSupported = (field: string, value: string, supported: string[]): StatusCause => ({
  reason: 'FieldValueNotSupported',
  field,
  message: `Unsupported value: "${value}": supported values: ${supported.map((s) => `"${s}"`).join(', ')}`,
});

function watchErrors(o: ListOptions): StatusCause[] {
  const errs: StatusCause[] = [];
  const match = o.resourceVersionMatch;
  if (o.sendInitialEvents !== undefined && match !== NOT_OLDER_THAN) errs.push(forbidden('resourceVersionMatch', `sendInitialEvents requires setting resourceVersionMatch to ${NOT_OLDER_THAN}`));
  if (match !== '') {
    if (o.sendInitialEvents === undefined) errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'));
    if (match !== NOT_OLDER_THAN) errs.push(notSupported('resourceVersionMatch', match, [NOT_OLDER_THAN]));
    if (o.continue !== '') errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
  }
  return errs;
}

function listErrors(o: ListOptions): StatusCause[] {
  const errs: StatusCause[] = [];
  const match = o.resourceVersionMatch;
  if (match !== '') {
    if (o.resourceVersion === '') errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided'));
    if (o.continue !== '') errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
    if (match !== EXACT && match !== NOT_OLDER_THAN) errs.push(notSupported('resourceVersionMatch', match, [EXACT, NOT_OLDER_THAN, '']));
    if (match === EXACT && o.resourceVersion === '0') errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
  }
  if (o.sendInitialEvents !== undefined) errs.push(forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list'));
  return errs;
}

/** Reads, defaults and validates the ListOptions of a list or watch request. */
export function parseListOptions(query: URLSearchParams): ListOptions {
  const options: ListOptions = {
    watch: parseBool(query, 'watch') ?? false,
    sendInitialEvents: parseBool(query, 'sendInitialEvents'),
    resourceVersion: query.get('resourceVersion') ?? '',
    resourceVersionMatch: query.get('resourceVersionMatch') ?? '',
    continue: query.get('continue') ?? '',
    allowWatchBookmarks: parseBool(query, 'allowWatchBookmarks') ?? false,
  };
  // SetListOptionsDefaults: a watch from "any" or "now" is a streaming list.
  if (options.watch && options.sendInitialEvents === undefined && options.resourceVersionMatch === '' && (options.resourceVersion === '' || options.resourceVersion === '0')) {
    options.sendInitialEvents = true;
    options.resourceVersionMatch = NOT_OLDER_THAN;
  }
  const errs = options.watch ? watchErrors(options) : listErrors(options);
  if (errs.length > 0) throw apiErrors.invalid('ListOptions', 'meta.k8s.io', '', errs);
  return options;
}
