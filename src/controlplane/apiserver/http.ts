/**
 * HTTP plumbing: reading a bounded request body (413 past --max-request-bytes), decoding
 * JSON or YAML by content type (415 otherwise, 400 when malformed), writing JSON and Status.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import yaml from 'js-yaml';
// The leaf module: the API server loads nothing else of config.
import { assertBoundedAliases } from '../../config/yaml.js';
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

/** Decodes a body; PATCH bodies keep their patch type. */
export function decodeBody(body: Buffer, type: string, isPatch: boolean): unknown {
  if (type === 'application/vnd.kubernetes.protobuf' && !isPatch) return decodeKubernetesProtobuf(body);
  const text = body.toString('utf8');
  const allowed = isPatch ? [...Object.keys(PATCH_TYPES), 'application/apply-patch+yaml'] : ['application/json', 'application/yaml', 'application/x-yaml', 'text/yaml'];
  if (!allowed.includes(type)) throw apiErrors.unsupportedMediaType(type);
  if (text.trim() === '') throw apiErrors.badRequest('the request body is empty');
  try {
    if (!type.includes('yaml')) return JSON.parse(text);
    const doc = yaml.load(text, { schema: yaml.CORE_SCHEMA });
    // js-yaml shares aliased nodes; storing or encoding them would expand a "billion laughs" body.
    assertBoundedAliases([doc], 'the request body');
    return doc;
  } catch (err) {
    throw apiErrors.badRequest(`the body of the request could not be decoded: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
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
