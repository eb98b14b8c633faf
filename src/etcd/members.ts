/**
 * Pure rules about an etcd cluster's membership: who counts for quorum, what a removal costs,
 * the `--initial-cluster` of a joining member, and the rows of `etcd member list`.
 */
import { KubeforgeError } from '../errors.js';

export interface EtcdMemberInfo {
  /** etcd's member ID, hex as etcdctl prints it. */
  id: string;
  /** Empty for a member that was added but has not started yet. */
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

/** What `etcd member list` shows for each member. */
export interface EtcdMemberStatus extends EtcdMemberInfo {
  /** Started: it has a name (etcd learns the name when the member first runs). */
  started: boolean;
  healthy: boolean;
  leader: boolean;
  /** The member's own error when it did not answer. */
  error?: string;
}

/** Raft's majority of the voting members. */
export const quorumOf = (voters: number) => Math.floor(voters / 2) + 1;

/**
 * Whether removing `removeId` leaves the remaining voting members with a quorum of healthy
 * ones: the new cluster has (voters - 1) members and needs a majority of them up. Learners do
 * not vote, so removing one never costs quorum.
 */
export function removalKeepsQuorum(members: readonly EtcdMemberStatus[], removeId: string): { ok: boolean; voters: number; healthyAfter: number; needed: number } {
  const target = members.find((m) => m.id === removeId);
  const voters = members.filter((m) => !m.isLearner);
  if (!target || target.isLearner) return { ok: true, voters: voters.length, healthyAfter: voters.filter((m) => m.healthy).length, needed: quorumOf(voters.length) };
  const remaining = voters.filter((m) => m.id !== removeId);
  const healthyAfter = remaining.filter((m) => m.healthy).length;
  const needed = quorumOf(remaining.length);
  return { ok: remaining.length > 0 && healthyAfter >= needed, voters: voters.length, healthyAfter, needed };
}

/**
 * kubeadm's etcd join: the joining member's `--initial-cluster` lists every started member by
 * name plus itself. A member already registered under this node's name is refused: it would
 * make the new etcd share a name with a live one.
 */
export function initialClusterFor(members: readonly EtcdMemberInfo[], name: string, peerURL: string): Array<{ name: string; peerURL: string }> {
  const clash = members.find((m) => m.name === name && !m.peerURLs.includes(peerURL));
  if (clash) {
    throw new KubeforgeError('KF_ETCD_MEMBER_EXISTS', `etcd already has a member named "${name}" (ID ${clash.id}, peer ${clash.peerURLs.join(',')})`, {
      exitCode: 3,
      hint: `join under another name with --node-name, or remove the old member first (\`kubeforge reset\` on that node, or \`etcdctl member remove ${clash.id}\`)`,
    });
  }
  const out = members.filter((m) => m.name !== '' && m.name !== name).flatMap((m) => (m.peerURLs[0] ? [{ name: m.name, peerURL: m.peerURLs[0] }] : []));
  return [...out, { name, peerURL }];
}

/** The member list as a table, etcdctl's columns plus health and leadership. */
export function memberTable(members: readonly EtcdMemberStatus[]): string[][] {
  return [
    ['ID', 'NAME', 'STATUS', 'HEALTH', 'LEADER', 'LEARNER', 'PEER ADDRS', 'CLIENT ADDRS'],
    ...members.map((m) => [
      m.id,
      m.name || '<unstarted>',
      m.started ? 'started' : 'unstarted',
      m.healthy ? 'healthy' : 'unhealthy',
      m.leader ? 'true' : 'false',
      m.isLearner ? 'true' : 'false',
      m.peerURLs.join(','),
      m.clientURLs.join(','),
    ]),
  ];
}
