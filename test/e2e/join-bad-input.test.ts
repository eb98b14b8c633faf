/** Bad input to `kubeforge join` (built CLI): kubeadm's exit code 3, a message naming the problem, nothing under the root. */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeforge, tempRoot } from '../helpers/cli.js';

const PIN = `sha256:${'ab'.repeat(32)}`;
let work: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir: work, cleanup } = await tempRoot('kf-join-bad-'));
});
afterAll(async () => cleanup());

async function emptyRoot(name: string): Promise<string> {
  const root = path.join(work, name);
  await mkdir(root);
  return root;
}

describe('kubeforge join refuses bad input with exit 3 and writes nothing', () => {
  const cases: Array<[string, (dir: string) => Promise<string[]>, string, RegExp]> = [
    ['a token not of the form [a-z0-9]{6}.[a-z0-9]{16}', async () => ['127.0.0.1:6443', '--token', 'abcdef.TOPSECRETvalue00', '--discovery-token-ca-cert-hash', PIN], 'KF_TOKEN_INVALID', /\[a-z0-9\]\{6\}\.\[a-z0-9\]\{16\}/],
    ['a pin that is not sha256:<64 hex>', async () => ['127.0.0.1:6443', '--token', 'abcdef.0123456789abcdef', '--discovery-token-ca-cert-hash', 'md5:1234'], 'KF_DISCOVERY_PIN_INVALID', /"sha256:" followed by 64 hex digits/],
    ['no pin and no unsafe flag', async () => ['127.0.0.1:6443', '--token', 'abcdef.0123456789abcdef'], 'KF_DISCOVERY_NO_CA_PIN', /cannot tell your cluster from an impostor/],
    [
      'a discovery file that is not a kubeconfig',
      async (dir) => {
        const file = path.join(dir, 'discovery.yaml');
        await writeFile(file, 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: nope\n');
        return ['--discovery-file', file, '--tls-bootstrap-token', 'abcdef.0123456789abcdef', '--ignore-preflight-errors', 'all'];
      },
      'KF_DISCOVERY_FILE_INVALID',
      /is not a kubeconfig: kind is "Pod"/,
    ],
    ['a --node-ip that is not an address', async () => ['127.0.0.1:6443', '--token', 'abcdef.0123456789abcdef', '--discovery-token-ca-cert-hash', PIN, '--node-ip', 'node-3'], 'KF_JOIN_NODE_IP_INVALID', /not an IP address/],
    ['an unknown phase in --skip-phases', async () => ['127.0.0.1:6443', '--token', 'abcdef.0123456789abcdef', '--discovery-token-ca-cert-hash', PIN, '--skip-phases', 'kubelet-stop'], 'KF_UNKNOWN_PHASE', /kubelet-stop/],
    ['no discovery at all', async () => [], 'KF_CONFIG_INVALID', /bootstrapToken or file must be set/],
  ];

  it.each(cases)('%s', async (name, args, code, message) => {
    const root = await emptyRoot(name.replace(/\W+/g, '-'));
    const res = await kubeforge(['join', '--root', root, '--node-ip', '127.0.0.31', ...(await args(work))]);
    expect(res.exitCode, res.stderr).toBe(3);
    expect(res.stderr).toContain(code);
    expect(res.stderr).toMatch(message);
    expect(res.stderr).not.toContain('TOPSECRET');
    expect(await readdir(root, { recursive: true })).toEqual([]);
  });

  it('`join phase preflight` gets the flags given after it (a pin that is not sha256:<64 hex>)', async () => {
    const root = await emptyRoot('phase-preflight-pin');
    const res = await kubeforge(['join', 'phase', 'preflight', '127.0.0.1:6443', '--root', root, '--node-ip', '127.0.0.31', '--token', 'abcdef.0123456789abcdef', '--discovery-token-ca-cert-hash', 'md5:1234']);
    expect(res.exitCode, res.stderr).toBe(3);
    expect(res.stderr).toContain('KF_DISCOVERY_PIN_INVALID');
    expect(await readdir(root, { recursive: true })).toEqual([]);
  });
});
