/**
 * Decodes Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`), which
 * kubectl 1.32's typed clients send for built-in kinds (create ns/configmap/secret/deployment/
 * serviceaccount/role/rolebinding, run, create token, auth can-i, certificate approve). The
 * `k8s\0` envelope holds a runtime.Unknown with the TypeMeta and the raw message; the message
 * is read with the field tables of protobuf-schemas.ts (generated from upstream's
 * generated.proto) into the JSON shape Go's encoder would produce: zero values are dropped
 * unless the Go field is a pointer or has no omitempty. Responses stay JSON, which the typed
 * clients also accept.
 */
import { GENERATED_SCHEMAS, PACKAGE_OF_API_VERSION } from './protobuf-schemas.js';
import { apiErrors } from './status.js';

interface Field {
  readonly name: string;
  /** s b i B d f t T D q x r, `m:<message>`, or `M<type>` for a map with string keys. */
  readonly type: string;
  readonly repeated: boolean;
  /** Keep zero values (Go pointer or no omitempty). */
  readonly keep: boolean;
}
type Schema = ReadonlyMap<number, Field>;

/** meta/v1 messages (k8s.io/apimachinery), in the generated table's notation. */
const META_SCHEMAS: Record<string, string> = {
  'meta.ObjectMeta':
    '1 name s;2 generateName s;3 namespace s;4 selfLink s;5 uid s;6 resourceVersion s;7 generation i;8 creationTimestamp t;9 deletionTimestamp t;' +
    '10 deletionGracePeriodSeconds i!;11 labels Ms;12 annotations Ms;13 ownerReferences m:meta.OwnerReference*;14 finalizers s*',
  'meta.ListMeta': '',
  'meta.OwnerReference': '1 kind s!;3 name s!;4 uid s!;5 apiVersion s!;6 controller B!;7 blockOwnerDeletion B!',
  'meta.LabelSelector': '1 matchLabels Ms;2 matchExpressions m:meta.LabelSelectorRequirement*',
  'meta.LabelSelectorRequirement': '1 key s!;2 operator s!;3 values s*',
  'meta.FieldSelectorRequirement': '1 key s!;2 operator s!;3 values s*',
  'meta.Condition': '1 type s!;2 status s!;3 observedGeneration i;4 lastTransitionTime t!;5 reason s!;6 message s!',
  'meta.DeleteOptions': '1 gracePeriodSeconds i!;2 preconditions m:meta.Preconditions;3 orphanDependents B!;4 propagationPolicy s!;5 dryRun s*;6 ignoreStoreReadErrorWithClusterBreakingPotential B!',
  'meta.Preconditions': '1 uid s!;2 resourceVersion s!',
  'runtime.Unknown': '1 typeMeta m:runtime.TypeMeta;2 raw b',
  'runtime.TypeMeta': '1 apiVersion s;2 kind s',
};

const parsed = new Map<string, Schema>();

/** The field table of a message, parsed on first use. */
function schemaOf(message: string): Schema | undefined {
  const cached = parsed.get(message);
  if (cached) return cached;
  const text = META_SCHEMAS[message] ?? GENERATED_SCHEMAS[message];
  if (text === undefined) return undefined;
  const schema = new Map<number, Field>();
  for (const entry of text.split(';').filter((e) => e !== '')) {
    const [number, name, spec] = entry.split(' ') as [string, string, string];
    const keep = spec.endsWith('!');
    const bare = keep ? spec.slice(0, -1) : spec;
    const repeated = bare.endsWith('*');
    schema.set(Number(number), { name, type: repeated ? bare.slice(0, -1) : bare, repeated, keep });
  }
  parsed.set(message, schema);
  return schema;
}

const OPTIONS_KINDS = new Set(['DeleteOptions']);

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  /** A varint as a signed 64-bit value (int32 negatives arrive sign-extended). */
  varint(): number {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw apiErrors.badRequest('truncated protobuf body');
      const byte = this.buf[this.pos++] as number;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return Number(BigInt.asIntN(64, result));
      shift += 7n;
      if (shift > 63n) throw apiErrors.badRequest('malformed protobuf varint');
    }
  }
  fixed(size: 4 | 8): Buffer {
    if (this.pos + size > this.buf.length) throw apiErrors.badRequest('truncated protobuf body');
    const out = this.buf.subarray(this.pos, this.pos + size);
    this.pos += size;
    return out;
  }
  bytes(): Buffer {
    const length = this.varint();
    if (length < 0 || this.pos + length > this.buf.length) throw apiErrors.badRequest('truncated protobuf body');
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.fixed(8);
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.fixed(4);
    else throw apiErrors.badRequest(`unsupported protobuf wire type ${wire}`);
  }
}

type Json = Record<string, unknown>;

/** Reads the fields of a small fixed message (Time, Quantity, IntOrString, …) by number. */
function fieldsOf(buf: Buffer): Map<number, number | Buffer> {
  const reader = new Reader(buf);
  const out = new Map<number, number | Buffer>();
  while (!reader.done) {
    const tag = reader.varint();
    const wire = tag & 7;
    out.set(tag >>> 3, wire === 0 ? reader.varint() : wire === 2 ? reader.bytes() : (reader.skip(wire), 0));
  }
  return out;
}

function rfc3339(seconds: number, nanos: number, micro: boolean): string | undefined {
  if (!seconds && !nanos) return undefined;
  const iso = new Date(seconds * 1000).toISOString().replace(/\.\d+Z$/, '');
  return micro ? `${iso}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z` : `${iso}Z`;
}

/** A Go time.Duration (nanoseconds) as Go prints it: 1h0m0s, 1m30s, 500ms. */
function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  if (Math.abs(ns) < 1e9) return `${ns / 1e6}ms`;
  const total = ns / 1e9;
  const h = Math.trunc(total / 3600);
  const m = Math.trunc((total % 3600) / 60);
  const s = Number((total % 60).toFixed(9));
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s}s`;
}

const text = (v: number | Buffer | undefined) => (Buffer.isBuffer(v) ? v.toString('utf8') : '');
const num = (v: number | Buffer | undefined) => (typeof v === 'number' ? v : 0);

/** Scalars and the apimachinery value types, from one wire value. */
function decodeScalar(reader: Reader, wire: number, type: string): unknown {
  switch (type) {
    case 'i':
      return wire === 0 ? reader.varint() : (reader.skip(wire), undefined);
    case 'B':
      return wire === 0 ? reader.varint() !== 0 : (reader.skip(wire), undefined);
    case 'd':
      return wire === 1 ? reader.fixed(8).readDoubleLE(0) : (reader.skip(wire), undefined);
    case 'f':
      return wire === 5 ? reader.fixed(4).readFloatLE(0) : (reader.skip(wire), undefined);
  }
  if (wire !== 2) {
    reader.skip(wire);
    return undefined;
  }
  const raw = reader.bytes();
  switch (type) {
    case 's':
      return raw.toString('utf8');
    case 'b':
      return raw.toString('base64');
    case 't':
    case 'T': {
      const f = fieldsOf(raw);
      return rfc3339(num(f.get(1)), num(f.get(2)), type === 'T');
    }
    case 'D':
      return goDuration(num(fieldsOf(raw).get(1)));
    case 'q':
      return text(fieldsOf(raw).get(1));
    case 'x': {
      const f = fieldsOf(raw);
      return num(f.get(1)) === 1 ? text(f.get(3)) : num(f.get(2));
    }
    case 'r': {
      const inner = fieldsOf(raw).get(1);
      if (!Buffer.isBuffer(inner) || inner.length === 0) return undefined;
      try {
        return JSON.parse(inner.toString('utf8'));
      } catch {
        throw apiErrors.badRequest('a RawExtension in the protobuf body is not JSON');
      }
    }
  }
  return decodeMessage(raw, type.slice(2));
}

const isZero = (v: unknown) => v === '' || v === 0 || v === false || v === undefined;

function decodeMapEntry(buf: Buffer, valueType: string): [string, unknown] {
  const reader = new Reader(buf);
  let key = '';
  let value: unknown = valueType === 's' || valueType === 'b' || valueType === 'q' ? '' : undefined;
  while (!reader.done) {
    const tag = reader.varint();
    if (tag >>> 3 === 1 && (tag & 7) === 2) key = reader.bytes().toString('utf8');
    else if (tag >>> 3 === 2) value = decodeScalar(reader, tag & 7, valueType);
    else reader.skip(tag & 7);
  }
  return [key, value];
}

export function decodeMessage(buf: Buffer, message: string): Json {
  const schema = schemaOf(message);
  if (!schema) throw apiErrors.unsupportedMediaType(`application/vnd.kubernetes.protobuf (${message})`);
  const reader = new Reader(buf);
  const out: Json = {};
  while (!reader.done) {
    const tag = reader.varint();
    const wire = tag & 7;
    const field = schema.get(tag >>> 3);
    if (!field) {
      reader.skip(wire);
      continue;
    }
    if (field.type.startsWith('M')) {
      if (wire !== 2) throw apiErrors.badRequest(`protobuf map field ${field.name} has wire type ${wire}`);
      const [k, v] = decodeMapEntry(reader.bytes(), field.type.slice(1));
      out[field.name] = { ...((out[field.name] as Json | undefined) ?? {}), [k]: v };
      continue;
    }
    if (field.repeated) {
      const list = (out[field.name] as unknown[] | undefined) ?? [];
      if (wire === 2 && field.type === 'i') {
        // A packed repeated integer.
        const packed = new Reader(reader.bytes());
        while (!packed.done) list.push(packed.varint());
      } else {
        const value = decodeScalar(reader, wire, field.type);
        if (value !== undefined) list.push(value);
      }
      out[field.name] = list;
      continue;
    }
    const value = decodeScalar(reader, wire, field.type);
    if (value === undefined || (!field.keep && isZero(value))) continue;
    // An embedded struct (VolumeSource in Volume, IngressRuleValue in IngressRule) is inline in JSON.
    if (field.name.startsWith('^')) Object.assign(out, value);
    else out[field.name] = value;
  }
  return out;
}

/** Decodes a `k8s\0`-enveloped protobuf body into the JSON object it encodes. */
export function decodeKubernetesProtobuf(body: Buffer): Json {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) throw apiErrors.badRequest('protobuf body is missing the k8s envelope');
  const envelope = decodeMessage(body.subarray(4), 'runtime.Unknown');
  const typeMeta = (envelope.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  const apiVersion = typeMeta.apiVersion ?? '';
  const kind = typeMeta.kind ?? '';
  const raw = Buffer.from(String(envelope.raw ?? ''), 'base64');
  // Options bodies (DeleteOptions) are meta/v1 types registered in every group version.
  if (OPTIONS_KINDS.has(kind)) return { apiVersion, kind, ...decodeMessage(raw, `meta.${kind}`) };
  const pkg = PACKAGE_OF_API_VERSION[apiVersion];
  if (!pkg) throw apiErrors.unsupportedMediaType(`application/vnd.kubernetes.protobuf (${apiVersion || 'no apiVersion'} ${kind})`);
  return { apiVersion, kind, ...decodeMessage(raw, `${pkg}.${kind}`) };
}
