/**
 * kubeadm reset's remove-etcd-member phase, with a quorum guard kubeadm lacks: a stacked
 * control-plane node leaves the etcd cluster before its data is deleted, and refuses (a
 * pre-flight error, `EtcdQuorum`) when the members left behind would not have a healthy
 * majority, since the cluster would then stop accepting writes.
 */
import { ExitCode, KubeforgeError, errorMessage } from '../errors.js';
import { etcdCredentials } from '../etcd/credentials.js';
import { readLocalEtcd, type LocalEtcd } from '../etcd/local.js';
import { removalKeepsQuorum, type EtcdMemberStatus } from '../etcd/members.js';
import type { Host } from '../host/index.js';
import type { Logger } from '../log.js';

export const ETCD_QUORUM_CHECK = 'EtcdQuorum';

export interface EtcdMemberRemoval {
  local: LocalEtcd;
  member?: EtcdMemberStatus;
}

function quorumError(message: string, cause?: unknown): KubeforgeError {
  return new KubeforgeError('KF_RESET_ETCD_QUORUM', message, {
    ...(cause === undefined ? {} : { cause }),
    exitCode: ExitCode.Preflight,
    hint: `bring the other control-plane nodes back first (\`kubeforge etcd member list\` shows which are down), or pass --ignore-preflight-errors=${ETCD_QUORUM_CHECK} to reset anyway; nothing was changed`,
  });
}

/**
 * Finds this node's member and checks that removing it keeps quorum. Undefined when the node
 * has no stacked etcd. `ignore` turns a refusal into a warning.
 */
export async function planEtcdMemberRemoval(host: Host, certDir: string, log: Logger, ignore: boolean): Promise<EtcdMemberRemoval | undefined> {
  const local = await readLocalEtcd(host.files);
  if (!local) return undefined;
  const refuse = (err: KubeforgeError) => {
    if (!ignore) throw err;
    log.warn(`[reset] ${err.message}; going on as --ignore-preflight-errors=${ETCD_QUORUM_CHECK} says`);
    return { local };
  };
  let members: EtcdMemberStatus[];
  // Loaded only on a node with a stacked etcd: the gRPC client is slow to load.
  const { EtcdCluster } = await import('../etcd/client.js');
  const cluster = new EtcdCluster([local.clientURL], await etcdCredentials(host.files, certDir));
  try {
    members = await cluster.memberStatuses();
  } catch (err) {
    // As kubeadm: a local etcd that does not answer (the agent was stopped, the node is broken)
    // takes no part in the quorum any more, so deleting its data cannot cost one; say what is left.
    log.warn(
      `[reset] Failed to read the etcd members through this node's etcd (${local.clientURL}): ${errorMessage(err)}; ` +
        `if other control-plane nodes remain, remove this node's member by hand (\`kubeforge etcd member list\` on another node, then \`etcdctl member remove <id>\`)`,
    );
    return { local };
  } finally {
    cluster.close();
  }
  const member = members.find((m) => m.peerURLs.includes(local.peerURL)) ?? members.find((m) => m.name === local.name);
  if (!member) return { local };
  // The last member is not removed (etcd refuses to): the cluster ends with this node.
  if (members.length === 1) return { local };
  const verdict = removalKeepsQuorum(members, member.id);
  if (!verdict.ok) {
    const down = members.filter((m) => !m.healthy && m.id !== member.id).map((m) => m.name || m.id);
    return refuse(
      quorumError(
        `removing etcd member ${member.name} (${member.id}) would leave ${verdict.voters - 1} voting member(s) with ${verdict.healthyAfter} healthy, ` +
          `fewer than the ${verdict.needed} a quorum needs (down: ${down.join(', ') || 'none'}); the cluster would stop accepting writes`,
      ),
    );
  }
  return { local, member };
}

/** How long reset keeps retrying a member removal etcd refuses for now (kubeadm retries with back-off too). */
const REMOVE_MEMBER_TIMEOUT_MS = 30_000;

/**
 * Removes the member through this node's etcd, which forwards to the leader (it stops right after).
 * etcd refuses a removal while a member that just came back has been connected for less than its
 * health interval ("not enough started members"), so a refusal is retried with back-off.
 */
export async function removeEtcdMember(host: Host, certDir: string, removal: EtcdMemberRemoval, log: Logger): Promise<void> {
  const { member } = removal;
  if (!member) return log.info('[reset] This node is not an etcd member (any more): nothing to remove');
  const { EtcdCluster } = await import('../etcd/client.js');
  const cluster = new EtcdCluster([removal.local.clientURL], await etcdCredentials(host.files, certDir));
  try {
    log.info(`[reset] Removing etcd member ${member.name} (${member.id}) from the cluster`);
    const deadline = Date.now() + REMOVE_MEMBER_TIMEOUT_MS;
    for (let delayMs = 250; ; delayMs = Math.min(delayMs * 2, 4000)) {
      try {
        await cluster.removeMember(member.id);
        break;
      } catch (err) {
        if (Date.now() + delayMs > deadline) throw err;
        log.debug(1, `[reset] etcd refused to remove member ${member.id} for now (${errorMessage(err)}); retrying`);
        await new Promise((r) => setTimeout(r, delayMs));
      }
    }
  } catch (err) {
    log.warn(`[reset] Failed to remove etcd member ${member.id}: ${errorMessage(err)}; remove it by hand with \`etcdctl member remove ${member.id}\``);
  } finally {
    cluster.close();
  }
}
