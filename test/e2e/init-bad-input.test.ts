/** Bad input to `kubeforge init`: a clear message, kubeadm's exit code, and nothing written. */
import { cp, readdir, readFile, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileHashes, kubeforge, kubeforgeBin, tempRoot } from '../helpers/cli.js';

const ADDRESS = '127.0.0.24';
const LATER = ['--skip-phases', 'kubelet-start,wait-control-plane,upload-config,upload-certs,mark-control-plane,bootstrap-token,kubelet-finalize,addon,show-join-command'];

let work: string;
let cleanup: () => Promise<void>;
let initialised: string;
let laterPhases: string[] = [];

async function writeConfig(name: string, text: string): Promise<string> {
  const file = path.join(work, name);
  await writeFile(file, text);
  return file;
}

const INIT = (root: string) => ['init', '--root', root, '--apiserver-advertise-address', ADDRESS, '--node-name', 'cp1'];

beforeAll(async () => {
  ({ dir: work, cleanup } = await tempRoot());
  const help = await kubeforge(['init', '--help']);
  const known = LATER[1]!.split(',').filter((p) => new RegExp(`^${p}\\s`, 'm').test(help.stdout));
  laterPhases = known.length ? ['--skip-phases', known.join(',')] : [];
  initialised = path.join(work, 'initialised');
  const result = await kubeforge([...INIT(initialised), ...laterPhases]);
  expect(result.exitCode, result.stderr).toBe(0);
});
afterAll(async () => cleanup());

describe('invalid flags and config files are validation errors (exit 3) that write nothing', () => {
  const v1beta4 = (extra: string) => `apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n${extra}`;
  const cases: Array<{ name: string; args: () => Promise<string[]>; message: RegExp }> = [
    { name: 'an unknown config field', args: async () => ['--config', await writeConfig('unknown.yaml', v1beta4('networking:\n  podSubnett: 10.244.0.0/16\n'))], message: /unknown field.*podSubnett/i },
    { name: 'a wrong apiVersion', args: async () => ['--config', await writeConfig('version.yaml', 'apiVersion: kubeadm.k8s.io/v1beta9\nkind: ClusterConfiguration\n')], message: /v1beta9/ },
    { name: 'a wrong kind', args: async () => ['--config', await writeConfig('kind.yaml', 'apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfig\n')], message: /ClusterConfig\b/ },
    { name: 'malformed YAML', args: async () => ['--config', await writeConfig('bad.yaml', 'apiVersion: kubeadm.k8s.io/v1beta4\nkind: [ClusterConfiguration\n')], message: /line \d+/i },
    {
      name: 'a YAML alias bomb',
      args: async () => {
        const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
        for (let i = 1; i < 10; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
        return ['--config', await writeConfig('bomb.yaml', `${lines.join('\n')}\n`)];
      },
      message: /alias/i,
    },
    {
      name: 'a 100 MB config',
      args: async () => {
        const file = await writeConfig('huge.yaml', '');
        await truncate(file, 100 * 1024 * 1024);
        return ['--config', file];
      },
      message: /bytes/,
    },
    { name: 'an invalid advertise address', args: async () => ['--apiserver-advertise-address', '1.2.3'], message: /1\.2\.3/ },
    { name: 'a port out of range', args: async () => ['--apiserver-bind-port', '70000'], message: /70000/ },
    { name: 'an invalid pod CIDR', args: async () => ['--pod-network-cidr', '10.244.0.0/33'], message: /10\.244\.0\.0\/33/ },
    { name: 'an invalid service CIDR', args: async () => ['--service-cidr', 'banana'], message: /banana/ },
    { name: 'a service CIDR too small', args: async () => ['--service-cidr', '10.96.0.0/31'], message: /10\.96\.0\.0\/31/ },
    { name: 'an invalid node name', args: async () => ['--node-name', 'Bad_Node'], message: /Bad_Node/ },
    { name: 'a malformed --token', args: async () => ['--token', 'abcdef.short'], message: /\[a-z0-9\]\{6\}\.\[a-z0-9\]\{16\}/ },
    { name: 'an unknown --skip-phases name', args: async () => ['--skip-phases', 'cert'], message: /"cert"/ },
    { name: 'an unknown --ignore-preflight-errors name', args: async () => ['--ignore-preflight-errors', 'NumCPUs'], message: /NumCPUs/ },
  ];

  for (const c of cases) {
    it(`rejects ${c.name}`, async () => {
      const root = path.join(work, 'empty-root');
      const args = await c.args();
      const result = await kubeforge([...INIT(root), ...args]);
      expect(result.exitCode, result.stderr).toBe(3);
      expect(result.stderr).toMatch(c.message);
      expect(result.stderr).not.toContain('    at ');
      await expect(readdir(root)).rejects.toThrow();
    });
  }

  it('rejects a --root that is not writable', async () => {
    const file = await writeConfig('not-a-dir', '');
    const result = await kubeforge([...INIT(path.join(file, 'root'))]);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toMatch(/not a writable directory/);
  });

  it('never shows a malformed token secret in the error', async () => {
    const result = await kubeforge([...INIT(path.join(work, 'empty-root')), '--token', 'abcdef.0123456789ABCDEF']);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).not.toContain('0123456789ABCDEF');
  });
});

describe('bad files on disk are named, and nothing changes', () => {
  async function brokenCopy(name: string, breakIt: (pki: string) => Promise<void>): Promise<string> {
    const root = path.join(work, name);
    await cp(initialised, root, { recursive: true });
    await breakIt(path.join(root, 'etc/kubernetes/pki'));
    return root;
  }

  const cases: Array<{ name: string; breakIt: (pki: string) => Promise<void>; file: string }> = [
    { name: 'an existing CA cert without a matching key', file: 'ca', breakIt: async (pki) => cp(path.join(pki, 'front-proxy-ca.key'), path.join(pki, 'ca.key')) },
    { name: 'a corrupt PEM', file: 'apiserver.crt', breakIt: async (pki) => writeFile(path.join(pki, 'apiserver.crt'), '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n') },
    { name: 'a cert on disk signed by a different CA', file: 'apiserver', breakIt: async (pki) => {
      await cp(path.join(pki, 'front-proxy-client.crt'), path.join(pki, 'apiserver.crt'));
      await cp(path.join(pki, 'front-proxy-client.key'), path.join(pki, 'apiserver.key'));
    } },
    { name: 'a key file that is not a private key', file: 'apiserver.key', breakIt: async (pki) => cp(path.join(pki, 'apiserver.crt'), path.join(pki, 'apiserver.key')) },
  ];

  for (const c of cases) {
    it(`refuses ${c.name}, naming the file`, async () => {
      const root = await brokenCopy(c.name.replace(/\W+/g, '-'), c.breakIt);
      const before = await fileHashes(root);
      const result = await kubeforge([...INIT(root), '--ignore-preflight-errors', 'all', ...laterPhases]);
      expect(result.exitCode, result.stderr).not.toBe(0);
      expect(result.stderr).toContain(c.file);
      expect(result.stderr).not.toMatch(/BEGIN (RSA |EC )?PRIVATE KEY/);
      expect(await fileHashes(root)).toEqual(before);
    });
  }
});

describe('interrupting init', () => {
  it('leaves no half-written file when killed with SIGKILL at any point, and a re-run completes', async () => {
    for (const delayMs of [150, 300, 450, 600]) {
      const root = path.join(work, `killed-${delayMs}`);
      const child = execa(process.execPath, [kubeforgeBin, ...INIT(root), ...laterPhases], { reject: false, env: { NO_COLOR: '1' } });
      await new Promise((r) => setTimeout(r, delayMs));
      child.kill('SIGKILL');
      await child;
      const files = Object.keys(await fileHashes(root).catch(() => ({})));
      // Files at their final names are whole; a killed write can only leave a hidden temp file.
      for (const file of files.filter((f) => !f.endsWith('.tmp'))) {
        const text = await readFile(path.join(root, file), 'utf8');
        if (file.endsWith('.crt')) expect(text).toMatch(/-----END CERTIFICATE-----\n$/);
        if (file.endsWith('.key')) expect(text).toMatch(/-----END [A-Z ]*PRIVATE KEY-----\n$/);
      }
      const again = await kubeforge([...INIT(root), '--ignore-preflight-errors', 'all', ...laterPhases]);
      expect(again.exitCode, again.stderr).toBe(0);
      expect(Object.keys(await fileHashes(root)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    }
  }, 120_000);
});

