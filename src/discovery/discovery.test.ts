/** Token discovery's decisions against real HTTPS servers serving crafted cluster-info. */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../log.js';
import { caPublicKeyPin } from '../pki/index.js';
import { discoverWithToken, type TokenDiscoveryOptions } from './index.js';
import {
  buildKubeconfig, clusterInfoKubeconfig, makeServingCert, makeTestCA, signedClusterInfoData, startClusterInfoServer, startRawServer, unusedEndpoint,
  type ClusterInfoAnswer, type TestKeyPair, type TestServer,
} from '../../test/helpers/cluster-info-servers.js';

const TOKEN = 'abcdef.0123456789abcdef';
let ca: TestKeyPair;
let otherCa: TestKeyPair;
let serving: TestKeyPair;
let pin: string;
const servers: TestServer[] = [];

beforeAll(async () => {
  [ca, otherCa] = await Promise.all([makeTestCA(), makeTestCA('impostor')]);
  serving = await makeServingCert(ca, { ips: ['127.0.0.1'], dnsNames: ['localhost'] });
  pin = caPublicKeyPin(ca.certPem);
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(answer: () => ClusterInfoAnswer, cert = serving): Promise<TestServer> {
  const server = await startClusterInfoServer(cert, answer);
  servers.push(server);
  return server;
}

const clusterInfo = (caPem = ca.certPem) => clusterInfoKubeconfig(caPem, 'https://127.0.0.1:6443');

function discover(endpoint: string, options: Partial<TokenDiscoveryOptions> = {}) {
  const log = createMemoryLogger();
  const run = discoverWithToken({ endpoint, token: TOKEN, caCertHashes: [pin], unsafeSkipCAVerification: false, timeoutMs: 1500, retryIntervalMs: 100, log, ...options });
  return { log, run };
}

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string; details: string[]; exitCode: number }> {
  try {
    await promise;
  } catch (err) {
    return err as { code: string; message: string; details: string[]; exitCode: number };
  }
  throw new Error('discovery succeeded but should have failed');
}

describe('token discovery', () => {
  it('returns the signed cluster once the JWS, the pin and the verified second read agree', async () => {
    const server = await serve(() => ({ data: signedClusterInfoData(clusterInfo(), [TOKEN]) }));
    const result = await discover(server.endpoint).run;
    expect(result.cluster).toEqual({ name: '', server: 'https://127.0.0.1:6443', caPem: ca.certPem });
    expect(result.caVerified).toBe(true);
    expect(server.requests).toBe(2);
  });

  it('accepts the pin among several, in upper case', async () => {
    const server = await serve(() => ({ data: signedClusterInfoData(clusterInfo(), [TOKEN]) }));
    const result = await discover(server.endpoint, { caCertHashes: [caPublicKeyPin(otherCa.certPem), pin.toUpperCase().replace('SHA256', 'sha256')] }).run;
    expect(result.caVerified).toBe(true);
  });

  it('rejects a cluster-info whose JWS was tampered with (or a wrong token secret)', async () => {
    const data = signedClusterInfoData(clusterInfo(), [TOKEN]);
    const tampered = { ...data, kubeconfig: clusterInfoKubeconfig(ca.certPem, 'https://203.0.113.9:6443') };
    const server = await serve(() => ({ data: tampered }));
    const err = await failure(discover(server.endpoint).run);
    expect(err.code).toBe('KF_DISCOVERY_JWS_MISMATCH');
    expect(err.message).toMatch(/token secret is wrong/);
    expect(err.message).not.toContain('0123456789abcdef');
    expect(server.requests).toBe(1);
  });

  it('says the token is unknown, expired or not allowed to sign when no JWS carries its id, after retrying until the timeout', async () => {
    const server = await serve(() => ({ data: signedClusterInfoData(clusterInfo(), ['zzzzzz.0123456789abcdef']) }));
    const started = Date.now();
    const err = await failure(discover(server.endpoint, { timeoutMs: 600 }).run);
    expect(err.code).toBe('KF_DISCOVERY_TOKEN_UNKNOWN');
    expect(err.message).toContain('token id "abcdef" not found among the signed cluster-info: the token is unknown, expired, or not allowed to sign');
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
    expect(server.requests).toBeGreaterThan(2);
  });

  it('waits for the JWS the bootstrap signer adds a little later, reporting what it waits for', async () => {
    let calls = 0;
    const server = await serve(() => ({ data: signedClusterInfoData(clusterInfo(), ++calls > 3 ? [TOKEN] : []) }));
    const { run, log } = discover(server.endpoint, { timeoutMs: 5000, progressIntervalMs: 150 });
    expect((await run).caVerified).toBe(true);
    expect(log.lines.join('\n')).toMatch(/Still waiting for the cluster-info ConfigMap at https:\/\/127\.0\.0\.1:\d+ signed for token id "abcdef"/);
  });

  it('prints the pin it found and the ones expected when the CA does not match', async () => {
    const server = await serve(() => ({ data: signedClusterInfoData(clusterInfo(), [TOKEN]) }));
    const wrong = caPublicKeyPin(otherCa.certPem);
    const err = await failure(discover(server.endpoint, { caCertHashes: [wrong] }).run);
    expect(err.code).toBe('KF_DISCOVERY_CA_PIN_MISMATCH');
    expect(err.details).toEqual([`found:    ${pin}`, `expected: ${wrong}`]);
    expect(server.requests).toBe(1);
  });

  it('rejects a cluster-info with two clusters', async () => {
    const two = `${clusterInfo().replace('  name: ""\n', '  name: a\n')}`.replace(/clusters:\n/, `clusters:\n- cluster:\n    certificate-authority-data: ${Buffer.from(ca.certPem).toString('base64')}\n    server: https://127.0.0.9:6443\n  name: b\n`);
    const server = await serve(() => ({ data: signedClusterInfoData(two, [TOKEN]) }));
    const err = await failure(discover(server.endpoint).run);
    expect(err.code).toBe('KF_DISCOVERY_CLUSTER_COUNT');
    expect(err.message).toContain('a single cluster, but it had 2');
  });

  it('rejects a cluster-info without a CA', async () => {
    const noCa = buildKubeconfig({ clusterName: '', server: 'https://127.0.0.1:6443', caPem: '', userName: 'x' }).replace(/ {4}certificate-authority-data: .*\n/, '');
    const server = await serve(() => ({ data: signedClusterInfoData(noCa, [TOKEN]) }));
    const err = await failure(discover(server.endpoint).run);
    expect(err.code).toBe('KF_DISCOVERY_NO_CA');
  });

  it('names the certificate\'s names when the verified read hits a TLS name mismatch', async () => {
    const elsewhere = await makeServingCert(ca, { dnsNames: ['api.example.internal'], ips: ['10.0.0.1'] });
    const server = await serve(() => ({ data: signedClusterInfoData(clusterInfo(), [TOKEN]) }), elsewhere);
    const err = await failure(discover(server.endpoint).run);
    expect(err.code).toBe('KF_DISCOVERY_TLS_NAME_MISMATCH');
    expect(err.message).toContain('not valid for "127.0.0.1"; it is valid for: api.example.internal, 10.0.0.1');
  });

  it('reports clock skew when the serving certificate is not yet valid', async () => {
    const future = await makeServingCert(ca, { ips: ['127.0.0.1'], notBefore: new Date(Date.now() + 3 * 3600_000) });
    const server = await serve(() => ({ data: signedClusterInfoData(clusterInfo(), [TOKEN]) }), future);
    const err = await failure(discover(server.endpoint).run);
    expect(err.code).toBe('KF_DISCOVERY_CLOCK_SKEW');
    expect(err.message).toMatch(/not valid before .* but this machine's clock says/);
  });

  it('refuses a server whose certificate the pinned CA did not sign', async () => {
    const impostor = await makeServingCert(otherCa, { ips: ['127.0.0.1'] });
    const server = await serve(() => ({ data: signedClusterInfoData(clusterInfo(), [TOKEN]) }), impostor);
    const err = await failure(discover(server.endpoint).run);
    expect(err.code).toBe('KF_DISCOVERY_TLS_UNTRUSTED');
  });

  it('fails when the verified read returns a different cluster-info', async () => {
    let calls = 0;
    const server = await serve(() => ({ data: signedClusterInfoData(++calls === 1 ? clusterInfo() : clusterInfoKubeconfig(ca.certPem, 'https://127.0.0.7:6443'), [TOKEN]) }));
    const err = await failure(discover(server.endpoint).run);
    expect(err.code).toBe('KF_DISCOVERY_CLUSTER_INFO_CHANGED');
  });

  it('names address, port and error when the server is unreachable, after retrying until the timeout', async () => {
    const endpoint = await unusedEndpoint();
    const [, port] = endpoint.split(':');
    const err = await failure(discover(endpoint, { timeoutMs: 400 }).run);
    expect(err.code).toBe('KF_DISCOVERY_UNREACHABLE');
    expect(err.message).toContain(`cannot reach the API server at 127.0.0.1 port ${port}: connect ECONNREFUSED`);
    expect(err.message).toContain('--discovery-timeout');
  });

  it('says the server is not HTTPS when it answers garbage instead of TLS', async () => {
    const server = await startRawServer((s) => s.end('SSH-2.0-OpenSSH_9.2\r\n'.repeat(20)));
    servers.push(server);
    const err = await failure(discover(server.endpoint).run);
    expect(err.code).toBe('KF_DISCOVERY_PROTOCOL');
  });

  it('says the server is not an API server when it answers garbage over TLS', async () => {
    const server = await serve(() => ({ raw: '\u0000\u0001garbage\r\n\r\n' }));
    const err = await failure(discover(server.endpoint).run);
    expect(err.code).toBe('KF_DISCOVERY_PROTOCOL');
  });

  it('says the server closed the connection', async () => {
    const server = await startRawServer((s) => s.destroy());
    servers.push(server);
    const err = await failure(discover(server.endpoint, { timeoutMs: 300 }).run);
    expect(err.code).toBe('KF_DISCOVERY_CONNECTION_CLOSED');
  });

  it('stops at once when anonymous access to cluster-info is forbidden', async () => {
    const server = await serve(() => ({ status: 403, body: JSON.stringify({ kind: 'Status', message: 'configmaps "cluster-info" is forbidden: User "system:anonymous" cannot get resource' }) }));
    const err = await failure(discover(server.endpoint, { timeoutMs: 5000 }).run);
    expect(err.code).toBe('KF_DISCOVERY_FORBIDDEN');
    expect(server.requests).toBe(1);
  });

  it('skips the pin with --discovery-token-unsafe-skip-ca-verification, and warns', async () => {
    const server = await serve(() => ({ data: signedClusterInfoData(clusterInfo(), [TOKEN]) }));
    const { run, log } = discover(server.endpoint, { caCertHashes: [], unsafeSkipCAVerification: true });
    expect((await run).caVerified).toBe(false);
    expect(log.lines.join('\n')).toMatch(/NOT checked/);
    expect(server.requests).toBe(1);
  });

  it.each([
    ['no pin and no unsafe flag', { caCertHashes: [] }, 'KF_DISCOVERY_NO_CA_PIN'],
    ['a pin that is not sha256:<64 hex>', { caCertHashes: ['sha256:abc'] }, 'KF_DISCOVERY_PIN_INVALID'],
    ['a token that is not [a-z0-9]{6}.[a-z0-9]{16}', { token: 'abcdef.short' }, 'KF_TOKEN_INVALID'],
  ])('refuses %s with a validation error before any request', async (_name, options, code) => {
    const server = await serve(() => ({ data: signedClusterInfoData(clusterInfo(), [TOKEN]) }));
    const err = await failure(discover(server.endpoint, options).run);
    expect(err).toMatchObject({ code, exitCode: 3 });
    expect(server.requests).toBe(0);
  });
});
