/**
 * Turns a method and URL into upstream's RequestInfo (verb, group, version, namespace,
 * resource, subresource, name), the input of authorization and routing. Pure.
 */

export interface RequestInfo {
  readonly path: string;
  readonly isResourceRequest: boolean;
  /** get, list, watch, create, update, patch, delete, deletecollection; or the lowercase method for non-resource URLs. */
  readonly verb: string;
  readonly apiGroup: string;
  readonly apiVersion: string;
  readonly namespace: string | undefined;
  readonly resource: string;
  readonly subresource: string;
  readonly name: string | undefined;
  /** The URL had only /api, /apis, /apis/<g> or /apis/<g>/<v> (discovery). */
  readonly parts: readonly string[];
  /** The resource was addressed under /namespaces/<ns>/ (not /namespaces/<ns> itself). */
  readonly namespacedPath: boolean;
}

const METHOD_VERBS: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch', GET: 'get', HEAD: 'get', DELETE: 'delete' };

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** A boolean query parameter as Go's strconv.ParseBool reads it (python clients send `True`). */
export function queryBool(value: string | null): boolean {
  return value !== null && ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value);
}

export function parseRequestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  const segments = path.split('/').filter((s) => s !== '').map(decodeSegment);
  const nonResource = (): RequestInfo => ({
    path,
    isResourceRequest: false,
    verb: method.toLowerCase(),
    apiGroup: '',
    apiVersion: '',
    namespace: undefined,
    resource: '',
    subresource: '',
    name: undefined,
    parts: segments,
    namespacedPath: false,
  });
  let rest: string[];
  let apiGroup = '';
  let apiVersion: string;
  if (segments[0] === 'api' && segments.length >= 3) {
    apiVersion = segments[1] as string;
    rest = segments.slice(2);
  } else if (segments[0] === 'apis' && segments.length >= 4) {
    apiGroup = segments[1] as string;
    apiVersion = segments[2] as string;
    rest = segments.slice(3);
  } else {
    return nonResource();
  }
  let namespace: string | undefined;
  let namespacedPath = false;
  if (rest[0] === 'namespaces' && rest.length >= 2) {
    namespace = rest[1];
    // /namespaces/<ns>/status and /finalize are subresources of the namespace itself.
    namespacedPath = rest.length >= 3 && !NAMESPACE_SUBRESOURCES.has(rest[2] as string);
    if (namespacedPath) rest = rest.slice(2);
  }
  const [resource = '', name, subresource = ''] = rest;
  let verb = METHOD_VERBS[method] ?? method.toLowerCase();
  if (name === undefined) {
    if (verb === 'get') verb = queryBool(query.get('watch')) ? 'watch' : 'list';
    else if (verb === 'delete') verb = 'deletecollection';
  }
  return {
    path,
    isResourceRequest: true,
    verb,
    apiGroup,
    apiVersion,
    namespace,
    resource,
    subresource,
    name,
    parts: segments,
    namespacedPath,
  };
}
