/**
 * csrapproving (upstream's sarapprove): auto-approves kubelet client CSRs and nothing else.
 * A CSR is recognised only when its signer is kubernetes.io/kube-apiserver-client-kubelet and
 * its request has exactly the kubelet shape: subject O=system:nodes, CN=system:node:<name> and
 * nothing more; no SANs of any kind; usages exactly {digital signature, client auth} or
 * {digital signature, key encipherment, client auth}; an RSA or ECDSA key; a valid signature.
 * Its requester must then pass a SubjectAccessReview for create on
 * certificatesigningrequests/selfnodeclient (renewal: username equals the CN) or /nodeclient
 * (a bootstrap token). Anything else stays pending for a human.
 */
import { resourcePath, type KubeObject } from '../../kube/index.js';
import type { CertificateSigningRequestInfo } from '../../pki/index.js';
import { runInformerLoop, type Controller, type ControllerContext } from '../common/controller.js';
import { ref } from '../common/resources.js';
import { isApproved, isDenied, isFailed, isIssued, KUBELET_CLIENT_SIGNER, parseCSR, type CertificateSigningRequest } from './csr.js';

export type NodeClientPermission = 'selfnodeclient' | 'nodeclient';

export type Recognition = { recognized: true; permissions: NodeClientPermission[] } | { recognized: false; reason: string };

const NODE_PREFIX = 'system:node:';
const ALLOWED_USAGE_SETS = [
  ['client auth', 'digital signature'],
  ['client auth', 'digital signature', 'key encipherment'],
];

/** Why this request is not a kubelet client certificate request, or undefined when it is one. */
export function kubeletClientShapeError(parsed: CertificateSigningRequestInfo, usages: string[]): string | undefined {
  const { organizations, commonName: cn } = parsed.subject;
  if (organizations.length !== 1 || organizations[0] !== 'system:nodes') return `organization must be exactly [system:nodes], got [${organizations.join(', ')}]`;
  if (!cn.startsWith(NODE_PREFIX) || cn.length === NODE_PREFIX.length) return `common name must be system:node:<name>, got "${cn}"`;
  if ([...parsed.subjectAttributes].sort().join(',') !== 'CN,O') return 'the subject must hold only one CN and O=system:nodes';
  if (parsed.dnsNames.length) return 'DNS subjectAltNames are not allowed';
  if (parsed.ips.length) return 'IP subjectAltNames are not allowed';
  if (parsed.emailAddresses.length) return 'email subjectAltNames are not allowed';
  if (parsed.uris.length || parsed.otherNames) return 'URI and other subjectAltNames are not allowed';
  const sorted = [...new Set(usages)].sort();
  if (sorted.length !== usages.length || !ALLOWED_USAGE_SETS.some((set) => set.join(',') === sorted.join(','))) {
    return `usages must be exactly {digital signature, client auth} or {digital signature, key encipherment, client auth}, got {${usages.join(', ')}}`;
  }
  if (parsed.keyType !== 'rsa' && parsed.keyType !== 'ec') return `the key must be RSA or ECDSA, got ${parsed.keyType}`;
  return undefined;
}

/** Which SubjectAccessReviews may approve this CSR (selfnodeclient first, as upstream). */
export function recognizeNodeClientCSR(csr: CertificateSigningRequest, parsed: CertificateSigningRequestInfo): Recognition {
  if (csr.spec.signerName !== KUBELET_CLIENT_SIGNER) return { recognized: false, reason: `signer ${csr.spec.signerName} is not ${KUBELET_CLIENT_SIGNER}` };
  const error = kubeletClientShapeError(parsed, csr.spec.usages ?? []);
  if (error) return { recognized: false, reason: error };
  const self = csr.spec.username === parsed.subject.commonName;
  return { recognized: true, permissions: self ? ['selfnodeclient', 'nodeclient'] : ['nodeclient'] };
}

/** A CSR the approver should look at: neither approved nor denied, failed nor issued. */
export const needsApprovalDecision = (csr: CertificateSigningRequest) => !isApproved(csr) && !isDenied(csr) && !isFailed(csr) && !isIssued(csr);

/** The SubjectAccessReview asking whether the CSR's requester may create this node-client kind. */
function subjectAccessReview(csr: CertificateSigningRequest, permission: NodeClientPermission): KubeObject {
  return {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    metadata: {},
    spec: {
      user: csr.spec.username,
      uid: csr.spec.uid,
      groups: csr.spec.groups,
      extra: csr.spec.extra,
      resourceAttributes: { group: 'certificates.k8s.io', resource: 'certificatesigningrequests', verb: 'create', subresource: permission },
    },
  };
}

/** The CSR with upstream's Approved condition appended. */
export function approvedCSR(csr: CertificateSigningRequest, permission: NodeClientPermission, now: Date): CertificateSigningRequest {
  const message = permission === 'selfnodeclient' ? 'Auto approving self kubelet client certificate after SubjectAccessReview.' : 'Auto approving kubelet client certificate after SubjectAccessReview.';
  const at = now.toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    ...csr,
    status: { ...csr.status, conditions: [...(csr.status?.conditions ?? []), { type: 'Approved', status: 'True', reason: 'AutoApproved', message, lastUpdateTime: at, lastTransitionTime: at }] },
  };
}

export const csrApprovingController: Controller = {
  name: 'csrapproving',
  async run(ctx: ControllerContext) {
    const sync = async (csr: CertificateSigningRequest, name: string) => {
      let parsed: CertificateSigningRequestInfo;
      try {
        parsed = parseCSR(csr);
      } catch (err) {
        ctx.log.debug(2, `[csrapproving] ${name}: ${err instanceof Error ? err.message : String(err)}; leaving it pending`);
        return;
      }
      const recognition = recognizeNodeClientCSR(csr, parsed);
      if (!recognition.recognized) {
        ctx.log.debug(4, `[csrapproving] ${name} is not a kubelet client CSR (${recognition.reason}); leaving it pending`);
        return;
      }
      for (const permission of recognition.permissions) {
        const review = await ctx.client.request<{ status?: { allowed?: boolean } }>('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', { body: subjectAccessReview(csr, permission) });
        if (!review.status?.allowed) continue;
        await ctx.client.update(ref('certificatesigningrequests', undefined, name, 'approval'), approvedCSR(csr, permission, ctx.now()));
        ctx.log.info(`[csrapproving] approved ${name} for ${csr.spec.username} (${permission})`);
        return;
      }
      // Upstream re-queues with back-off: RBAC may grant the permission later.
      throw new Error(`recognized ${name} as ${recognition.permissions.join(', ')} but the SubjectAccessReview of ${csr.spec.username} was not allowed (${resourcePath(ref('certificatesigningrequests', undefined, name))})`);
    };
    await runInformerLoop(ctx, { name: 'csrapproving', informer: ctx.informers.informerFor<CertificateSigningRequest>(ref('certificatesigningrequests')), accept: needsApprovalDecision, workers: 2, sync });
  },
};
