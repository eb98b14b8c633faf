import { describe, expect, it } from 'vitest';
import { decodeKubernetesProtobuf } from './protobuf.js';

// A minimal protobuf writer for building test bodies.
const varint = (n: number | bigint): number[] => {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
};
const int = (field: number, n: number) => Buffer.from([...varint(field << 3), ...varint(n)]);
const bytes = (field: number, data: Buffer | string) => {
  const b = Buffer.from(data);
  return Buffer.concat([Buffer.from([...varint((field << 3) | 2), ...varint(b.length)]), b]);
};
const envelope = (apiVersion: string, kind: string, raw: Buffer) =>
  Buffer.concat([Buffer.from('k8s\0'), bytes(1, Buffer.concat([bytes(1, apiVersion), bytes(2, kind)])), bytes(2, raw)]);

describe('protobuf request bodies', () => {
  it('decodes a Service with an IntOrString target port and drops Go zero values', () => {
    const port = Buffer.concat([bytes(1, 'http'), bytes(2, 'TCP'), int(3, 80), bytes(4, Buffer.concat([int(1, 1), bytes(3, 'web')])), int(5, 0)]);
    const spec = Buffer.concat([bytes(1, port), bytes(2, Buffer.concat([bytes(1, 'app'), bytes(2, 'x')])), bytes(3, '')]);
    const service = Buffer.concat([bytes(1, bytes(1, 'web')), bytes(2, spec)]);
    expect(decodeKubernetesProtobuf(envelope('v1', 'Service', service))).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 'web' }], selector: { app: 'x' } },
    });
  });

  it('keeps zero values of pointer fields (replicas: 0) and reads negative int32s', () => {
    const deployment = Buffer.concat([bytes(1, bytes(1, 'd')), bytes(2, Buffer.concat([int(1, 0), int(5, 0)]))]);
    expect(decodeKubernetesProtobuf(envelope('apps/v1', 'Deployment', deployment)).spec).toEqual({ replicas: 0 });
    const pc = Buffer.concat([bytes(1, bytes(1, 'neg')), int(2, -5)]);
    expect(decodeKubernetesProtobuf(envelope('scheduling.k8s.io/v1', 'PriorityClass', pc)).value).toBe(-5);
  });

  it('decodes resource quantities and times', () => {
    const quantity = (q: string) => bytes(1, q);
    const resources = Buffer.concat([bytes(1, Buffer.concat([bytes(1, 'cpu'), bytes(2, quantity('250m'))]))]);
    const container = Buffer.concat([bytes(1, 'c'), bytes(8, resources)]);
    const meta = Buffer.concat([bytes(1, 'p'), bytes(8, int(1, 1_700_000_000))]);
    const pod = Buffer.concat([bytes(1, meta), bytes(2, bytes(2, container))]);
    const decoded = decodeKubernetesProtobuf(envelope('v1', 'Pod', pod));
    expect(decoded.metadata).toEqual({ name: 'p', creationTimestamp: '2023-11-14T22:13:20Z' });
    expect(decoded.spec).toEqual({ containers: [{ name: 'c', resources: { limits: { cpu: '250m' } } }] });
  });

  it('answers 415 for a kind it has no table for and 400 for a truncated body', () => {
    expect(() => decodeKubernetesProtobuf(envelope('resource.k8s.io/v1beta1', 'ResourceClaim', Buffer.alloc(0)))).toThrow(expect.objectContaining({ code: 415 }));
    expect(() => decodeKubernetesProtobuf(envelope('v1', 'ConfigMap', Buffer.from([0x0a, 0x10, 0x01])))).toThrow(expect.objectContaining({ code: 400 }));
  });

  it('decodes a policy/v1 Eviction with its DeleteOptions (typed clients evicting pods)', () => {
    const eviction = Buffer.concat([bytes(1, bytes(1, 'web-1')), bytes(2, bytes(2, bytes(1, 'u-1')))]);
    expect(decodeKubernetesProtobuf(envelope('policy/v1', 'Eviction', eviction))).toEqual({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'web-1' }, deleteOptions: { preconditions: { uid: 'u-1' } } });
  });

  it('decodes a DeleteOptions body (helm uninstall) whatever group version names it', () => {
    const options = Buffer.concat([bytes(2, Buffer.concat([bytes(1, 'u-1')])), bytes(4, 'Background'), bytes(5, 'All')]);
    for (const apiVersion of ['v1', 'apps/v1', 'meta.k8s.io/v1']) {
      expect(decodeKubernetesProtobuf(envelope(apiVersion, 'DeleteOptions', options))).toEqual({ apiVersion, kind: 'DeleteOptions', preconditions: { uid: 'u-1' }, propagationPolicy: 'Background', dryRun: ['All'] });
    }
  });
});
