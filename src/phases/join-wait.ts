/**
 * The end of join's kubelet-start: wait for the agent's TLS bootstrap (kubelet.conf appears once
 * its CSR is approved and signed) and for the Node to register and become Ready. While waiting it
 * says every 10 s what it waits for; on timeout the error names the stage that did not happen
 * (no CSR, CSR not approved, approved but not signed, node not registered, not Ready).
 */
import { isRunning, readAgentPid } from '../agent/index.js';
import { KubeforgeError } from '../errors.js';
import { isNotFound, KubeApiError, type KubeClient, type KubeObject } from '../kube/index.js';
import { formatDuration } from '../log.js';
import { AGENT_LOG, KUBELET_KUBECONFIG } from './agent-start.js';
import type { JoinContext, TLSBootstrap } from './join.js';

/** kubelet.conf (a local file) and then the Node are looked at this often... */
const POLL_MS = 100;
/**
 * ...while the CSR's stage, which only explains a wait or reports a denial, is read this often:
 * it is a LIST of every CSR in the cluster, and fifty nodes joining at once would otherwise spend
 * the API server's time serialising that list.
 */
const CSR_CHECK_MS = 5000;
const PROGRESS_MS = 10_000;

interface Stage {
  code: string;
  waitingFor: string;
  hint: string;
}

type NodeObject = KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } };
export const isNodeReady = (node: NodeObject | undefined) => node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** The agent gets this long to write its pid file before its absence means it died. */
const AGENT_START_GRACE_MS = 5000;

type CSR = KubeObject & { spec?: { username?: string; signerName?: string }; status?: { conditions?: Array<{ type: string; reason?: string; message?: string }>; certificate?: string } };

const STAGES = {
  noCSR: { code: 'KF_JOIN_NO_CSR', waitingFor: 'the agent to create its certificate signing request', hint: `the agent has not asked for a certificate: see its log (${AGENT_LOG} under the root)` },
  notApproved: {
    code: 'KF_JOIN_CSR_NOT_APPROVED',
    waitingFor: 'the CSR to be approved',
    hint: 'the approver did not act: check that kube-controller-manager runs with the csrapproving controller (--controllers includes it), that the ClusterRoleBinding kubeadm:node-autoapprove-bootstrap exists (`kubeforge init phase bootstrap-token`), or approve by hand with `kubectl certificate approve <csr>`',
  },
  notSigned: { code: 'KF_JOIN_CSR_NOT_SIGNED', waitingFor: 'the approved CSR to be signed', hint: 'the signer did not act: check that kube-controller-manager runs with --cluster-signing-cert-file and --cluster-signing-key-file (the cluster CA)' },
  noKubeconfig: { code: 'KF_JOIN_NO_KUBELET_CONF', waitingFor: `the agent to write ${KUBELET_KUBECONFIG}`, hint: `the CSR was signed but the agent did not write its kubeconfig: see its log (${AGENT_LOG} under the root)` },
  notRegistered: { code: 'KF_JOIN_NODE_NOT_REGISTERED', waitingFor: 'the Node to register', hint: `the agent has its credentials but did not register the Node: see its log (${AGENT_LOG} under the root)` },
  notReady: { code: 'KF_JOIN_NODE_NOT_READY', waitingFor: 'the Node to become Ready', hint: `the Node registered but is not Ready: \`kubectl describe node\` shows its conditions; see the agent's log (${AGENT_LOG} under the root)` },
} satisfies Record<string, Stage>;

/** Where the TLS bootstrap stands, from the newest CSR this bootstrap identity made. */
async function csrStage(client: KubeClient, requester: string | undefined): Promise<{ stage: Stage; detail: string }> {
  const list = await client.list<CSR>({ group: 'certificates.k8s.io', version: 'v1', resource: 'certificatesigningrequests' });
  const mine = list.items
    .filter((csr) => csr.spec?.signerName === 'kubernetes.io/kube-apiserver-client-kubelet' && (!requester || csr.spec?.username === requester))
    .sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''));
  const csr = mine.at(-1);
  if (!csr) return { stage: STAGES.noCSR, detail: `no CSR from ${requester ?? 'this node'} yet` };
  const conditions = csr.status?.conditions ?? [];
  const final = conditions.find((c) => c.type === 'Denied' || c.type === 'Failed');
  if (final) {
    throw new KubeforgeError(`KF_JOIN_CSR_${final.type.toUpperCase()}`, `the certificate signing request ${csr.metadata.name} was ${final.type.toLowerCase()}: ${final.reason ?? ''} ${final.message ?? ''}`.trim(), {
      hint: 'see `kubectl describe csr` on the control plane; a CSR is auto-approved only in the exact kubelet shape',
    });
  }
  if (!conditions.some((c) => c.type === 'Approved')) return { stage: STAGES.notApproved, detail: `CSR ${csr.metadata.name} is Pending` };
  if (!csr.status?.certificate) return { stage: STAGES.notSigned, detail: `CSR ${csr.metadata.name} is Approved but not Issued` };
  return { stage: STAGES.noKubeconfig, detail: `CSR ${csr.metadata.name} is Approved,Issued` };
}

async function nodeStage(client: KubeClient, name: string): Promise<{ stage: Stage; detail: string } | undefined> {
  try {
    const node = await client.get<KubeObject>({ version: 'v1', resource: 'nodes', name });
    return isNodeReady(node) ? undefined : { stage: STAGES.notReady, detail: `Node "${name}" is registered but not Ready` };
  } catch (err) {
    if (isNotFound(err)) return { stage: STAGES.notRegistered, detail: `Node "${name}" does not exist yet` };
    throw err;
  }
}

/** A failure worth polling through (as kubeadm's wait does): no answer, overload, or a server error. */
const isTransient = (err: unknown) => err instanceof KubeApiError && (err.status === 0 || err.status === 429 || err.status >= 500);

async function agentLogTail(ctx: JoinContext): Promise<string[]> {
  const log = await ctx.host.files.tryReadFile(AGENT_LOG);
  return log ? log.toString('utf8').trimEnd().split('\n').slice(-10) : [];
}

export async function waitForJoinedNode(ctx: JoinContext, client: KubeClient, tls: TLSBootstrap, csrCheckMs = CSR_CHECK_MS): Promise<void> {
  const { host, log } = ctx;
  const name = ctx.cfg.join.nodeRegistration.name;
  const requester = tls.user.token ? `system:bootstrap:${tls.user.token.slice(0, 6)}` : undefined;
  const started = performance.now();
  let lastProgress = started;
  log.info(`[kubelet-start] Waiting for the agent to perform the TLS Bootstrap and the Node "${name}" to be Ready. This can take up to ${formatDuration(ctx.tlsBootstrapTimeoutMs)}`);
  let last = { stage: STAGES.noCSR as Stage, detail: 'not looked at yet' };
  // A bootstrap usually ends within a second: the CSR list is read only when it takes longer (and
  // always before a timeout is reported, so the error names the right stage).
  let csrCheckedAt = started;
  const csrDue = () => performance.now() - csrCheckedAt >= csrCheckMs || performance.now() - started > ctx.tlsBootstrapTimeoutMs;
  for (;;) {
    let current: { stage: Stage; detail: string } | undefined;
    try {
      if (await host.files.exists(KUBELET_KUBECONFIG)) current = await nodeStage(client, name);
      else if (csrDue()) {
        csrCheckedAt = performance.now();
        current = await csrStage(client, requester);
      } else current = last;
    } catch (err) {
      if (!isTransient(err)) throw err;
      current = { stage: last.stage, detail: `the API server did not answer: ${(err as Error).message}` };
    }
    if (!current) {
      log.info(`[kubelet-start] The Node "${name}" is Ready after ${formatDuration(performance.now() - started)}`);
      return;
    }
    last = current;
    const agent = await readAgentPid(host);
    const agentGone = agent ? !(await isRunning(host.system, agent)) : performance.now() - started > AGENT_START_GRACE_MS;
    if (agentGone) {
      throw new KubeforgeError('KF_JOIN_AGENT_EXITED', `the agent stopped while waiting for ${current.stage.waitingFor}`, { details: await agentLogTail(ctx), hint: `see ${host.files.resolve(AGENT_LOG)}` });
    }
    const elapsed = performance.now() - started;
    if (elapsed > ctx.tlsBootstrapTimeoutMs) {
      throw new KubeforgeError(current.stage.code, `timed out after ${formatDuration(elapsed)} waiting for ${current.stage.waitingFor} (${current.detail})`, { hint: current.stage.hint });
    }
    if (performance.now() - lastProgress >= PROGRESS_MS) {
      lastProgress = performance.now();
      log.info(`[kubelet-start] Still waiting for ${current.stage.waitingFor}: ${current.detail}`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
