import { describe, expect, it } from 'vitest';
import { bootstrapTokenSecret } from '../token/index.js';
import { shortHumanDuration } from '../config/duration.js';
import { bootstrapTokenFromSecret, tokenRow } from './token-view.js';

const now = new Date('2025-03-04T05:06:07Z');
const b64 = (data: Record<string, string>) => Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));

describe('bootstrapTokenFromSecret', () => {
  it('reads back what bootstrapTokenSecret stores, usages sorted as kubeadm', () => {
    const secret = bootstrapTokenSecret('abcdef.0123456789abcdef', { ttl: '1h', usages: ['signing', 'authentication'], groups: ['system:bootstrappers:a', 'system:bootstrappers:b'], description: 'd' }, now);
    expect(bootstrapTokenFromSecret(secret)).toEqual({
      kind: 'BootstrapToken', apiVersion: 'output.kubeadm.k8s.io/v1alpha3', token: 'abcdef.0123456789abcdef', description: 'd',
      expires: '2025-03-04T06:06:07Z', usages: ['authentication', 'signing'], groups: ['system:bootstrappers:a', 'system:bootstrappers:b'],
    });
  });

  it.each([
    ['no token-id', { 'token-secret': '0123456789abcdef' }, 'bootstrap-token-abcdef', /no token-id/],
    ['a name that does not match the id', { 'token-id': 'abcdef', 'token-secret': '0123456789abcdef' }, 'bootstrap-token-zzzzzz', /not of the form/],
    ['no token-secret', { 'token-id': 'abcdef' }, 'bootstrap-token-abcdef', /no token-secret/],
    ['a bad expiration', { 'token-id': 'abcdef', 'token-secret': '0123456789abcdef', expiration: 'tomorrow' }, 'bootstrap-token-abcdef', /expiration/],
  ])('explains a Secret with %s, never quoting its secret', (_name, data, name, reason) => {
    const result = bootstrapTokenFromSecret({ metadata: { name }, data: b64(data) });
    expect(result).toMatch(reason);
    expect(result).not.toContain('0123456789abcdef');
  });
});

describe('token list rows', () => {
  it.each([
    [-2500, '<invalid>'], [-500, '0s'], [59_999, '59s'], [3_599_999, '59m'], [23 * 3600_000 + 59 * 60_000, '23h'], [3 * 86_400_000, '3d'], [800 * 86_400_000, '2y'],
  ])('ShortHumanDuration(%d ms) is %s', (ms, text) => {
    expect(shortHumanDuration(Math.trunc(ms / 1000))).toBe(text);
  });

  it('shows <forever>, <never> and <none> for a token without expiry, usages, description or groups', () => {
    expect(tokenRow({ kind: 'BootstrapToken', apiVersion: 'output.kubeadm.k8s.io/v1alpha3', token: 'abcdef.0123456789abcdef' }, now)).toEqual(['abcdef.0123456789abcdef', '<forever>', '<never>', '<none>', '<none>', '<none>']);
  });
});
