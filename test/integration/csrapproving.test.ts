import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/kube/index.js';
import { ref } from '../../src/controlplane/common/resources.js';
import { eventually, FakeApi, runAgainstFake, stopFakes } from '../helpers/fake-api.js';
import { csrObject, opensslCSR, opensslKeys, type OpensslKeys } from '../helpers/openssl-csr.js';
import { parseCertificateSigningRequest } from '../../src/pki/index.js';
import { APISERVER_CLIENT_SIGNER, parseCSR, type CertificateSigningRequest } from '../../src/controlplane/controllers/csr.js';
import { approvedCSR, csrApprovingController, needsApprovalDecision, recognizeNodeClientCSR } from '../../src/controlplane/controllers/csrapproving.js';

let keys: OpensslKeys;
beforeAll(() => {
  keys = opensslKeys();
});
afterAll(() => keys.cleanup());

const KUBELET = '/O=system:nodes/CN=system:node:w1';
const recognize = (csr: CertificateSigningRequest) => recognizeNodeClientCSR(csr, parseCSR(csr));

describe('CSR parsing (src/pki, against requests openssl made)', () => {
  it('reads subject, key type and every kind of SAN from an openssl ECDSA request', () => {
    const parsed = parseCertificateSigningRequest(opensslCSR(keys.ec, KUBELET, 'DNS:w1.example,IP:10.0.0.7,IP:::1,email:a@b.c,URI:spiffe://x/y,RID:1.2.3.4'));
    expect(parsed).toMatchObject({
      subject: { commonName: 'system:node:w1', organizations: ['system:nodes'] }, subjectAttributes: ['O', 'CN'], keyType: 'ec',
      dnsNames: ['w1.example'], ips: ['10.0.0.7', '::1'], emailAddresses: ['a@b.c'], uris: ['spiffe://x/y'], otherNames: 1,
    });
  });

  it('reads an RSA request and verifies its signature', () => {
    expect(parseCertificateSigningRequest(opensslCSR(keys.rsa, KUBELET))).toMatchObject({ keyType: 'rsa', dnsNames: [] });
  });

  it('refuses a request whose signed part was altered', () => {
    const pem = opensslCSR(keys.ec, KUBELET);
    const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s/g, ''), 'base64');
    const at = der.indexOf(Buffer.from('w1'));
    der[at + 1] = '2'.charCodeAt(0);
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    expect(() => parseCertificateSigningRequest(tampered)).toThrow('the request signature does not verify');
    expect(() => parseCSR(csrObject(tampered))).toThrow(expect.objectContaining({ code: 'KF_CSR_INVALID' }));
  });

  it('rejects text that is not a CSR with KF_CSR_INVALID', () => {
    expect(() => parseCSR(csrObject('hello'))).toThrow(expect.objectContaining({ code: 'KF_CSR_INVALID' }));
    expect(() => parseCSR(csrObject('-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n'))).toThrow(expect.objectContaining({ code: 'KF_CSR_INVALID' }));
  });
});

describe('csrapproving recognition', () => {
  it('recognizes a bootstrap-token kubelet CSR (ECDSA, digital signature + client auth) as nodeclient only', () => {
    expect(recognize(csrObject(opensslCSR(keys.ec, KUBELET)))).toEqual({ recognized: true, permissions: ['nodeclient'] });
  });

  it('recognizes an RSA kubelet CSR with key encipherment too', () => {
    const csr = csrObject(opensslCSR(keys.rsa, KUBELET), { usages: ['key encipherment', 'digital signature', 'client auth'] });
    expect(recognize(csr).recognized).toBe(true);
  });

  it('offers selfnodeclient first when the requester is the node itself', () => {
    expect(recognize(csrObject(opensslCSR(keys.ec, KUBELET), { username: 'system:node:w1', groups: ['system:nodes'] }))).toEqual({ recognized: true, permissions: ['selfnodeclient', 'nodeclient'] });
  });

  const bad: Array<[string, () => CertificateSigningRequest]> = [
    ['a CSR for system:masters', () => csrObject(opensslCSR(keys.ec, '/O=system:masters/CN=system:node:w1'))],
    ['a CSR for O=system:masters as kubernetes-admin', () => csrObject(opensslCSR(keys.ec, '/O=system:masters/CN=kubernetes-admin'))],
    ['a CSR adding system:masters to system:nodes', () => csrObject(opensslCSR(keys.ec, '/O=system:nodes/O=system:masters/CN=system:node:w1'))],
    ['a CSR with an OU in its subject', () => csrObject(opensslCSR(keys.ec, '/O=system:nodes/OU=x/CN=system:node:w1'))],
    ['a CSR whose CN is not system:node:<name>', () => csrObject(opensslCSR(keys.ec, '/O=system:nodes/CN=w1'))],
    ['a CSR whose CN has no node name', () => csrObject(opensslCSR(keys.ec, '/O=system:nodes/CN=system:node:'))],
    ['a CSR with a DNS SAN', () => csrObject(opensslCSR(keys.ec, KUBELET, 'DNS:w1'))],
    ['a CSR with an IP SAN', () => csrObject(opensslCSR(keys.ec, KUBELET, 'IP:127.0.0.3'))],
    ['a CSR with an email SAN', () => csrObject(opensslCSR(keys.ec, KUBELET, 'email:root@w1'))],
    ['a CSR with a URI SAN', () => csrObject(opensslCSR(keys.ec, KUBELET, 'URI:https://w1'))],
    ['a CSR with a registered-ID SAN', () => csrObject(opensslCSR(keys.ec, KUBELET, 'RID:1.2.3.4'))],
    ['a CSR with server auth usage', () => csrObject(opensslCSR(keys.ec, KUBELET), { usages: ['digital signature', 'client auth', 'server auth'] })],
    ['a CSR with only client auth usage', () => csrObject(opensslCSR(keys.ec, KUBELET), { usages: ['client auth'] })],
    ['a CSR with a duplicated usage', () => csrObject(opensslCSR(keys.ec, KUBELET), { usages: ['digital signature', 'client auth', 'client auth'] })],
    ['a CSR for another signer', () => csrObject(opensslCSR(keys.ec, KUBELET), { signerName: APISERVER_CLIENT_SIGNER })],
  ];
  for (const [what, make] of bad) {
    it(`does not recognize ${what}`, () => {
      expect(recognize(make()).recognized).toBe(false);
    });
  }

  it('looks only at CSRs that are neither approved, denied, failed nor issued', () => {
    const csr = csrObject(opensslCSR(keys.ec, KUBELET));
    expect(needsApprovalDecision(csr)).toBe(true);
    expect(needsApprovalDecision(approvedCSR(csr, 'nodeclient', new Date()))).toBe(false);
    expect(needsApprovalDecision({ ...csr, status: { conditions: [{ type: 'Denied', status: 'True' }] } })).toBe(false);
    expect(needsApprovalDecision({ ...csr, status: { certificate: 'x' } })).toBe(false);
  });

  it('approves with upstream condition: Approved, AutoApproved, its message', () => {
    const approved = approvedCSR(csrObject(opensslCSR(keys.ec, KUBELET)), 'selfnodeclient', new Date('2026-01-01T00:00:00.123Z'));
    expect(approved.status?.conditions).toEqual([{ type: 'Approved', status: 'True', reason: 'AutoApproved', message: 'Auto approving self kubelet client certificate after SubjectAccessReview.', lastUpdateTime: '2026-01-01T00:00:00Z', lastTransitionTime: '2026-01-01T00:00:00Z' }]);
  });
});

describe('csrapproving loop (against the in-memory FakeApi with kubeadm RBAC as SubjectAccessReviews)', () => {
  afterEach(stopFakes);

  /** kubeadm's bindings: bootstrap tokens may create nodeclient CSRs, nodes selfnodeclient ones. */
  function start() {
    const api = new FakeApi();
    const reviews: string[] = [];
    api.on('POST', /subjectaccessreviews$/, (body) => {
      const spec = (body as KubeObject & { spec: { user: string; groups?: string[]; resourceAttributes: { subresource: string } } }).spec;
      reviews.push(`${spec.user}:${spec.resourceAttributes.subresource}`);
      const groups = spec.groups ?? [];
      const allowed = spec.resourceAttributes.subresource === 'nodeclient' ? groups.includes('system:bootstrappers:kubeadm:default-node-token') : groups.includes('system:nodes');
      return { status: { allowed } };
    });
    const { lines } = runAgainstFake(api, csrApprovingController);
    const conditions = (name: string) => api.find<CertificateSigningRequest>(ref('certificatesigningrequests'), undefined, name)?.status?.conditions ?? [];
    /** Waits for the controller's own line that a sync ended (`line`): proof that it decided, so an absence checked after it means something. */
    const decided = (line: RegExp) => eventually(() => lines.some((l) => line.test(l)), 5000, `a log line ${line}`);
    return { api, reviews, conditions, decided };
  }

  it('approves a bootstrap token CSR of the kubelet shape through /approval', async () => {
    const { api, conditions } = start();
    api.put(ref('certificatesigningrequests'), csrObject(opensslCSR(keys.ec, KUBELET), {}, 'node-csr-1'));
    await eventually(() => conditions('node-csr-1').length === 1);
    expect(conditions('node-csr-1')[0]).toMatchObject({ type: 'Approved', reason: 'AutoApproved' });
    expect(api.calls.some((c) => c.method === 'PUT' && c.path === '/apis/certificates.k8s.io/v1/certificatesigningrequests/node-csr-1/approval')).toBe(true);
  });

  it('approves a node renewing its own certificate as selfnodeclient', async () => {
    const { api, conditions, reviews } = start();
    api.put(ref('certificatesigningrequests'), csrObject(opensslCSR(keys.ec, KUBELET), { username: 'system:node:w1', groups: ['system:nodes', 'system:authenticated'] }, 'renew'));
    await eventually(() => conditions('renew').length === 1);
    expect(conditions('renew')[0]?.message).toContain('self');
    expect(reviews).toEqual(['system:node:w1:selfnodeclient']);
  });

  it('leaves pending a node asking for another node\'s certificate (its SubjectAccessReview fails)', async () => {
    const { api, conditions, reviews, decided } = start();
    api.put(ref('certificatesigningrequests'), csrObject(opensslCSR(keys.ec, KUBELET), { username: 'system:node:w2', groups: ['system:nodes', 'system:authenticated'] }, 'steal'));
    // The sync ends by failing (upstream re-queues with back-off: RBAC may allow it later).
    await decided(/syncing steal failed .*SubjectAccessReview of system:node:w2 was not allowed/);
    expect(reviews[0]).toBe('system:node:w2:nodeclient');
    expect(conditions('steal')).toEqual([]);
  });

  it('leaves every bad shape pending and never asks for a review for them', async () => {
    const { api, conditions, reviews, decided } = start();
    const shapes = [
      csrObject(opensslCSR(keys.ec, '/O=system:masters/CN=system:node:w1'), {}, 'masters'),
      csrObject(opensslCSR(keys.ec, KUBELET, 'DNS:w1,IP:127.0.0.3'), {}, 'sans'),
      csrObject(opensslCSR(keys.ec, KUBELET), { usages: ['digital signature', 'client auth', 'server auth'] }, 'serverauth'),
      csrObject(opensslCSR(keys.ec, KUBELET), { request: Buffer.from('garbage').toString('base64') }, 'garbage'),
    ];
    for (const csr of shapes) api.put(ref('certificatesigningrequests'), csr);
    api.put(ref('certificatesigningrequests'), csrObject(opensslCSR(keys.ec, KUBELET), {}, 'good'));
    await eventually(() => conditions('good').length === 1);
    for (const csr of shapes) await decided(new RegExp(`\\[csrapproving\\] ${csr.metadata.name!}\\b.*leaving it pending`));
    for (const csr of shapes) expect(conditions(csr.metadata.name!)).toEqual([]);
    expect(reviews).toEqual(['system:bootstrap:abcdef:nodeclient']);
  });
});
