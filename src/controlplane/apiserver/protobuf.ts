/**
 * Decodes Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`), which
 * kubectl 1.32's typed clients send for built-in kinds (create ns/configmap/secret, auth
 * can-i/whoami, certificate approve). The `k8s\0` envelope holds a runtime.Unknown with the
 * TypeMeta and the raw message; the message is read with the field-number tables below
 * (from upstream's generated.proto) into the JSON shape. Responses stay JSON, which the
 * typed clients also accept.
 */
import { apiErrors } from './status.js';

type FieldType = 'string' | 'bytes' | 'int' | 'bool' | 'time' | 'map:string' | 'map:bytes' | `msg:${string}`;
interface Field {
  readonly name: string;
  readonly type: FieldType;
  readonly repeated?: boolean;
}
type Schema = Readonly<Record<number, Field>>;

const f = (name: string, type: FieldType, repeated = false): Field => ({ name, type, repeated });

const SCHEMAS: Record<string, Schema> = {
  ObjectMeta: {
    1: f('name', 'string'), 2: f('generateName', 'string'), 3: f('namespace', 'string'), 5: f('uid', 'string'),
    6: f('resourceVersion', 'string'), 7: f('generation', 'int'), 8: f('creationTimestamp', 'time'), 9: f('deletionTimestamp', 'time'),
    11: f('labels', 'map:string'), 12: f('annotations', 'map:string'), 13: f('ownerReferences', 'msg:OwnerReference', true), 14: f('finalizers', 'string', true),
  },
  OwnerReference: { 1: f('kind', 'string'), 3: f('name', 'string'), 4: f('uid', 'string'), 5: f('apiVersion', 'string'), 6: f('controller', 'bool'), 7: f('blockOwnerDeletion', 'bool') },
  LocalObjectReference: { 1: f('name', 'string') },
  ObjectReference: { 1: f('kind', 'string'), 2: f('namespace', 'string'), 3: f('name', 'string'), 4: f('uid', 'string'), 5: f('apiVersion', 'string') },
  Namespace: { 1: f('metadata', 'msg:ObjectMeta'), 2: f('spec', 'msg:NamespaceSpec'), 3: f('status', 'msg:NamespaceStatus') },
  NamespaceSpec: { 1: f('finalizers', 'string', true) },
  NamespaceStatus: { 1: f('phase', 'string') },
  ConfigMap: { 1: f('metadata', 'msg:ObjectMeta'), 2: f('data', 'map:string'), 3: f('binaryData', 'map:bytes'), 4: f('immutable', 'bool') },
  Secret: { 1: f('metadata', 'msg:ObjectMeta'), 2: f('data', 'map:bytes'), 3: f('type', 'string'), 4: f('stringData', 'map:string'), 5: f('immutable', 'bool') },
  ServiceAccount: { 1: f('metadata', 'msg:ObjectMeta'), 2: f('secrets', 'msg:ObjectReference', true), 3: f('imagePullSecrets', 'msg:LocalObjectReference', true), 4: f('automountServiceAccountToken', 'bool') },
  SelfSubjectAccessReview: { 1: f('metadata', 'msg:ObjectMeta'), 2: f('spec', 'msg:SelfSubjectAccessReviewSpec') },
  SelfSubjectAccessReviewSpec: { 1: f('resourceAttributes', 'msg:ResourceAttributes'), 2: f('nonResourceAttributes', 'msg:NonResourceAttributes') },
  ResourceAttributes: { 1: f('namespace', 'string'), 2: f('verb', 'string'), 3: f('group', 'string'), 4: f('version', 'string'), 5: f('resource', 'string'), 6: f('subresource', 'string'), 7: f('name', 'string') },
  NonResourceAttributes: { 1: f('path', 'string'), 2: f('verb', 'string') },
  SelfSubjectReview: { 1: f('metadata', 'msg:ObjectMeta') },
  CertificateSigningRequest: { 1: f('metadata', 'msg:ObjectMeta'), 2: f('spec', 'msg:CertificateSigningRequestSpec'), 3: f('status', 'msg:CertificateSigningRequestStatus') },
  CertificateSigningRequestSpec: {
    1: f('request', 'bytes'), 2: f('username', 'string'), 3: f('uid', 'string'), 4: f('groups', 'string', true), 5: f('usages', 'string', true),
    7: f('signerName', 'string'), 8: f('expirationSeconds', 'int'),
  },
  CertificateSigningRequestStatus: { 1: f('conditions', 'msg:CertificateSigningRequestCondition', true), 2: f('certificate', 'bytes') },
  CertificateSigningRequestCondition: {
    1: f('type', 'string'), 2: f('reason', 'string'), 3: f('message', 'string'), 4: f('lastUpdateTime', 'time'), 5: f('lastTransitionTime', 'time'), 6: f('status', 'string'),
  },
  TokenRequest: { 1: f('metadata', 'msg:ObjectMeta'), 2: f('spec', 'msg:TokenRequestSpec') },
  TokenRequestSpec: { 1: f('audiences', 'string', true), 3: f('boundObjectRef', 'msg:BoundObjectReference'), 4: f('expirationSeconds', 'int') },
  BoundObjectReference: { 1: f('kind', 'string'), 2: f('apiVersion', 'string'), 3: f('name', 'string'), 4: f('uid', 'string') },
  Time: { 1: f('seconds', 'int'), 2: f('nanos', 'int') },
  Unknown: { 1: f('typeMeta', 'msg:TypeMeta'), 2: f('raw', 'bytes') },
  TypeMeta: { 1: f('apiVersion', 'string'), 2: f('kind', 'string') },
};

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.buf.length) throw apiErrors.badRequest('truncated protobuf body');
      const byte = this.buf[this.pos++] as number;
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
      if (shift > 63) throw apiErrors.badRequest('malformed protobuf varint');
    }
  }
  bytes(): Buffer {
    const length = this.varint();
    if (this.pos + length > this.buf.length) throw apiErrors.badRequest('truncated protobuf body');
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw apiErrors.badRequest(`unsupported protobuf wire type ${wire}`);
  }
}

type Json = Record<string, unknown>;

function decodeMapEntry(buf: Buffer, valueType: 'string' | 'bytes'): [string, string] {
  const reader = new Reader(buf);
  let key = '';
  let value = '';
  while (reader.pos < buf.length) {
    const tag = reader.varint();
    if (tag >>> 3 === 1 && (tag & 7) === 2) key = reader.bytes().toString('utf8');
    else if (tag >>> 3 === 2 && (tag & 7) === 2) {
      const raw = reader.bytes();
      value = valueType === 'bytes' ? raw.toString('base64') : raw.toString('utf8');
    } else reader.skip(tag & 7);
  }
  return [key, value];
}

function decodeTime(buf: Buffer): string | undefined {
  const seconds = Number(decodeMessage(buf, 'Time').seconds ?? 0);
  return seconds ? new Date(seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z') : undefined;
}

function decodeValue(reader: Reader, wire: number, field: Field): unknown {
  if (field.type === 'int') return wire === 0 ? reader.varint() : (reader.skip(wire), undefined);
  if (field.type === 'bool') return wire === 0 ? reader.varint() !== 0 : (reader.skip(wire), undefined);
  if (wire !== 2) {
    reader.skip(wire);
    return undefined;
  }
  const raw = reader.bytes();
  switch (field.type) {
    case 'string':
      return raw.toString('utf8');
    case 'bytes':
      return raw.toString('base64');
    case 'time':
      return decodeTime(raw);
    case 'map:string':
    case 'map:bytes':
      return decodeMapEntry(raw, field.type === 'map:bytes' ? 'bytes' : 'string');
    default:
      return decodeMessage(raw, field.type.slice(4));
  }
}

export function decodeMessage(buf: Buffer, message: string): Json {
  const schema = SCHEMAS[message];
  if (!schema) throw apiErrors.unsupportedMediaType(`application/vnd.kubernetes.protobuf (${message})`);
  const reader = new Reader(buf);
  const out: Json = {};
  while (reader.pos < buf.length) {
    const tag = reader.varint();
    const field = schema[tag >>> 3];
    if (!field) {
      reader.skip(tag & 7);
      continue;
    }
    const value = decodeValue(reader, tag & 7, field);
    if (value === undefined || value === '') continue;
    if (field.type.startsWith('map:')) {
      const [k, v] = value as [string, string];
      out[field.name] = { ...((out[field.name] as Json | undefined) ?? {}), [k]: v };
    } else if (field.repeated) out[field.name] = [...((out[field.name] as unknown[] | undefined) ?? []), value];
    else out[field.name] = value;
  }
  return out;
}

/** Decodes a `k8s\0`-enveloped protobuf body into the JSON object it encodes. */
export function decodeKubernetesProtobuf(body: Buffer): Json {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) throw apiErrors.badRequest('protobuf body is missing the k8s envelope');
  const unknown = decodeMessage(body.subarray(4), 'Unknown');
  const typeMeta = (unknown.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  const kind = typeMeta.kind ?? '';
  const raw = Buffer.from(String(unknown.raw ?? ''), 'base64');
  return { apiVersion: typeMeta.apiVersion, kind, ...decodeMessage(raw, kind) };
}
