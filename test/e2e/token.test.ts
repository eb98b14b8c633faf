/** `kubeforge token create|list|delete` (built CLI) against a real API server and etcd. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/apiserver-harness.js';
import { kubeforge } from '../helpers/cli.js';
import { caPublicKeyPin } from '../../src/pki/index.js';
import { readFile } from 'node:fs/promises';

let cluster: TestCluster;
let kc: string[];

beforeAll(async () => {
  cluster = await startTestCluster();
  kc = ['--kubeconfig', cluster.kubeconfig];
});
afterAll(async () => cluster?.stop());

const secretData = async (id: string): Promise<Record<string, string>> => {
  const res = await cluster.kubectl(['get', 'secret', '-n', 'kube-system', `bootstrap-token-${id}`, '-o', 'json']);
  expect(res.code, res.stderr).toBe(0);
  const data = JSON.parse(res.stdout).data as Record<string, string>;
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
};

describe('token create', () => {
  it('creates the Secret kubeadm creates, with the defaults, and prints only the token', async () => {
    const res = await kubeforge(['token', 'create', 'abcdef.0123456789abcdef', ...kc]);
    expect(res.exitCode, res.stderr).toBe(0);
    expect(res.stdout).toBe('abcdef.0123456789abcdef');
    const data = await secretData('abcdef');
    expect(data).toMatchObject({
      'token-id': 'abcdef',
      'token-secret': '0123456789abcdef',
      'usage-bootstrap-signing': 'true',
      'usage-bootstrap-authentication': 'true',
      'auth-extra-groups': 'system:bootstrappers:kubeadm:default-node-token',
    });
    const ttl = new Date(data.expiration!).getTime() - Date.now();
    expect(ttl).toBeGreaterThan(23.9 * 3600_000);
    expect(ttl).toBeLessThanOrEqual(24 * 3600_000);
  });

  it('generates a token when none is given and honours --ttl 0, --usages, --groups and --description', async () => {
    const res = await kubeforge(['token', 'create', '--ttl', '0', '--usages', 'authentication', '--groups', 'system:bootstrappers:team-a', '--description', 'for CI', ...kc]);
    expect(res.exitCode, res.stderr).toBe(0);
    const token = res.stdout.trim();
    expect(token).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    const data = await secretData(token.slice(0, 6));
    expect(data).not.toHaveProperty('expiration');
    expect(data).not.toHaveProperty('usage-bootstrap-signing');
    expect(data).toMatchObject({ 'usage-bootstrap-authentication': 'true', 'auth-extra-groups': 'system:bootstrappers:team-a', description: 'for CI' });
  });

  it('refuses a token id that already exists without echoing the secret', async () => {
    const res = await kubeforge(['token', 'create', 'abcdef.ffffffffffffffff', ...kc]);
    expect(res.exitCode).toBe(1);
    expect(res.stderr).toMatch(/KF_TOKEN_EXISTS/);
    expect(res.stderr).toContain('"abcdef" already exists');
    expect(res.stderr).not.toContain('ffffffffffffffff');
  });

  it('prints the join command with the endpoint and the CA pin of the kubeconfig', async () => {
    const res = await kubeforge(['token', 'create', 'jjjjjj.0123456789abcdef', '--print-join-command', ...kc]);
    expect(res.exitCode, res.stderr).toBe(0);
    const pin = caPublicKeyPin(await readFile(cluster.pki.ca.cert));
    const hostPort = cluster.url.replace('https://', '');
    expect(res.stdout).toBe(`kubeforge join ${hostPort} --token jjjjjj.0123456789abcdef \\\n\t--discovery-token-ca-cert-hash ${pin}`);
    const key = 'a'.repeat(64);
    const cp = await kubeforge(['token', 'create', '--print-join-command', '--certificate-key', key, ...kc]);
    expect(cp.exitCode, cp.stderr).toBe(0);
    expect(cp.stdout).toMatch(new RegExp(`--control-plane --certificate-key ${key}$`));
  });

  // A missing kubeconfig would fail with exit 1 (KF_KUBECONFIG_MISSING): exit 3 proves validation came first.
  it.each([
    ['a token not of the form [a-z0-9]{6}.[a-z0-9]{16}', ['ABCDEF.zzzzsecretzzzzzz'], /KF_TOKEN_INVALID/],
    ['a TTL that is not a duration', ['--ttl', 'forever'], /KF_DURATION_INVALID/],
    ['an unknown usage', ['--usages', 'signing,mining'], /KF_TOKEN_USAGE_INVALID/],
    ['a group outside system:bootstrappers:', ['--groups', 'system:masters'], /KF_TOKEN_GROUP_INVALID/],
    ['a certificate key that is not 64 hex characters', ['--print-join-command', '--certificate-key', 'xyz'], /KF_CERTIFICATE_KEY_INVALID/],
  ])('rejects %s with exit 3 before any API call', async (_name, args, code) => {
    const res = await kubeforge(['token', 'create', ...args, '--kubeconfig', '/nonexistent/admin.conf']);
    expect(res.exitCode).toBe(3);
    expect(res.stderr).toMatch(code);
    expect(res.stderr).not.toContain('zzzzsecretzzzzzz');
  });
});

describe('token list', () => {
  it("shows kubeadm's columns, <forever> for a token without expiry, and never a token from another Secret type", async () => {
    await cluster.kubectl(['create', 'secret', 'generic', 'not-a-token', '-n', 'kube-system', '--from-literal=token-id=zzzzzz']);
    const res = await kubeforge(['token', 'list', ...kc]);
    expect(res.exitCode, res.stderr).toBe(0);
    const lines = res.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TOKEN\s+TTL\s+EXPIRES\s+USAGES\s+DESCRIPTION\s+EXTRA GROUPS$/);
    expect(res.stdout).toMatch(/^abcdef\.0123456789abcdef\s+23h\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+authentication,signing\s+<none>\s+system:bootstrappers:kubeadm:default-node-token$/m);
    expect(res.stdout).toMatch(/\s<forever>\s+<never>\s+authentication\s+for CI\s+system:bootstrappers:team-a$/m);
    expect(res.stdout).not.toContain('zzzzzz');
  });

  it('shows <invalid> for an expired token the cleaner has not removed yet', async () => {
    const expired = { apiVersion: 'v1', kind: 'Secret', type: 'bootstrap.kubernetes.io/token', metadata: { name: 'bootstrap-token-oldone', namespace: 'kube-system' }, stringData: { 'token-id': 'oldone', 'token-secret': '0123456789abcdef', expiration: '2020-01-01T00:00:00Z', 'usage-bootstrap-signing': 'true' } };
    expect((await cluster.kubectl(['create', '-f', '-'], { input: JSON.stringify(expired) })).code).toBe(0);
    const res = await kubeforge(['token', 'list', ...kc]);
    expect(res.stdout).toMatch(/^oldone\.0123456789abcdef\s+<invalid>\s+2020-01-01T00:00:00Z\s+signing\s+<none>\s+<none>$/m);
  });

  it("prints kubeadm's output.kubeadm.k8s.io/v1alpha3 BootstrapToken objects with -o json and -o yaml", async () => {
    const res = await kubeforge(['token', 'list', '-o', 'json', ...kc]);
    expect(res.exitCode, res.stderr).toBe(0);
    const objects = res.stdout.split(/(?<=^\})\n/m).filter((s) => s.trim()).map((s) => JSON.parse(s));
    const abcdef = objects.find((o) => o.token === 'abcdef.0123456789abcdef');
    expect(Object.keys(abcdef)).toEqual(['kind', 'apiVersion', 'token', 'expires', 'usages', 'groups']);
    expect(abcdef).toMatchObject({ kind: 'BootstrapToken', apiVersion: 'output.kubeadm.k8s.io/v1alpha3', usages: ['authentication', 'signing'], groups: ['system:bootstrappers:kubeadm:default-node-token'] });
    const yaml = await kubeforge(['token', 'list', '-o', 'yaml', ...kc]);
    expect(yaml.stdout).toMatch(/^kind: BootstrapToken\napiVersion: output\.kubeadm\.k8s\.io\/v1alpha3\ntoken: /m);
    expect(yaml.stdout).toContain('\n---\n');
  });

  it('rejects an unknown output format with exit 3', async () => {
    const res = await kubeforge(['token', 'list', '-o', 'xml', ...kc]);
    expect(res.exitCode).toBe(3);
  });
});

describe('token delete', () => {
  it('deletes by token id and by whole token', async () => {
    await kubeforge(['token', 'create', 'del001.0123456789abcdef', ...kc]);
    await kubeforge(['token', 'create', 'del002.0123456789abcdef', ...kc]);
    const res = await kubeforge(['token', 'delete', 'del001', 'del002.0123456789abcdef', ...kc]);
    expect(res.exitCode, res.stderr).toBe(0);
    expect(res.stdout).toBe('bootstrap token "del001" deleted\nbootstrap token "del002" deleted');
    const list = await kubeforge(['token', 'list', ...kc]);
    expect(list.stdout).not.toMatch(/^del00/m);
  });

  it('says which token does not exist', async () => {
    const res = await kubeforge(['token', 'delete', 'nosuch', ...kc]);
    expect(res.exitCode).toBe(1);
    expect(res.stderr).toMatch(/KF_TOKEN_NOT_FOUND/);
    expect(res.stderr).toContain('"nosuch"');
  });

  it('validates every argument before deleting anything (exit 3)', async () => {
    await kubeforge(['token', 'create', 'keep01.0123456789abcdef', ...kc]);
    const res = await kubeforge(['token', 'delete', 'keep01', 'Not-A-Token.secretsecret', ...kc]);
    expect(res.exitCode).toBe(3);
    expect(res.stderr).not.toContain('secretsecret');
    expect((await kubeforge(['token', 'list', ...kc])).stdout).toMatch(/^keep01\./m);
  });
});
