/**
 * The certificates admission plugins of upstream (plugin/pkg/admission/certificates):
 * CertificateApproval (approving needs `approve` on signers/<signerName> or <domain>/*),
 * CertificateSigning (issuing a certificate through status needs `sign` on it) and
 * CertificateSubjectRestriction (no system:masters for the kube-apiserver-client signer).
 */
import type { UserInfo } from '../authn.js';
import { apiErrors } from '../status.js';
import { forbidden, obj, type AdmissionAttributes, type AdmissionContext, type ValidatingPlugin } from './types.js';

const GROUP = 'certificates.k8s.io';
const APISERVER_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client';

const isCsr = (a: AdmissionAttributes) => a.type.group === GROUP && a.type.plural === 'certificatesigningrequests';
const signerOf = (a: AdmissionAttributes) => String(obj(a.object?.spec).signerName ?? '');

/** `verb` on signers/<signerName>, else on signers/<domain>/* (upstream IsAuthorizedForSignerName). */
export function authorizedForSigner(ctx: AdmissionContext, user: UserInfo, verb: string, signerName: string): boolean {
  const on = (name: string) =>
    ctx.authorize({ user, verb, isResourceRequest: true, apiGroup: GROUP, resource: 'signers', subresource: '', name, namespace: undefined, path: '' }).allowed;
  return on(signerName) || on(`${signerName.split('/')[0]}/*`);
}

export const certificateApproval: ValidatingPlugin = {
  name: 'CertificateApproval',
  enabled: 'default',
  validate(a, ctx) {
    if (!isCsr(a) || a.subresource !== 'approval' || a.operation !== 'UPDATE') return;
    if (!authorizedForSigner(ctx, a.user, 'approve', signerOf(a))) throw forbidden(a, `user not permitted to approve requests with signerName "${signerOf(a)}"`);
  },
};

export const certificateSigning: ValidatingPlugin = {
  name: 'CertificateSigning',
  enabled: 'default',
  validate(a, ctx) {
    if (!isCsr(a) || a.subresource !== 'status' || a.operation !== 'UPDATE') return;
    if (obj(a.object?.status).certificate === obj(a.oldObject?.status).certificate) return;
    if (!authorizedForSigner(ctx, a.user, 'sign', signerOf(a))) throw forbidden(a, `user not permitted to sign requests with signerName "${signerOf(a)}"`);
  },
};

export const certificateSubjectRestriction: ValidatingPlugin = {
  name: 'CertificateSubjectRestriction',
  enabled: 'default',
  async validate(a) {
    if (!isCsr(a) || a.subresource !== '' || a.operation !== 'CREATE' || signerOf(a) !== APISERVER_CLIENT_SIGNER) return;
    // Loaded on the first such CSR: the parser brings node-forge (~12 MB, ~0.4 s), which the API server otherwise never needs.
    const { parseCertificateSigningRequest } = await import('../../../pki/csr.js');
    let organizations: string[];
    try {
      organizations = parseCertificateSigningRequest(Buffer.from(String(obj(a.object?.spec).request ?? ''), 'base64')).subject.organizations;
    } catch (err) {
      // Upstream's validation parses the request before admission: a bad one is invalid, not a 500.
      const why = err instanceof Error ? err.message : String(err);
      throw apiErrors.invalid('CertificateSigningRequest', GROUP, a.name, [{ reason: 'FieldValueInvalid', field: 'spec.request', message: `Invalid value: "<request>": ${why}` }]);
    }
    if (organizations.includes('system:masters')) throw forbidden(a, `use of ${APISERVER_CLIENT_SIGNER} signer with system:masters group is not allowed`);
  },
};
