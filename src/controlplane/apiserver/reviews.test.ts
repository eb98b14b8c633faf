import { describe, expect, it } from 'vitest';
import type { AuthnOptions } from './authn.js';
import { reviewToken } from './reviews.js';
import type { KubeObject } from './storage.js';

const authn: AuthnOptions = {
  anonymousAuth: true,
  enableBootstrapTokenAuth: false,
  getSecret: async () => undefined,
  verifyServiceAccountToken: async (token) => (token === 'sa-token' ? { name: 'system:serviceaccount:monitoring:prometheus', uid: 'u1', groups: ['system:serviceaccounts'] } : undefined),
};
const review = (spec: Record<string, unknown>) => ({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', metadata: {}, spec }) as KubeObject;

describe('TokenReview', () => {
  it('answers the user a token authenticates as, with system:authenticated', async () => {
    expect((await reviewToken(review({ token: 'sa-token' }), authn)).status).toEqual({
      authenticated: true,
      user: { username: 'system:serviceaccount:monitoring:prometheus', uid: 'u1', groups: ['system:serviceaccounts', 'system:authenticated'] },
    });
  });

  it('answers an unknown token unauthenticated, not with an error', async () => {
    expect((await reviewToken(review({ token: 'nope' }), authn)).status).toEqual({ user: {} });
  });

  it('refuses a review without a token (400), and fails closed for audiences other than the API server', async () => {
    await expect(reviewToken(review({}), authn)).rejects.toMatchObject({ code: 400 });
    expect((await reviewToken(review({ token: 'sa-token', audiences: ['vault'] }), authn)).status).toMatchObject({ authenticated: false });
  });
});
