import { describe, expect, it } from 'vitest';
import { kubeconfigText } from './component-fixtures.js';
import { kubeClientConfigFromKubeconfig } from './kubeconfig.js';

const material = { ca: 'CA-PEM', cert: 'CERT-PEM', key: 'KEY-PEM' };
const noFiles = async (p: string): Promise<Buffer> => {
  throw new Error(`unexpected read of ${p}`);
};

describe('component kubeconfig', () => {
  it('reads kubeadm\'s controller-manager.conf with embedded CA, cert and key', async () => {
    const config = await kubeClientConfigFromKubeconfig(kubeconfigText('https://127.0.0.2:6443', material), '/etc/kubernetes/controller-manager.conf', noFiles);
    expect({ server: config.server, ca: config.ca.toString(), cert: config.cert?.toString(), key: config.key?.toString() }).toEqual({ server: 'https://127.0.0.2:6443', ca: 'CA-PEM', cert: 'CERT-PEM', key: 'KEY-PEM' });
  });

  it('reads file references relative to the kubeconfig directory', async () => {
    const text = 'apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n  cluster:\n    server: https://h:6443\n    certificate-authority: pki/ca.crt\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\nusers:\n- name: u\n  user:\n    client-certificate: /abs/u.crt\n    client-key: u.key\n';
    const reads: string[] = [];
    await kubeClientConfigFromKubeconfig(text, '/etc/kubernetes/x.conf', async (p) => (reads.push(p), Buffer.from(p)));
    expect(reads).toEqual(['/etc/kubernetes/pki/ca.crt', '/abs/u.crt', '/etc/kubernetes/u.key']);
  });

  const bad: Array<[string, string]> = [
    ['not YAML', 'a: [b'],
    ['empty', ''],
    ['no such current context', 'current-context: x\ncontexts: []\n'],
    ['no server', 'current-context: c\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\nclusters:\n- name: k\n  cluster: {}\n'],
    ['no credentials', 'current-context: c\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\nclusters:\n- name: k\n  cluster: {server: "https://h", certificate-authority-data: Q0EK}\nusers:\n- name: u\n  user: {}\n'],
  ];
  for (const [what, text] of bad) {
    it(`rejects a kubeconfig with ${what} (KF_KUBECONFIG_INVALID)`, async () => {
      await expect(kubeClientConfigFromKubeconfig(text, '/etc/kubernetes/x.conf', noFiles)).rejects.toMatchObject({ code: 'KF_KUBECONFIG_INVALID' });
    });
  }
});
