import { describe, expect, it } from 'vitest';
import {
  bootstrapTokenSecret, detachedJWS, generateBootstrapToken, parseBootstrapToken, redactToken, verifyDetachedJWS,
} from './index.js';

const CLUSTER_INFO =
  'apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: Q0EK\n    server: https://127.0.0.2:6443\n  name: ""\ncontexts: null\ncurrent-context: ""\nkind: Config\npreferences: {}\nusers: null\n';

describe('bootstrap token format', () => {
  it('generates distinct tokens of the form [a-z0-9]{6}.[a-z0-9]{16}', () => {
    const tokens = new Set(Array.from({ length: 200 }, generateBootstrapToken));
    expect(tokens.size).toBe(200);
    for (const token of tokens) expect(token).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
  });

  it('parses id and secret', () => {
    expect(parseBootstrapToken('abcdef.0123456789abcdef')).toEqual({ id: 'abcdef', secret: '0123456789abcdef' });
  });

  it.each(['abcdef0123456789abcdef', 'ABCDEF.0123456789abcdef', 'abcde.0123456789abcdefg', 'abcdef.0123456789abcde!', ''])(
    'rejects %j with KF_TOKEN_INVALID, naming the format without echoing the secret',
    (token) => {
      let caught: unknown;
      try {
        parseBootstrapToken(token);
      } catch (err) {
        caught = err;
      }
      expect(caught).toMatchObject({ code: 'KF_TOKEN_INVALID', exitCode: 3 });
      const message = (caught as Error).message;
      expect(message).toContain('[a-z0-9]{6}.[a-z0-9]{16}');
      if (token.length > 6) expect(message).not.toContain(token.slice(7));
    },
  );

  it('redacts the secret and keeps the id', () => {
    expect(redactToken('abcdef.0123456789abcdef')).toBe('abcdef.****************');
    expect(redactToken('garbage')).toBe('******.****************');
  });
});

describe('detached JWS (cluster-bootstrap)', () => {
  it('matches the go-jose vector for "hello"', () => {
    expect(detachedJWS('hello', '07401b', 'f395accd246ae52d')).toBe('eyJhbGciOiJIUzI1NiIsImtpZCI6IjA3NDAxYiJ9..gCT3AWdhDDStRsoHVtU9zVk4sFgfjcFK13LLxoxLW_A');
  });

  it('matches the go-jose vector for a cluster-info kubeconfig', () => {
    expect(detachedJWS(CLUSTER_INFO, 'abcdef', '0123456789abcdef')).toBe('eyJhbGciOiJIUzI1NiIsImtpZCI6ImFiY2RlZiJ9..mG1tGx9diEJgwUcubkNZjlAJJ0PoGk6dbX2UJpTzeEo');
  });

  it('verifies the right token and rejects a token whose secret does not match the JWS', () => {
    const jws = detachedJWS(CLUSTER_INFO, 'abcdef', '0123456789abcdef');
    expect(verifyDetachedJWS(CLUSTER_INFO, jws, 'abcdef', '0123456789abcdef')).toBe(true);
    expect(verifyDetachedJWS(CLUSTER_INFO, jws, 'abcdef', '0123456789abcdee')).toBe(false);
    expect(verifyDetachedJWS(`${CLUSTER_INFO} `, jws, 'abcdef', '0123456789abcdef')).toBe(false);
    expect(verifyDetachedJWS(CLUSTER_INFO, jws.slice(0, -1), 'abcdef', '0123456789abcdef')).toBe(false);
  });
});

describe('bootstrapTokenSecret', () => {
  const decode = (data: Record<string, string>) => Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
  const now = new Date('2025-03-04T05:06:07.890Z');

  it('builds the Secret kubeadm stores, with base64 data', () => {
    const secret = bootstrapTokenSecret(
      'abcdef.0123456789abcdef',
      { description: 'first token', ttl: '24h0m0s', usages: ['signing', 'authentication'], groups: ['system:bootstrappers:kubeadm:default-node-token'] },
      now,
    );
    expect(secret).toMatchObject({ apiVersion: 'v1', kind: 'Secret', type: 'bootstrap.kubernetes.io/token', metadata: { name: 'bootstrap-token-abcdef', namespace: 'kube-system' } });
    expect(decode(secret.data)).toEqual({
      'token-id': 'abcdef',
      'token-secret': '0123456789abcdef',
      description: 'first token',
      expiration: '2025-03-05T05:06:07Z',
      'usage-bootstrap-signing': 'true',
      'usage-bootstrap-authentication': 'true',
      'auth-extra-groups': 'system:bootstrappers:kubeadm:default-node-token',
    });
  });

  it('prefers expires over ttl and omits expiration for a zero ttl', () => {
    expect(decode(bootstrapTokenSecret('abcdef.0123456789abcdef', { ttl: '1h', expires: '2030-01-02T03:04:05Z' }, now).data).expiration).toBe('2030-01-02T03:04:05Z');
    expect(decode(bootstrapTokenSecret('abcdef.0123456789abcdef', { ttl: '0s' }, now).data)).not.toHaveProperty('expiration');
  });

  it('rejects unknown usages and groups outside system:bootstrappers:', () => {
    expect(() => bootstrapTokenSecret('abcdef.0123456789abcdef', { usages: ['bogus'] }, now)).toThrow(expect.objectContaining({ code: 'KF_TOKEN_USAGE_INVALID' }));
    expect(() => bootstrapTokenSecret('abcdef.0123456789abcdef', { groups: ['system:masters'] }, now)).toThrow(expect.objectContaining({ code: 'KF_TOKEN_GROUP_INVALID' }));
  });
});
