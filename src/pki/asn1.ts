/**
 * DER building blocks on top of node-forge's ASN.1 codec (forge's certificate layer knows only
 * RSA, so kubeforge assembles X.509 structures itself and signs with Node's native crypto).
 */
import forge from 'node-forge';

export type Asn1 = forge.asn1.Asn1;
const { asn1 } = forge;
const U = asn1.Class.UNIVERSAL;
const T = asn1.Type;

export const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  basicConstraints: '2.5.29.19',
  subjectKeyId: '2.5.29.14',
  authorityKeyId: '2.5.29.35',
  subjectAltName: '2.5.29.17',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

export const toBinary = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');
const fromBinary = (text: string): Buffer => Buffer.from(text, 'latin1');

export function toDer(node: Asn1): Buffer {
  return fromBinary(asn1.toDer(node).getBytes());
}

/** Parses DER strictly; BIT STRINGs stay opaque (forge would otherwise guess at nested ASN.1). */
export function fromDer(bytes: Uint8Array): Asn1 {
  const options = { strict: true, parseAllBytes: true, decodeBitStrings: false };
  return (asn1.fromDer as unknown as (b: forge.util.ByteBuffer, o: typeof options) => Asn1)(forge.util.createBuffer(toBinary(bytes)), options);
}

export const seq = (items: Asn1[]): Asn1 => asn1.create(U, T.SEQUENCE, true, items);
export const set = (items: Asn1[]): Asn1 => asn1.create(U, T.SET, true, items);
export const oid = (dotted: string): Asn1 => asn1.create(U, T.OID, false, asn1.oidToDer(dotted).getBytes());
export const nullValue = (): Asn1 => asn1.create(U, T.NULL, false, '');
export const bool = (value: boolean): Asn1 => asn1.create(U, T.BOOLEAN, false, value ? '\xff' : '\x00');
export const octets = (bytes: Uint8Array): Asn1 => asn1.create(U, T.OCTETSTRING, false, toBinary(bytes));
export const bitString = (bytes: Uint8Array, unusedBits = 0): Asn1 =>
  asn1.create(U, T.BITSTRING, false, String.fromCharCode(unusedBits) + toBinary(bytes));
/** Context-specific tag: [n] IMPLICIT primitive, or [n] EXPLICIT / constructed when given nodes. */
export const tagged = (tag: number, value: Uint8Array | Asn1[]): Asn1 =>
  Array.isArray(value)
    ? asn1.create(asn1.Class.CONTEXT_SPECIFIC, tag, true, value)
    : asn1.create(asn1.Class.CONTEXT_SPECIFIC, tag, false, toBinary(value));

/** A positive INTEGER from unsigned big-endian bytes (a leading 0x00 keeps the sign bit clear). */
export function unsignedInteger(bytes: Uint8Array): Asn1 {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = Buffer.from(bytes.subarray(start));
  const body = (trimmed[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed;
  return asn1.create(U, T.INTEGER, false, toBinary(body));
}

export const smallInteger = (n: number): Asn1 => asn1.create(U, T.INTEGER, false, asn1.integerToDer(n).getBytes());

// Go's asn1 marshals a string as PrintableString when every character allows it, else UTF8String.
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?*&]*$/;
const directoryString = (text: string): Asn1 =>
  PRINTABLE.test(text)
    ? asn1.create(U, T.PRINTABLESTRING, false, text)
    : asn1.create(U, T.UTF8, false, forge.util.encodeUtf8(text));

/** Go's pkix.Name order: O (all values in one RDN), then CN. */
export function encodeName(subject: { commonName: string; organizations: string[] }): Asn1 {
  const rdns: Asn1[] = [];
  if (subject.organizations.length > 0) {
    rdns.push(set(subject.organizations.map((o) => seq([oid(OID.organization), directoryString(o)]))));
  }
  if (subject.commonName) rdns.push(set([seq([oid(OID.commonName), directoryString(subject.commonName)])]));
  return seq(rdns);
}

/** RFC 5280: UTCTime through 2049, GeneralizedTime from 2050. */
export function encodeTime(date: Date): Asn1 {
  return date.getUTCFullYear() < 2050
    ? asn1.create(U, T.UTCTIME, false, asn1.dateToUtcTime(date))
    : asn1.create(U, T.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(date));
}

export function decodeTime(node: Asn1): Date {
  const text = node.value as string;
  return node.type === T.UTCTIME ? asn1.utcTimeToDate(text) : asn1.generalizedTimeToDate(text);
}

export const decodeOid = (node: Asn1): string => asn1.derToOid(node.value as string);
export const children = (node: Asn1 | undefined): Asn1[] => (Array.isArray(node?.value) ? (node.value as Asn1[]) : []);
export const bytesOf = (node: Asn1 | undefined): Buffer => fromBinary(typeof node?.value === 'string' ? node.value : '');
export const Tag = { class: asn1.Class, type: T };
