import { expect, it } from 'vitest';
import { buildKubeconfig, clusterInfoKubeconfig, parseKubeconfig } from './index.js';

const CLUSTER_INFO_VECTOR =
  'apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: Q0EK\n    server: https://127.0.0.2:6443\n  name: ""\ncontexts: null\ncurrent-context: ""\nkind: Config\npreferences: {}\nusers: null\n';

it('builds the cluster-info kubeconfig byte-for-byte as clientcmd.Write', () => {
  expect(clusterInfoKubeconfig('CA\n', 'https://127.0.0.2:6443')).toBe(CLUSTER_INFO_VECTOR);
});

it('quotes names the way go-yaml does', () => {
  const text = buildKubeconfig({ clusterName: 'true', server: 'https://[fd00::1]:6443', caPem: 'x', userName: '@odd: name', token: 'abcdef.0123456789abcdef' });
  expect(text).toContain('  name: "true"\n');
  expect(text).toContain("- name: '@odd: name'\n");
  expect(parseKubeconfig(text).contexts[0]).toEqual({ name: '@odd: name@true', cluster: 'true', user: '@odd: name' });
});

it('rejects documents that are not kubeconfigs', () => {
  for (const text of ['- a\n- b\n', 'kind: Pod\n', 'clusters: 3\n', 'current-context: missing\ncontexts: []\n', 'clusters:\n- cluster:\n    certificate-authority-data: "!!"\n  name: a\n']) {
    expect(() => parseKubeconfig(text)).toThrow(expect.objectContaining({ code: 'KF_KUBECONFIG_INVALID' }));
  }
});
