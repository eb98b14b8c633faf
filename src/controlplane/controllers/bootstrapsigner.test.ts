import { afterEach, describe, expect, it } from 'vitest';
import { ref } from '../common/resources.js';
import { eventually, FakeApi, runAgainstFake, stopFakes } from '../../../test/helpers/fake-api.js';
import { detachedJWS } from '../../token/index.js';
import { bootstrapSignerController, nextExpiryMs, signedClusterInfoData, type ConfigMap } from './bootstrapsigner.js';
import { tokenSecret } from '../../../test/helpers/token-secrets.js';

// The reference's test vectors, computed with go-jose.
const KUBECONFIG = 'apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: Q0EK\n    server: https://127.0.0.2:6443\n  name: ""\ncontexts: null\ncurrent-context: ""\nkind: Config\npreferences: {}\nusers: null\n';
const ABCDEF_JWS = 'eyJhbGciOiJIUzI1NiIsImtpZCI6ImFiY2RlZiJ9..mG1tGx9diEJgwUcubkNZjlAJJ0PoGk6dbX2UJpTzeEo';

const now = new Date('2026-01-01T00:00:00Z');
const clusterInfo = (data: Record<string, string> = { kubeconfig: KUBECONFIG }): ConfigMap => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cluster-info', namespace: 'kube-public' }, data });

describe('detached JWS', () => {
  it('matches go-jose for the kubeconfig and token abcdef.0123456789abcdef', () => {
    expect(detachedJWS(KUBECONFIG, 'abcdef', '0123456789abcdef')).toBe(ABCDEF_JWS);
  });

  it('matches go-jose for "hello" and token 07401b.f395accd246ae52d', () => {
    expect(detachedJWS('hello', '07401b', 'f395accd246ae52d')).toBe('eyJhbGciOiJIUzI1NiIsImtpZCI6IjA3NDAxYiJ9..gCT3AWdhDDStRsoHVtU9zVk4sFgfjcFK13LLxoxLW_A');
  });
});

describe('bootstrapsigner decisions', () => {
  it('adds jws-kubeconfig-<id> for a valid signing token', () => {
    expect(signedClusterInfoData(clusterInfo(), [tokenSecret('abcdef.0123456789abcdef')], now)).toEqual({ kubeconfig: KUBECONFIG, 'jws-kubeconfig-abcdef': ABCDEF_JWS });
  });

  it('changes nothing when every signature is already right', () => {
    expect(signedClusterInfoData(clusterInfo({ kubeconfig: KUBECONFIG, 'jws-kubeconfig-abcdef': ABCDEF_JWS }), [tokenSecret('abcdef.0123456789abcdef')], now)).toBeUndefined();
  });

  it('re-signs when the kubeconfig changed', () => {
    const data = signedClusterInfoData(clusterInfo({ kubeconfig: `${KUBECONFIG}# changed\n`, 'jws-kubeconfig-abcdef': ABCDEF_JWS }), [tokenSecret('abcdef.0123456789abcdef')], now);
    expect(data?.['jws-kubeconfig-abcdef']).toBe(detachedJWS(`${KUBECONFIG}# changed\n`, 'abcdef', '0123456789abcdef'));
  });

  it('removes the signature of a deleted token and keeps other keys', () => {
    expect(signedClusterInfoData(clusterInfo({ kubeconfig: KUBECONFIG, 'jws-kubeconfig-abcdef': ABCDEF_JWS, other: 'x' }), [], now)).toEqual({ kubeconfig: KUBECONFIG, other: 'x' });
  });

  it('does nothing when cluster-info has no kubeconfig', () => {
    expect(signedClusterInfoData(clusterInfo({}), [tokenSecret('abcdef.0123456789abcdef')], now)).toBeUndefined();
  });

  const unsigned: Array<[string, ReturnType<typeof tokenSecret>]> = [
    ['an expired token', tokenSecret('abcdef.0123456789abcdef', { expiration: '2025-12-31T23:59:59Z' })],
    ['a token whose expiration does not parse', tokenSecret('abcdef.0123456789abcdef', { expiration: 'tomorrow' })],
    ['a token without usage-bootstrap-signing', tokenSecret('abcdef.0123456789abcdef', { 'usage-bootstrap-signing': undefined })],
    ['a token with usage-bootstrap-signing "false"', tokenSecret('abcdef.0123456789abcdef', { 'usage-bootstrap-signing': 'false' })],
    ['a Secret whose name does not match its token-id', tokenSecret('abcdef.0123456789abcdef', {}, 'bootstrap-token-zzzzzz')],
    ['a malformed token secret', tokenSecret('abcdef.0123456789ABCDEF')],
    ['a Secret of another type', { ...tokenSecret('abcdef.0123456789abcdef'), type: 'Opaque' }],
    ['a token Secret outside kube-system', { ...tokenSecret('abcdef.0123456789abcdef'), metadata: { name: 'bootstrap-token-abcdef', namespace: 'default' } }],
  ];
  for (const [what, secret] of unsigned) {
    it(`never signs with ${what} (and removes its old signature)`, () => {
      expect(signedClusterInfoData(clusterInfo({ kubeconfig: KUBECONFIG, 'jws-kubeconfig-abcdef': ABCDEF_JWS }), [secret], now)).toEqual({ kubeconfig: KUBECONFIG });
    });
  }

  it('signs a token that expires in the future and knows when to look again', () => {
    const secret = tokenSecret('abcdef.0123456789abcdef', { expiration: '2026-01-01T00:01:00Z' });
    expect(signedClusterInfoData(clusterInfo(), [secret], now)?.['jws-kubeconfig-abcdef']).toBe(ABCDEF_JWS);
    expect(nextExpiryMs([secret, tokenSecret('zzzzzz.0123456789abcdef')], now)).toBe(60_000);
  });
});

describe('bootstrapsigner loop (against the in-memory FakeApi)', () => {
  afterEach(stopFakes);

  it('signs cluster-info for a new token, then drops the signature when the token expires', async () => {
    const api = new FakeApi();
    api.put(ref('configmaps'), clusterInfo());
    const expires = new Date(Date.now() + 1500).toISOString();
    runAgainstFake(api, bootstrapSignerController());
    api.put(ref('secrets'), tokenSecret('abcdef.0123456789abcdef', { expiration: expires }));
    const data = () => api.find<ConfigMap>(ref('configmaps'), 'kube-public', 'cluster-info')?.data ?? {};
    await eventually(() => data()['jws-kubeconfig-abcdef'] === ABCDEF_JWS, 3000, 'the signature');
    await eventually(() => data()['jws-kubeconfig-abcdef'] === undefined, 3000, 'the signature to go at expiry');
    expect(data()).toEqual({ kubeconfig: KUBECONFIG });
  });

  it('removes the signature when the token Secret is deleted', async () => {
    const api = new FakeApi();
    api.put(ref('configmaps'), clusterInfo());
    api.put(ref('secrets'), tokenSecret('abcdef.0123456789abcdef'));
    runAgainstFake(api, bootstrapSignerController());
    const data = () => api.find<ConfigMap>(ref('configmaps'), 'kube-public', 'cluster-info')?.data ?? {};
    await eventually(() => data()['jws-kubeconfig-abcdef'] === ABCDEF_JWS);
    api.remove(ref('secrets'), 'kube-system', 'bootstrap-token-abcdef');
    await eventually(() => data()['jws-kubeconfig-abcdef'] === undefined);
  });
});
