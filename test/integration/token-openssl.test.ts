/** The bootstrap token's detached JWS checked against the openssl CLI's HMAC-SHA256. */
import { describe, expect, it } from 'vitest';
import { createHost } from '../../src/host/index.js';
import { detachedJWS } from '../../src/token/index.js';

const CLUSTER_INFO =
  'apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: Q0EK\n    server: https://127.0.0.2:6443\n  name: ""\ncontexts: null\ncurrent-context: ""\nkind: Config\npreferences: {}\nusers: null\n';

describe('detached JWS (cluster-bootstrap)', () => {
  it('agrees with `openssl dgst -sha256 -hmac` over header.payload', async () => {
    const jws = detachedJWS(CLUSTER_INFO, 'abcdef', '0123456789abcdef');
    const [header, , signature] = jws.split('.');
    const signingInput = `${header}.${Buffer.from(CLUSTER_INFO).toString('base64url')}`;
    const hex = await createHost('/').processes.run('openssl', ['dgst', '-sha256', '-hmac', '0123456789abcdef', '-hex', '-r'], { input: signingInput });
    expect(hex.exitCode).toBe(0);
    expect(Buffer.from(hex.stdout.split(' ')[0]!, 'hex').toString('base64url')).toBe(signature);
  });
});
