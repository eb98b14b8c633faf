/**
 * Service ClusterIPs from --service-cluster-ip-range and node ports from
 * --service-node-port-range, allocated race-free across API servers: each taken value is an
 * etcd key created with create-if-absent (`<prefix>/kubeforge/serviceips/<ip>`,
 * `.../servicenodeports/<port>`), released when the Service is deleted. Upstream keeps a
 * bitmap per range and a repair loop; a crash between deleting a Service and releasing its
 * values leaks them here (they are never handed out twice).
 */
import { randomInt } from 'node:crypto';
import { validationError } from '../../errors.js';
import { apiErrors, type StatusCause } from './status.js';
import type { KubeObject, Storage } from './storage.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});

export interface IpRange {
  cidr: string;
  /** First and last usable addresses as integers (network and broadcast excluded). */
  first: number;
  last: number;
}

const ipToInt = (ip: string) => ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
const intToIp = (n: number) => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/** Parses an IPv4 CIDR (the first of a dual-stack pair); throws a validation error otherwise. */
export function parseServiceCidr(value: string): IpRange {
  const first = value.split(',')[0]?.trim() ?? '';
  const [ip, bits] = first.split('/');
  const prefix = Number(bits);
  if (!ip || !IPV4.test(ip) || !Number.isInteger(prefix) || prefix < 1 || prefix > 30) {
    throw validationError('KF_APISERVER_FLAG_VALUE', `invalid --service-cluster-ip-range "${value}": expected an IPv4 CIDR between /1 and /30`);
  }
  const size = 2 ** (32 - prefix);
  const network = Math.floor(ipToInt(ip) / size) * size;
  return { cidr: `${intToIp(network)}/${prefix}`, first: network + 1, last: network + size - 2 };
}

/** Parses `30000-32767` (or a single port). */
export function parsePortRange(value: string): { first: number; last: number } {
  const m = /^(\d+)(?:-(\d+))?$/.exec(value.trim());
  const first = Number(m?.[1]);
  const last = Number(m?.[2] ?? m?.[1]);
  if (!m || first < 1 || last > 65535 || first > last) throw validationError('KF_APISERVER_FLAG_VALUE', `invalid --service-node-port-range "${value}": expected FIRST-LAST`);
  return { first, last };
}

/** The address upstream gives the `kubernetes` Service: the first of the range. */
export function firstServiceIp(range: IpRange): string {
  return intToIp(range.first);
}

const needsClusterIp = (spec: Obj) => spec.type !== 'ExternalName' && spec.clusterIP !== 'None';
const needsNodePorts = (spec: Obj) => spec.type === 'NodePort' || spec.type === 'LoadBalancer';

export class ServiceAllocator {
  constructor(
    private readonly storage: Storage,
    private readonly etcdRoot: string,
    private readonly ips: IpRange,
    private readonly ports: { first: number; last: number },
  ) {}

  private ipKey(ip: string): string {
    return `${this.etcdRoot}/kubeforge/serviceips/${ip}`;
  }

  private portKey(port: number): string {
    return `${this.etcdRoot}/kubeforge/servicenodeports/${port}`;
  }

  /** Takes one value: the wanted one, or a free one tried at random then in order. */
  private async take(key: (v: number) => string, first: number, last: number, wanted: number | undefined, owner: KubeObject): Promise<number | undefined> {
    const claim = { kind: 'Allocation', apiVersion: 'v1', metadata: { name: `${owner.metadata?.namespace ?? ''}/${owner.metadata?.name ?? ''}` } };
    if (wanted !== undefined) return (await this.storage.create(key(wanted), claim)) ? wanted : undefined;
    for (let i = 0; i < 16; i++) {
      const candidate = first + randomInt(last - first + 1);
      if (await this.storage.create(key(candidate), claim)) return candidate;
    }
    for (let candidate = first; candidate <= last; candidate++) if (await this.storage.create(key(candidate), claim)) return candidate;
    return undefined;
  }

  /** Fills spec.clusterIP(s) and node ports of a new Service, taking them in etcd. */
  async allocate(service: KubeObject): Promise<void> {
    const spec = obj(service.spec);
    const name = service.metadata?.name ?? '';
    const invalid = (field: string, message: string): never => {
      throw apiErrors.invalid('Service', '', name, [{ reason: 'FieldValueInvalid', message, field } satisfies StatusCause]);
    };
    const taken: Array<() => Promise<void>> = [];
    try {
      if (needsClusterIp(spec)) {
        const requested = typeof spec.clusterIP === 'string' && spec.clusterIP !== '' ? spec.clusterIP : undefined;
        if (requested !== undefined && (!IPV4.test(requested) || ipToInt(requested) < this.ips.first || ipToInt(requested) > this.ips.last)) {
          invalid('spec.clusterIPs', `Invalid value: []string{"${requested}"}: failed to allocate IP ${requested}: the provided IP (${requested}) is not in the valid range. The range of valid IPs is ${this.ips.cidr}`);
        }
        const ip = await this.take((v) => this.ipKey(intToIp(v)), this.ips.first, this.ips.last, requested === undefined ? undefined : ipToInt(requested), service);
        if (ip === undefined) {
          if (requested !== undefined) invalid('spec.clusterIPs', `Invalid value: []string{"${requested}"}: failed to allocate IP ${requested}: provided IP is already allocated`);
          throw apiErrors.internal('failed to allocate a serviceIP: range is full');
        }
        taken.push(() => this.storage.remove(this.ipKey(intToIp(ip))));
        spec.clusterIP = intToIp(ip);
        spec.clusterIPs = [spec.clusterIP];
        spec.ipFamilies ??= ['IPv4'];
        spec.ipFamilyPolicy ??= 'SingleStack';
      } else if (spec.clusterIP === 'None') spec.clusterIPs = ['None'];
      if (needsNodePorts(spec)) {
        for (const port of (Array.isArray(spec.ports) ? spec.ports : []) as Obj[]) {
          const requested = typeof port.nodePort === 'number' && port.nodePort > 0 ? port.nodePort : undefined;
          const got = await this.take((v) => this.portKey(v), this.ports.first, this.ports.last, requested, service);
          if (got === undefined) invalid('spec.ports.nodePort', `Invalid value: ${requested ?? 0}: provided port is already allocated`);
          taken.push(() => this.storage.remove(this.portKey(got as number)));
          port.nodePort = got;
        }
      }
    } catch (err) {
      await Promise.all(taken.map((release) => release().catch(() => undefined)));
      throw err;
    }
    service.spec = spec;
  }

  /** Gives back what a deleted (or never stored) Service held. */
  async release(service: KubeObject): Promise<void> {
    const spec = obj(service.spec);
    const keys: string[] = [];
    if (typeof spec.clusterIP === 'string' && IPV4.test(spec.clusterIP)) keys.push(this.ipKey(spec.clusterIP));
    for (const port of (Array.isArray(spec.ports) ? spec.ports : []) as Obj[]) if (typeof port.nodePort === 'number') keys.push(this.portKey(port.nodePort));
    await Promise.all(keys.map((key) => this.storage.remove(key)));
  }
}
