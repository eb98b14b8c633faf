/**
 * kubeadm's etcdutil for a stacked etcd: a client to the cluster with the API server's etcd
 * client certificate (pki/apiserver-etcd-client.*, trusted by pki/etcd/ca.crt), and the
 * membership calls `join --control-plane`, `reset` and `etcd member list` need. etcd's uint64
 * member IDs travel as decimal strings in the gRPC client; they are shown in hex as etcdctl does.
 */
import { Etcd3, type IMember } from 'etcd3';
import { KubeforgeError, errorMessage } from '../errors.js';
import type { EtcdCredentials } from './credentials.js';
import type { EtcdMemberInfo, EtcdMemberStatus } from './members.js';

/** Per-call deadline: a member that does not answer in this time counts as unhealthy. */
const CALL_TIMEOUT_MS = 5_000;

export const memberIdHex = (id: string) => BigInt(id).toString(16);
const memberIdDecimal = (hex: string) => BigInt(`0x${hex}`).toString(10);

function toInfo(m: IMember): EtcdMemberInfo {
  return { id: memberIdHex(m.ID), name: m.name, peerURLs: m.peerURLs, clientURLs: m.clientURLs, isLearner: Boolean(m.isLearner) };
}

function withTimeout<T>(work: Promise<T>, what: string, ms = CALL_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)));
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** A client to the etcd cluster through any of `endpoints` (client URLs, https://host:2379). */
export class EtcdCluster {
  private readonly client: Etcd3;

  constructor(
    readonly endpoints: readonly string[],
    private readonly credentials: EtcdCredentials,
  ) {
    this.client = connect(endpoints, credentials);
  }

  close(): void {
    this.client.close();
  }

  async members(): Promise<EtcdMemberInfo[]> {
    const res = await this.call('list the etcd members', () => this.client.cluster.memberList({ linearizable: true }));
    return res.members.map(toInfo);
  }

  /** Adds a member (a learner when asked: kubeadm's EtcdLearnerMode) and returns it. */
  async addMember(peerURL: string, learner: boolean): Promise<EtcdMemberInfo> {
    const res = await this.call(`add the etcd member ${peerURL}`, () => this.client.cluster.memberAdd({ peerURLs: [peerURL], isLearner: learner }));
    return toInfo(res.member);
  }

  /** etcd refuses while the learner has not caught up with the leader; the caller retries. */
  async promoteMember(idHex: string): Promise<void> {
    await this.call(`promote the etcd member ${idHex}`, () => this.client.cluster.memberPromote({ ID: memberIdDecimal(idHex) }));
  }

  async removeMember(idHex: string): Promise<void> {
    await this.call(`remove the etcd member ${idHex}`, () => this.client.cluster.memberRemove({ ID: memberIdDecimal(idHex) }));
  }

  /** Every member with its health (its own status answer) and whether it leads. */
  async memberStatuses(): Promise<EtcdMemberStatus[]> {
    const members = await this.members();
    return Promise.all(
      members.map(async (m): Promise<EtcdMemberStatus> => {
        const base = { ...m, started: m.name !== '', healthy: false, leader: false };
        if (m.clientURLs.length === 0) return base;
        const one = connect(m.clientURLs, this.credentials);
        try {
          const status = await withTimeout(one.maintenance.status(), `etcd member ${m.name || m.id}`);
          return { ...base, healthy: status.errors.length === 0, leader: memberIdHex(status.leader) === m.id, ...(status.errors.length ? { error: status.errors.join('; ') } : {}) };
        } catch (err) {
          return { ...base, error: errorMessage(err) };
        } finally {
          one.close();
        }
      }),
    );
  }

  private async call<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await withTimeout(work(), what, CALL_TIMEOUT_MS * 2);
    } catch (err) {
      throw new KubeforgeError('KF_ETCD_UNAVAILABLE', `cannot ${what} through ${this.endpoints.join(',')}: ${errorMessage(err)}`, {
        cause: err,
        hint: 'check that the etcd members run (`kubeforge etcd member list`, the etcd pod logs under var/log/pods)',
      });
    }
  }
}

function connect(endpoints: readonly string[], credentials: EtcdCredentials): Etcd3 {
  return new Etcd3({
    hosts: endpoints.map((e) => e.replace(/^https?:\/\//, '')),
    dialTimeout: CALL_TIMEOUT_MS,
    credentials: { rootCertificate: credentials.ca, certChain: credentials.cert, privateKey: credentials.key },
  });
}
