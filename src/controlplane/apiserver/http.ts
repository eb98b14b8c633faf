/**
 * HTTP plumbing: reading a bounded request body (413 past --max-request-bytes), decoding
 * JSON or YAML by content type (415 otherwise, 400 when malformed), writing JSON and Status.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { loadYaml, YamlAliasError } from '../../safe-yaml.js';
import { ApiError, apiErrors } from './status.js';
import { PATCH_TYPES } from './patch.js';
import { decodeKubernetesProtobuf } from './protobuf.js';

export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw apiErrors.tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw apiErrors.tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? 'application/json').split(';')[0]?.trim().toLowerCase() ?? '';
}

/**
 * Nesting accepted in a body: deep enough for any object (CRD schemas), shallow enough for every
 * recursive walk after decoding (validation, patching, cloning, JSON encoding), which would
 * otherwise end a 10,000-deep body in a stack overflow and a 5xx. Upstream's decoders stop at
 * 10,000 with "exceeded max depth"; a JavaScript stack does not reach that far.
 */
const MAX_BODY_DEPTH = 1000;

/** Whether JSON text nests arrays and objects deeper than `max` (a linear scan, strings skipped). */
export function jsonDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** Decodes a body; PATCH bodies keep their patch type. */
export function decodeBody(body: Buffer, type: string, isPatch: boolean): unknown {
  if (type === 'application/vnd.kubernetes.protobuf' && !isPatch) return decodeKubernetesProtobuf(body);
  const text = body.toString('utf8');
  const allowed = isPatch ? [...Object.keys(PATCH_TYPES), 'application/apply-patch+yaml'] : ['application/json', 'application/yaml', 'application/x-yaml', 'text/yaml'];
  if (!allowed.includes(type)) throw apiErrors.unsupportedMediaType(type);
  if (text.trim() === '') throw apiErrors.badRequest('the request body is empty');
  try {
    if (type.includes('yaml')) return loadYaml(text, { maxDepth: MAX_BODY_DEPTH });
    if (jsonDeeperThan(text, MAX_BODY_DEPTH)) throw new Error(`json: exceeded max depth of ${MAX_BODY_DEPTH}`);
    return JSON.parse(text);
  } catch (err) {
    // go-yaml's wording for the aliasing refusal ("yaml: document contains excessive aliasing").
    const reason = err instanceof YamlAliasError ? `yaml: ${err.message}` : err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw apiErrors.badRequest(`the body of the request could not be decoded: ${reason}`);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private', ...headers });
  res.end(text);
}

/** Sends JSON that is already encoded (an object read from etcd). */
export function sendRawJson(res: ServerResponse, status: number, body: Buffer): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': body.length, 'Cache-Control': 'no-cache, private' });
  res.end(body);
}

export function sendText(res: ServerResponse, status: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private' });
  res.end(text);
}

export function sendError(res: ServerResponse, err: unknown): void {
  const apiError = err instanceof ApiError ? err : apiErrors.internal(err instanceof Error ? err.message : String(err));
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJson(res, apiError.code, apiError.toStatus());
}
