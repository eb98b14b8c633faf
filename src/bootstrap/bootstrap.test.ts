import { describe, expect, it } from 'vitest';
import { defaultInitConfig } from '../config/defaults.js';
import { refFor, type KubeObject } from '../kube/index.js';
import { coreDNSObjects, corefile, kubeProxyObjects } from './addons.js';
import { clusterInfoConfigMap, markControlPlanePatch } from './objects.js';
import { joinCommands } from './join-command.js';
import { bindingObjects, bootstrapTokenBindings, clusterInfoBinding } from './rbac.js';

describe('kubeadm RBAC for bootstrap tokens', () => {
  it('binds the default node token group to node-bootstrapper and the nodeclient approver', () => {
    const objects = bootstrapTokenBindings.flatMap(bindingObjects);
    const binding = objects.find((o) => o.metadata.name === 'kubeadm:node-autoapprove-bootstrap')!;
    expect(binding.kind).toBe('ClusterRoleBinding');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:certificates.k8s.io:certificatesigningrequests:nodeclient' });
    expect(binding.subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:bootstrappers:kubeadm:default-node-token' }]);
    expect(objects.filter((o) => o.kind === 'ClusterRole').map((o) => o.metadata.name)).toEqual(['kubeadm:get-nodes']);
  });

  it('lets only system:anonymous get only the cluster-info ConfigMap', () => {
    const [role, binding] = bindingObjects(clusterInfoBinding);
    expect(role).toMatchObject({ kind: 'Role', metadata: { namespace: 'kube-public' }, rules: [{ resources: ['configmaps'], resourceNames: ['cluster-info'], verbs: ['get'] }] });
    expect(binding).toMatchObject({ kind: 'RoleBinding', subjects: [{ kind: 'User', name: 'system:anonymous' }] });
  });

  it('puts the cluster-info kubeconfig in kube-public', () => {
    expect(refFor(clusterInfoConfigMap('x'))).toEqual({ group: undefined, version: 'v1', resource: 'configmaps', namespace: 'kube-public', name: 'cluster-info' });
  });
});

describe('mark-control-plane', () => {
  it("adds kubeadm's labels and the control-plane taint by default", () => {
    expect(markControlPlanePatch(undefined)).toEqual({
      metadata: { labels: { 'node-role.kubernetes.io/control-plane': '', 'node.kubernetes.io/exclude-from-external-load-balancers': '' } },
      spec: { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] },
    });
  });

  it('uses the configured taints, keeps other existing taints, and an empty list means none', () => {
    const existing = [{ key: 'a', effect: 'NoExecute' as const }];
    expect(markControlPlanePatch([], existing).spec).toEqual({ taints: existing });
    expect(markControlPlanePatch([{ key: 'b', effect: 'PreferNoSchedule' }], existing).spec).toEqual({ taints: [...existing, { key: 'b', effect: 'PreferNoSchedule' }] });
  });
});

describe('addons', () => {
  const cfg = defaultInitConfig('cp1', '127.0.0.2');

  it("renders kubeadm's CoreDNS objects with the DNS service IP and cluster domain", () => {
    const objects = coreDNSObjects(cfg, '10.96.0.10');
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ServiceAccount/coredns', 'ClusterRole/system:coredns', 'ClusterRoleBinding/system:coredns', 'ConfigMap/coredns', 'Deployment/coredns', 'Service/kube-dns',
    ]);
    expect(objects.find((o) => o.kind === 'Service')).toMatchObject({ spec: { clusterIP: '10.96.0.10' } });
    expect(JSON.stringify(objects)).toContain('registry.k8s.io/coredns/coredns:v1.11.3');
    expect(corefile('example.org')).toContain('kubernetes example.org in-addr.arpa ip6.arpa');
  });

  it('renders the kube-proxy DaemonSet and its config for the control-plane endpoint', () => {
    const objects = kubeProxyObjects(cfg, 'https://127.0.0.2:6443');
    const configMap = objects.find((o) => o.kind === 'ConfigMap')! as KubeObject & { data: Record<string, string> };
    expect(configMap.data['kubeconfig.conf']).toContain('server: https://127.0.0.2:6443');
    expect(JSON.stringify(objects)).toContain('registry.k8s.io/kube-proxy:v1.32.0');
    expect(refFor(objects.find((o) => o.kind === 'DaemonSet')!)).toEqual({ group: 'apps', version: 'v1', resource: 'daemonsets', namespace: 'kube-system', name: 'kube-proxy' });
  });
});

describe('join commands', () => {
  it("prints kubeadm's worker and control-plane join commands for the endpoint, token and pins", () => {
    const cfg = defaultInitConfig('cp1', '127.0.0.2');
    cfg.init.bootstrapTokens[0]!.token = 'abcdef.0123456789abcdef';
    const commands = joinCommands(cfg, ['sha256:aa', 'sha256:bb'], 'k3y');
    expect(commands.worker).toBe('kubeforge join 127.0.0.2:6443 --token abcdef.0123456789abcdef \\\n\t--discovery-token-ca-cert-hash sha256:aa \\\n\t--discovery-token-ca-cert-hash sha256:bb');
    expect(commands.controlPlane).toBe(`${commands.worker} \\\n\t--control-plane --certificate-key k3y`);
    cfg.cluster.controlPlaneEndpoint = 'api.example.test:443';
    expect(joinCommands(cfg, ['sha256:aa']).worker).toMatch(/^kubeforge join api\.example\.test:443 /);
  });
});
