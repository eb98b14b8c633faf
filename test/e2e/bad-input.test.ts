/**
 * Issue 17 item 3, the bad-input suite: one table of hostile or mistaken input across init, join,
 * token, certs, kubeconfig, reset, check and the API server. Every case asserts kubeadm's exit
 * code (or upstream's HTTP status), a message that names the problem, and that nothing changed:
 * no file under the work dir (CLI cases), no etcd revision (API server cases). The CLI cases
 * need no running cluster (run `npm run build` first); the API server runs in process on real
 * etcd. No fixed address is bound.
 */
import { cp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileHashes, kubeforge, tempRoot } from '../helpers/cli.js';
import { apiRequest, startTestCluster, type ApiRequest, type TestCluster } from '../helpers/apiserver-harness.js';

let work = '';
let cleanup: () => Promise<void> = async () => {};
let pki = '';
let broken = '';
let cluster: TestCluster;

const at = (name: string) => path.join(work, name);
const ADDRESS = ['--apiserver-advertise-address', '127.0.0.185', '--node-name', 'bad1'];
const TOKEN = 'abcdef.0123456789abcdef';
const SKIP_CA = ['--token', TOKEN, '--discovery-token-unsafe-skip-ca-verification', '--ignore-preflight-errors', 'all'];
const CLUSTER = (extra: string) => `apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n${extra}`;

/** Config files and broken PKI copies the cases use, made before any snapshot. */
async function fixtures(): Promise<void> {
  pki = at('pki-root');
  for (const phase of ['certs', 'kubeconfig']) {
    const r = await kubeforge(['init', 'phase', phase, 'all', '--root', pki, ...ADDRESS]);
    expect(r.exitCode, r.stderr).toBe(0);
  }
  broken = at('broken-root');
  await cp(pki, broken, { recursive: true });
  await writeFile(path.join(broken, 'etc/kubernetes/pki/apiserver.crt'), '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n');
  await cp(path.join(broken, 'etc/kubernetes/pki/front-proxy-ca.key'), path.join(broken, 'etc/kubernetes/pki/ca.key'));
  const files: Record<string, string> = {
    'type.yaml': CLUSTER('networking:\n  podSubnet: 42\n'),
    'list.yaml': '- just\n- a list\n',
    'unknown-field.yaml': CLUSTER('etcd:\n  local:\n    dataDirr: /x\n'),
    'wrong-kind.yaml': 'apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\ndiscovery:\n  bootstrapToken:\n    token: x\n',
    'bomb.yaml': `${['a: &a ["x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`)].join('\n')}\n`,
    'not-a-kubeconfig.yaml': 'apiVersion: v1\nkind: Pod\n',
    afile: 'x\n',
  };
  for (const [name, text] of Object.entries(files)) await writeFile(at(name), text);
}

interface CliCase {
  name: string;
  args: () => string[];
  exit: number;
  message: RegExp;
}

const CLI_CASES: CliCase[] = [
  // init
  { name: 'init: a config file that does not exist', args: () => ['init', '--root', at('r1'), '--config', at('missing.yaml')], exit: 3, message: /missing\.yaml/ },
  { name: 'init: a value of the wrong type', args: () => ['init', '--root', at('r1'), '--config', at('type.yaml')], exit: 3, message: /networking\.podSubnet: Invalid value: "42"/ },
  { name: 'init: a config that is a list', args: () => ['init', '--root', at('r1'), '--config', at('list.yaml')], exit: 3, message: /expected a mapping with apiVersion and kind, got a list/ },
  { name: 'init: an unknown field', args: () => ['init', '--root', at('r1'), '--config', at('unknown-field.yaml')], exit: 3, message: /dataDirr/ },
  { name: 'init: a JoinConfiguration given to init', args: () => ['init', '--root', at('r1'), '--config', at('wrong-kind.yaml')], exit: 3, message: /no InitConfiguration or ClusterConfiguration kind was found/ },
  { name: 'init: a YAML alias bomb', args: () => ['init', '--root', at('r1'), '--config', at('bomb.yaml')], exit: 3, message: /alias/i },
  { name: 'init: a root that is a file', args: () => ['init', '--root', at('afile'), ...ADDRESS], exit: 3, message: /afile is not a writable directory/ },
  { name: 'init: an invalid control-plane endpoint', args: () => ['init', '--root', at('r1'), '--control-plane-endpoint', 'a b:c:d'], exit: 3, message: /controlPlaneEndpoint: Invalid value: "a b:c:d"/ },
  { name: 'init: an unknown flag', args: () => ['init', '--root', at('r1'), '--apiserver-advertise-adress', '127.0.0.185'], exit: 1, message: /unknown option '--apiserver-advertise-adress'/ },
  { name: 'certs renew: a relative --cert-dir (it would point outside --root)', args: () => ['certs', 'renew', 'all', '--root', pki, '--cert-dir', 'etc/kubernetes/pki'], exit: 3, message: /"etc\/kubernetes\/pki" is not an absolute path/ },
  // join
  { name: 'join: a malformed token', args: () => ['join', '127.0.0.185:6443', '--root', at('r2'), '--token', 'bad'], exit: 3, message: /\[a-z0-9\]\{6\}\.\[a-z0-9\]\{16\}/ },
  { name: 'join: an md5 CA pin', args: () => ['join', '127.0.0.185:6443', '--root', at('r2'), '--token', TOKEN, '--discovery-token-ca-cert-hash', 'md5:abc'], exit: 3, message: /md5:abc.*sha256:/ },
  { name: 'join: token discovery without a pin', args: () => ['join', '127.0.0.185:6443', '--root', at('r2'), '--token', TOKEN], exit: 3, message: /without --discovery-token-ca-cert-hash/ },
  { name: 'join: an endpoint without a port', args: () => ['join', 'notahost', '--root', at('r2'), ...SKIP_CA], exit: 3, message: /"notahost": address notahost: missing port/ },
  { name: 'join: a node IP that is not an IP', args: () => ['join', '127.0.0.185:6443', '--root', at('r2'), ...SKIP_CA, '--node-ip', '300.1.1.1'], exit: 3, message: /--node-ip "300\.1\.1\.1" is not an IP address/ },
  { name: 'join: a discovery file that does not exist', args: () => ['join', '--root', at('r2'), '--discovery-file', at('nope.conf'), '--ignore-preflight-errors', 'all'], exit: 3, message: /nope\.conf/ },
  { name: 'join: a discovery file that is not a kubeconfig', args: () => ['join', '--root', at('r2'), '--discovery-file', at('not-a-kubeconfig.yaml'), '--ignore-preflight-errors', 'all'], exit: 3, message: /not-a-kubeconfig\.yaml/ },
  // token
  { name: 'token create: a malformed token', args: () => ['token', 'create', 'abc', '--root', pki], exit: 3, message: /not of the form/ },
  { name: 'token delete: a malformed id', args: () => ['token', 'delete', 'zzz', '--root', pki], exit: 3, message: /didn't match pattern/ },
  { name: 'token create: a TTL that is not a duration', args: () => ['token', 'create', '--ttl', 'banana', '--root', pki], exit: 3, message: /invalid duration "banana"/ },
  { name: 'token create: an unknown usage', args: () => ['token', 'create', '--usages', 'nonsense', '--root', pki], exit: 3, message: /usage "nonsense"/ },
  { name: 'token create: a group outside system:bootstrappers', args: () => ['token', 'create', '--groups', 'system:masters', '--root', pki], exit: 3, message: /group "system:masters"/ },
  { name: 'token list: an unknown output format', args: () => ['token', 'list', '--root', pki, '-o', 'xml'], exit: 3, message: /output format "xml"/ },
  // certs
  { name: 'certs renew: an unknown certificate', args: () => ['certs', 'renew', 'nosuchcert', '--root', pki], exit: 3, message: /unknown certificate "nosuchcert"/ },
  { name: 'certs renew: a root without a CA', args: () => ['certs', 'renew', 'all', '--root', at('r3')], exit: 1, message: /ca\.crt does not exist/ },
  { name: 'certs renew: a truncated PEM certificate', args: () => ['certs', 'renew', 'apiserver', '--root', broken], exit: 3, message: /apiserver\.crt/ },
  { name: 'certs check-expiration: a window that is not a duration', args: () => ['certs', 'check-expiration', '--root', pki, '--warn-within', 'soon'], exit: 3, message: /--warn-within "soon"/ },
  { name: 'certs inspect: a file that does not exist', args: () => ['certs', 'inspect', at('nope.crt')], exit: 1, message: /nope\.crt does not exist/ },
  { name: 'certs inspect: a private key instead of a certificate', args: () => ['certs', 'inspect', path.join(pki, 'etc/kubernetes/pki/ca.key')], exit: 3, message: /PRIVATE KEY block, not a certificate/ },
  { name: 'certs verify: a CA whose key does not match', args: () => ['certs', 'verify', '--root', broken], exit: 1, message: /ca\.key is not the key of .*ca\.crt/ },
  // kubeconfig
  { name: 'kubeconfig user: an empty client name', args: () => ['kubeconfig', 'user', '--root', pki, '--client-name', ''], exit: 3, message: /--client-name is required/ },
  { name: 'kubeconfig user: a validity that is not a duration', args: () => ['kubeconfig', 'user', '--root', pki, '--client-name', 'jane', '--validity-period', 'forever'], exit: 3, message: /--validity-period "forever"/ },
  { name: 'kubeconfig user: a root that was never initialised', args: () => ['kubeconfig', 'user', '--root', at('r4'), '--client-name', 'jane'], exit: 1, message: /admin\.conf does not exist/ },
  // reset, check, version
  { name: 'reset: an unknown flag', args: () => ['reset', '--root', pki, '--forse'], exit: 1, message: /unknown option '--forse'/ },
  { name: 'reset: a root that is a file', args: () => ['reset', '--root', at('afile'), '-f'], exit: 3, message: /afile is not a writable directory \(it is a file\)/ },
  { name: 'check cis: an unknown output format', args: () => ['check', 'cis', '--root', pki, '-o', 'xml'], exit: 3, message: /output format "xml"/ },
  { name: 'version: an unknown output format', args: () => ['version', '-o', 'xml'], exit: 3, message: /output format "xml"/ },
];

interface ApiCase {
  name: string;
  path: string;
  request: ApiRequest;
  status: number;
  message: RegExp;
}

const CM = '/api/v1/namespaces/default/configmaps';
const API_CASES: ApiCase[] = [
  { name: 'a truncated JSON body', path: CM, request: { method: 'POST', body: '{"metadata":{"name":"cut"},"data":{"a":' }, status: 400, message: /could not be decoded/ },
  { name: 'a body over --max-request-bytes', path: CM, request: { method: 'POST', body: JSON.stringify({ metadata: { name: 'huge' }, data: { a: 'x'.repeat(4 * 1024 * 1024) } }) }, status: 413, message: /too large/i },
  { name: 'an unsupported content type', path: CM, request: { method: 'POST', body: 'name=x', contentType: 'application/x-www-form-urlencoded' }, status: 415, message: /application\/x-www-form-urlencoded/ },
  { name: 'an empty body', path: CM, request: { method: 'POST', body: '' , contentType: 'application/json' }, status: 400, message: /empty/ },
  { name: 'an invalid object name', path: CM, request: { method: 'POST', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad_Name' } } }, status: 422, message: /Bad_Name/ },
  { name: 'a kind that does not match the URL', path: CM, request: { method: 'POST', body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'mismatch' } } }, status: 400, message: /Secret/ },
  { name: 'an unknown resource', path: '/api/v1/namespaces/default/gizmos', request: { method: 'POST', body: { metadata: { name: 'g' } } }, status: 404, message: /gizmos/ },
  { name: 'a malformed label selector', path: `${CM}?labelSelector=a%20in%20(b`, request: {}, status: 400, message: /selector/i },
  { name: 'a resourceVersion that is not a number', path: `${CM}/x?resourceVersion=abc`, request: {}, status: 400, message: /abc/ },
  { name: 'a malformed continue token', path: `${CM}?limit=1&continue=%%%`, request: {}, status: 400, message: /continue/i },
  { name: 'a JSON patch that is not a list of operations', path: `${CM}/target`, request: { method: 'PATCH', body: '{"op":"add"}', contentType: 'application/json-patch+json' }, status: 400, message: /patch/i },
  { name: 'a YAML alias bomb', path: CM, request: { method: 'POST', contentType: 'application/yaml', body: `metadata:\n  name: bomb\n${['a: &a ["x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`)].join('\n')}\n` }, status: 400, message: /alias|decoded/i },
];

beforeAll(async () => {
  ({ dir: work, cleanup } = await tempRoot('kf-bad-input-'));
  await fixtures();
  cluster = await startTestCluster();
  const target = await apiRequest(cluster.url, cluster.pki, CM, { method: 'POST', client: cluster.pki.admin, body: { metadata: { name: 'target' }, data: { a: 'b' } } });
  expect(target.status).toBe(201);
}, 180_000);

afterAll(async () => {
  await cluster?.stop();
  await cleanup();
}, 60_000);

describe('bad input to the CLI: exit code, a message naming the problem, no file changed', () => {
  it.each(CLI_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const before = await fileHashes(work);
    const result = await kubeforge(c.args());
    expect(result.exitCode, result.stderr).toBe(c.exit);
    // Errors go to stderr; `certs verify` reports its findings on stdout.
    expect(`${result.stderr}\n${result.stdout}`).toMatch(c.message);
    expect(await fileHashes(work)).toEqual(before);
    await rm(at('r1'), { recursive: true, force: true });
  }, 60_000);
});

describe('bad requests to the API server: upstream status, a message naming the problem, nothing stored', () => {
  it.each(API_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    // The ConfigMaps and their versions, not the list's resourceVersion: that is etcd's global
    // revision, which any background write (a Lease renewal) moves.
    const revision = async () => (await apiRequest(cluster.url, cluster.pki, CM, { client: cluster.pki.admin })).json.items.map((i: { metadata: { name: string; resourceVersion: string } }) => `${i.metadata.name}@${i.metadata.resourceVersion}`).join(',');
    const before = await revision();
    const res = await apiRequest(cluster.url, cluster.pki, c.path, { client: cluster.pki.admin, ...c.request });
    expect(res.status, res.text.slice(0, 300)).toBe(c.status);
    expect(res.json?.kind, res.text.slice(0, 300)).toBe('Status');
    expect(res.json.message).toMatch(c.message);
    expect(await revision()).toBe(before);
  }, 60_000);

  it('has at least 40 cases in all', () => {
    expect(CLI_CASES.length + API_CASES.length).toBeGreaterThanOrEqual(40);
  });
});
