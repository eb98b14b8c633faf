import { X509Certificate } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ref } from '../../src/controlplane/common/resources.js';
import { eventually, FakeApi, runAgainstFake, stopFakes } from '../helpers/fake-api.js';
import { loadCertificateAuthority, parseCertificateSigningRequest, validityWindow, type CertificateAuthority } from '../../src/pki/index.js';
import { csrObject, opensslCA, opensslCSR, opensslKeys, opensslText, opensslVerify, type OpensslKeys } from '../helpers/openssl-csr.js';
import { APISERVER_CLIENT_SIGNER, type CertificateSigningRequest } from '../../src/controlplane/controllers/csr.js';
import { approvedCSR } from '../../src/controlplane/controllers/csrapproving.js';
import { certificateDurationMs, csrSigningController, issueCertificate, signingDecision } from '../../src/controlplane/controllers/csrsigning.js';

let keys: OpensslKeys;
let rsaCA: ReturnType<typeof opensslCA>;
let ecCA: ReturnType<typeof opensslCA>;
let ca: CertificateAuthority;
beforeAll(() => {
  keys = opensslKeys();
  rsaCA = opensslCA(keys.dir, 'rsa');
  ecCA = opensslCA(keys.dir, 'ec');
  ca = loadCertificateAuthority(rsaCA.cert, rsaCA.key);
});
afterAll(() => keys.cleanup());

const HOUR = 3600_000;
const KUBELET = '/O=system:nodes/CN=system:node:w1';
const approved = (csr: CertificateSigningRequest) => approvedCSR(csr, 'nodeclient', new Date());

describe('csrsigning durations', () => {
  it('uses the cluster signing duration without expirationSeconds', () => {
    expect(certificateDurationMs(8760 * HOUR, undefined)).toBe(8760 * HOUR);
  });
  it('honours a shorter expirationSeconds', () => {
    expect(certificateDurationMs(8760 * HOUR, 3600)).toBe(HOUR);
  });
  it('never exceeds the cluster signing duration', () => {
    expect(certificateDurationMs(3 * 60_000 * 20, 10 * 365 * 24 * 3600)).toBe(HOUR);
  });
  it('raises an expirationSeconds under 10 minutes to 10 minutes', () => {
    expect(certificateDurationMs(8760 * HOUR, 60)).toBe(10 * 60_000);
  });
  it('backdates NotBefore 5 minutes and, for long lifetimes, NotAfter too', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const far = new Date('2036-01-01T00:00:00Z');
    expect(validityWindow(now, 8760 * HOUR, far)).toEqual({ notBefore: new Date('2025-12-31T23:55:00Z'), notAfter: new Date(now.getTime() + 8760 * HOUR - 5 * 60_000) });
    expect(validityWindow(now, HOUR, far).notAfter).toEqual(new Date('2026-01-01T01:00:00Z'));
  });
  it('caps NotAfter at the CA expiry', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    expect(validityWindow(now, 8760 * HOUR, new Date('2026-02-01T00:00:00Z')).notAfter).toEqual(new Date('2026-02-01T00:00:00Z'));
  });
});

describe('csrsigning decisions', () => {
  it('skips CSRs that are not approved, already issued, failed, or for other signers', () => {
    const csr = csrObject(opensslCSR(keys.ec, KUBELET));
    expect(signingDecision(csr).action).toBe('skip');
    expect(signingDecision({ ...approved(csr), status: { ...approved(csr).status, certificate: 'x' } }).action).toBe('skip');
    expect(signingDecision(approved({ ...csr, spec: { ...csr.spec, signerName: 'example.com/other' } })).action).toBe('skip');
    const failed = approved(csr);
    failed.status!.conditions!.push({ type: 'Failed', status: 'True' });
    expect(signingDecision(failed).action).toBe('skip');
  });

  it('signs an approved kubelet client CSR', () => {
    expect(signingDecision(approved(csrObject(opensslCSR(keys.ec, KUBELET)))).action).toBe('sign');
  });

  it('refuses a kubelet-signer CSR that lacks the kubelet shape, even when approved by hand', () => {
    const decision = signingDecision(approved(csrObject(opensslCSR(keys.ec, '/O=system:masters/CN=system:node:w1'))));
    expect(decision).toMatchObject({ action: 'fail', message: expect.stringContaining('system:nodes') });
  });

  it('signs an approved kube-apiserver-client CSR with client usages and any subject', () => {
    const csr = csrObject(opensslCSR(keys.ec, '/O=team/CN=jane'), { signerName: APISERVER_CLIENT_SIGNER, usages: ['digital signature', 'key encipherment', 'client auth'] });
    expect(signingDecision(approved(csr)).action).toBe('sign');
  });

  it('refuses a kube-apiserver-client CSR asking for server auth', () => {
    const csr = csrObject(opensslCSR(keys.ec, '/CN=jane'), { signerName: APISERVER_CLIENT_SIGNER, usages: ['client auth', 'server auth'] });
    expect(signingDecision(approved(csr))).toEqual({ action: 'fail', message: 'invalid usage for client certificate: server auth' });
  });

  it('refuses a kube-apiserver-client CSR without client auth', () => {
    const csr = csrObject(opensslCSR(keys.ec, '/CN=jane'), { signerName: APISERVER_CLIENT_SIGNER, usages: ['digital signature'] });
    expect(signingDecision(approved(csr))).toMatchObject({ action: 'fail', message: expect.stringContaining('missing required usage') });
  });

  it('signs an approved kubelet-serving CSR with node addresses and server auth', () => {
    const csr = csrObject(opensslCSR(keys.ec, KUBELET, 'DNS:w1,IP:127.0.0.3'), { signerName: 'kubernetes.io/kubelet-serving', usages: ['digital signature', 'server auth'] });
    expect(signingDecision(approved(csr)).action).toBe('sign');
  });

  const badServing: Array<[string, () => CertificateSigningRequest]> = [
    ['without any address', () => csrObject(opensslCSR(keys.ec, KUBELET), { signerName: 'kubernetes.io/kubelet-serving', usages: ['digital signature', 'server auth'] })],
    ['with client auth', () => csrObject(opensslCSR(keys.ec, KUBELET, 'DNS:w1'), { signerName: 'kubernetes.io/kubelet-serving', usages: ['digital signature', 'server auth', 'client auth'] })],
    ['with a URI SAN', () => csrObject(opensslCSR(keys.ec, KUBELET, 'DNS:w1,URI:https://x'), { signerName: 'kubernetes.io/kubelet-serving', usages: ['digital signature', 'server auth'] })],
    ['for system:masters', () => csrObject(opensslCSR(keys.ec, '/O=system:masters/CN=system:node:w1', 'DNS:w1'), { signerName: 'kubernetes.io/kubelet-serving', usages: ['digital signature', 'server auth'] })],
  ];
  for (const [what, make] of badServing) {
    it(`refuses a kubelet-serving CSR ${what}`, () => {
      expect(signingDecision(approved(make())).action).toBe('fail');
    });
  }

  it('fails an approved CSR whose request is not a CSR', () => {
    const csr = csrObject('x', { request: Buffer.from('not pem').toString('base64') });
    expect(signingDecision(approved(csr)).action).toBe('fail');
  });
});

describe('csrsigning certificates (checked with openssl)', () => {
  for (const caType of ['rsa', 'ec'] as const) {
    for (const keyType of ['ec', 'rsa'] as const) {
      it(`issues a ${keyType.toUpperCase()} kubelet client cert from a ${caType.toUpperCase()} CA that openssl verifies for client auth`, () => {
        const authority = caType === 'rsa' ? rsaCA : ecCA;
        const pem = issueCertificate(parseCertificateSigningRequest(opensslCSR(keyType === 'ec' ? keys.ec : keys.rsa, KUBELET)), ['digital signature', 'key encipherment', 'client auth'], loadCertificateAuthority(authority.cert, authority.key), HOUR, new Date());
        expect(opensslVerify(keys.dir, authority.certFile, pem, 'sslclient')).toMatch(/: OK$/);
        const text = opensslText(keys.dir, pem);
        expect(text).toMatch(/Subject: O\s*=\s*system:nodes, CN\s*=\s*system:node:w1/);
        expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment/);
        expect(text).toMatch(/X509v3 Extended Key Usage:\s+TLS Web Client Authentication/);
        expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
        expect(text).toMatch(/X509v3 Authority Key Identifier/);
      });
    }
  }

  it('copies SANs of a kube-apiserver-client request and is not valid for server auth', () => {
    const pem = issueCertificate(parseCertificateSigningRequest(opensslCSR(keys.ec, '/CN=jane', 'DNS:jane.example,IP:10.1.2.3')), ['client auth'], ca, HOUR, new Date());
    const cert = new X509Certificate(pem);
    expect(cert.subjectAltName).toBe('DNS:jane.example, IP Address:10.1.2.3');
    expect(opensslVerify(keys.dir, rsaCA.certFile, pem, 'sslserver')).not.toMatch(/: OK$/);
  });

  it('issues a kubelet serving cert that openssl verifies for server auth, with the node addresses', () => {
    const pem = issueCertificate(parseCertificateSigningRequest(opensslCSR(keys.ec, KUBELET, 'DNS:w1,IP:127.0.0.3')), ['digital signature', 'server auth'], ca, HOUR, new Date());
    expect(opensslVerify(keys.dir, rsaCA.certFile, pem, 'sslserver')).toMatch(/: OK$/);
    expect(new X509Certificate(pem).subjectAltName).toBe('DNS:w1, IP Address:127.0.0.3');
  });

  it('gives the certificate the requested lifetime', () => {
    const now = new Date();
    const cert = new X509Certificate(issueCertificate(parseCertificateSigningRequest(opensslCSR(keys.ec, KUBELET)), ['client auth', 'digital signature'], ca, 3 * 60_000 * 10, now));
    expect(Date.parse(cert.validTo) - now.getTime()).toBeGreaterThan(30 * 60_000 - 2000);
    expect(Date.parse(cert.validTo) - now.getTime()).toBeLessThanOrEqual(30 * 60_000);
    expect(now.getTime() - Date.parse(cert.validFrom)).toBeGreaterThanOrEqual(5 * 60_000 - 1000);
  });

  it('refuses to sign once the CA has expired', () => {
    expect(() => issueCertificate(parseCertificateSigningRequest(opensslCSR(keys.ec, KUBELET)), ['client auth'], ca, HOUR, new Date(Date.now() + 20 * 365 * 24 * HOUR))).toThrow(/expired/);
  });
});

describe('csrsigning loop (against the in-memory FakeApi)', () => {
  afterEach(stopFakes);

  it('writes the certificate of an approved CSR via /status and marks a bad one Failed', async () => {
    const api = new FakeApi();
    runAgainstFake(api, csrSigningController({ ca, durationMs: HOUR }));
    api.put(ref('certificatesigningrequests'), approved(csrObject(opensslCSR(keys.ec, KUBELET), { expirationSeconds: 1200 }, 'good')));
    api.put(ref('certificatesigningrequests'), approved(csrObject(opensslCSR(keys.ec, '/O=system:masters/CN=system:node:w1'), {}, 'bad')));
    api.put(ref('certificatesigningrequests'), csrObject(opensslCSR(keys.ec, KUBELET), {}, 'pending'));
    const get = (name: string) => api.find<CertificateSigningRequest>(ref('certificatesigningrequests'), undefined, name)!;
    await eventually(() => Boolean(get('good').status?.certificate) && (get('bad').status?.conditions?.length ?? 0) === 2);
    const cert = new X509Certificate(Buffer.from(get('good').status!.certificate!, 'base64').toString());
    expect(cert.subject).toBe('O=system:nodes\nCN=system:node:w1');
    expect(Date.parse(cert.validTo) - Date.parse(cert.validFrom)).toBe(25 * 60_000);
    expect(get('bad').status?.conditions?.[1]).toMatchObject({ type: 'Failed', reason: 'SignerValidationFailure' });
    expect(get('pending').status?.certificate).toBeUndefined();
    expect(api.calls.filter((c) => c.method === 'PUT').map((c) => c.path).sort()).toEqual([
      '/apis/certificates.k8s.io/v1/certificatesigningrequests/bad/status',
      '/apis/certificates.k8s.io/v1/certificatesigningrequests/good/status',
    ]);
  });
});
