/**
 * Section 1 of the CIS Kubernetes Benchmark v1.10 (kube-bench's cfg/cis-1.10/master.yaml):
 * control-plane configuration files, API server, controller manager, scheduler. Ids, texts and
 * scoring are the benchmark's; remediations say how to fix it on a kubeforge node.
 */
import { KUBERNETES_DIR, PKI_DIR } from '../host/index.js';
import {
  atLeast, bothSet, equals, file, flag, flagValue, has, isSet, lacks, manual, ownership, permissions, type Control, type Group,
} from './checks.js';
import { manifestPath, type Component, type NodeFacts } from './facts.js';

const APISERVER = 'kube-apiserver';
const CM = 'kube-controller-manager';
const SCHED = 'kube-scheduler';
const manifest = (c: Component) => file(manifestPath(c));
const dataDir = (facts: NodeFacts) => file(flagValue(facts, 'etcd', 'data-dir') ?? '/var/lib/etcd')(facts);
const pkiWhere = (test: (p: string) => boolean) => (facts: NodeFacts) => facts.pki.filter((f) => test(f.path));
const edit = (c: Component, change: string) => `${manifestPath(c)} (or extraArgs in the init config): ${change}`;

const isLoopback = (v: string | undefined) => v === undefined || v === '::1' || /^127\.\d+\.\d+\.\d+$/.test(v);

function fileControls(): Control[] {
  const rows: Array<[string, string, Component]> = [
    ['1.1.1', 'API server', APISERVER],
    ['1.1.3', 'controller manager', CM],
    ['1.1.5', 'scheduler', SCHED],
    ['1.1.7', 'etcd', 'etcd'],
  ];
  return rows.flatMap(([id, what, component]): Control[] => {
    const owner = id.replace(/\d+$/, (n) => String(Number(n) + 1));
    return [
      { id, text: `Ensure that the ${what} pod specification file permissions are set to 600 or more restrictive (Automated)`, scored: true, audit: permissions(manifest(component), 0o600), remediation: `chmod 600 ${manifestPath(component)}` },
      { id: owner, text: `Ensure that the ${what} pod specification file ownership is set to root:root (Automated)`, scored: true, audit: ownership(manifest(component), 'root:root'), remediation: `chown root:root ${manifestPath(component)}` },
    ];
  });
}

function kubeconfigControls(): Control[] {
  const rows: Array<[string, string, string[]]> = [
    ['1.1.13', 'the default administrative credential file', ['admin.conf', 'super-admin.conf']],
    ['1.1.15', 'the scheduler.conf file', ['scheduler.conf']],
    ['1.1.17', 'the controller-manager.conf file', ['controller-manager.conf']],
  ];
  return rows.flatMap(([id, what, names]): Control[] => {
    const paths = names.map((n) => `${KUBERNETES_DIR}/${n}`);
    const files = (facts: NodeFacts) => paths.flatMap((p) => file(p)(facts));
    const owner = id.replace(/\d+$/, (n) => String(Number(n) + 1));
    return [
      { id, text: `Ensure that ${what} permissions are set to 600${id === '1.1.13' ? '' : ' or more restrictive'} (Automated)`, scored: true, audit: permissions(files, 0o600), remediation: `chmod 600 ${paths.join(' ')}` },
      { id: owner, text: `Ensure that ${what} ownership is set to root:root (Automated)`, scored: true, audit: ownership(files, 'root:root'), remediation: `chown root:root ${paths.join(' ')}` },
    ];
  });
}

const FILES: Control[] = [
  ...fileControls(),
  { id: '1.1.9', text: 'Ensure that the Container Network Interface file permissions are set to 600 or more restrictive (Manual)', scored: false, audit: permissions(file('/etc/cni/net.d'), 0o700), remediation: 'chmod 600 /etc/cni/net.d/*' },
  { id: '1.1.10', text: 'Ensure that the Container Network Interface file ownership is set to root:root (Manual)', scored: false, audit: ownership(file('/etc/cni/net.d'), 'root:root'), remediation: 'chown root:root /etc/cni/net.d/*' },
  { id: '1.1.11', text: 'Ensure that the etcd data directory permissions are set to 700 or more restrictive (Automated)', scored: true, audit: permissions(dataDir, 0o700), remediation: 'chmod 700 /var/lib/etcd (kubeforge init creates it 0700)' },
  {
    id: '1.1.12',
    text: 'Ensure that the etcd data directory ownership is set to etcd:etcd (Automated)',
    scored: true,
    audit: ownership(dataDir, 'etcd:etcd'),
    remediation: 'useradd -r etcd; chown -R etcd:etcd /var/lib/etcd, and run etcd as that user',
    exception: "kubeforge's agent runs etcd as the user that runs the agent (root), like kubeadm's kubelet; the data dir is 0700 and owned by that user",
  },
  ...kubeconfigControls(),
  { id: '1.1.19', text: 'Ensure that the Kubernetes PKI directory and file ownership is set to root:root (Automated)', scored: true, audit: ownership(pkiWhere(() => true), 'root:root'), remediation: `chown -R root:root ${PKI_DIR}/` },
  { id: '1.1.20', text: 'Ensure that the Kubernetes PKI certificate file permissions are set to 600 or more restrictive (Manual)', scored: false, audit: permissions(pkiWhere((p) => p.endsWith('.crt')), 0o600), remediation: `chmod 600 ${PKI_DIR}/*.crt ${PKI_DIR}/etcd/*.crt (kubeadm writes certificates 0644: they are public)` },
  { id: '1.1.21', text: 'Ensure that the Kubernetes PKI key file permissions are set to 600 (Manual)', scored: false, audit: permissions(pkiWhere((p) => p.endsWith('.key')), 0o600), remediation: `chmod 600 ${PKI_DIR}/*.key ${PKI_DIR}/etcd/*.key` },
];

const API: Control[] = [
  {
    id: '1.2.1', text: 'Ensure that the --anonymous-auth argument is set to false (Manual)', scored: false, audit: flag(APISERVER, 'anonymous-auth', equals('false')), remediation: edit(APISERVER, '--anonymous-auth=false'),
    exception: 'token discovery (`kubeforge join --token`) reads kube-public/cluster-info anonymously, as kubeadm; anonymous requests reach only that ConfigMap and the health endpoints',
  },
  { id: '1.2.2', text: 'Ensure that the --token-auth-file parameter is not set (Automated)', scored: true, audit: flag(APISERVER, 'token-auth-file', (v) => v === undefined), remediation: edit(APISERVER, 'remove --token-auth-file') },
  { id: '1.2.3', text: 'Ensure that the --DenyServiceExternalIPs is set (Manual)', scored: false, audit: flag(APISERVER, 'enable-admission-plugins', has('DenyServiceExternalIPs')), remediation: edit(APISERVER, 'add DenyServiceExternalIPs to --enable-admission-plugins') },
  { id: '1.2.4', text: 'Ensure that the --kubelet-client-certificate and --kubelet-client-key arguments are set as appropriate (Automated)', scored: true, audit: bothSet(APISERVER, 'kubelet-client-certificate', 'kubelet-client-key'), remediation: edit(APISERVER, 'set --kubelet-client-certificate and --kubelet-client-key') },
  {
    id: '1.2.5', text: 'Ensure that the --kubelet-certificate-authority argument is set as appropriate (Automated)', scored: true, audit: flag(APISERVER, 'kubelet-certificate-authority', isSet), remediation: edit(APISERVER, '--kubelet-certificate-authority=/etc/kubernetes/pki/ca.crt, once every kubelet serves a certificate signed by the cluster CA'),
    exception: "kubeforge's agent serves the kubelet API with a self-signed certificate, as a kubelet without serverTLSBootstrap does (kubeadm's default), so the API server cannot verify it against a CA yet",
  },
  { id: '1.2.6', text: 'Ensure that the --authorization-mode argument is not set to AlwaysAllow (Automated)', scored: true, audit: flag(APISERVER, 'authorization-mode', (v) => v !== undefined && lacks('AlwaysAllow')(v)), remediation: edit(APISERVER, '--authorization-mode=Node,RBAC') },
  { id: '1.2.7', text: 'Ensure that the --authorization-mode argument includes Node (Automated)', scored: true, audit: flag(APISERVER, 'authorization-mode', has('Node')), remediation: edit(APISERVER, '--authorization-mode=Node,RBAC') },
  { id: '1.2.8', text: 'Ensure that the --authorization-mode argument includes RBAC (Automated)', scored: true, audit: flag(APISERVER, 'authorization-mode', has('RBAC')), remediation: edit(APISERVER, '--authorization-mode=Node,RBAC') },
  { id: '1.2.9', text: 'Ensure that the admission control plugin EventRateLimit is set (Manual)', scored: false, audit: flag(APISERVER, 'enable-admission-plugins', has('EventRateLimit')), remediation: edit(APISERVER, 'add EventRateLimit to --enable-admission-plugins with an --admission-control-config-file') },
  { id: '1.2.10', text: 'Ensure that the admission control plugin AlwaysAdmit is not set (Automated)', scored: true, audit: flag(APISERVER, 'enable-admission-plugins', lacks('AlwaysAdmit')), remediation: edit(APISERVER, 'remove AlwaysAdmit from --enable-admission-plugins') },
  { id: '1.2.11', text: 'Ensure that the admission control plugin AlwaysPullImages is set (Manual)', scored: false, audit: flag(APISERVER, 'enable-admission-plugins', has('AlwaysPullImages')), remediation: edit(APISERVER, 'add AlwaysPullImages to --enable-admission-plugins') },
  { id: '1.2.12', text: 'Ensure that the admission control plugin ServiceAccount is set (Automated)', scored: true, audit: flag(APISERVER, 'disable-admission-plugins', lacks('ServiceAccount')), remediation: edit(APISERVER, 'remove ServiceAccount from --disable-admission-plugins') },
  { id: '1.2.13', text: 'Ensure that the admission control plugin NamespaceLifecycle is set (Automated)', scored: true, audit: flag(APISERVER, 'disable-admission-plugins', lacks('NamespaceLifecycle')), remediation: edit(APISERVER, 'remove NamespaceLifecycle from --disable-admission-plugins') },
  { id: '1.2.14', text: 'Ensure that the admission control plugin NodeRestriction is set (Automated)', scored: true, audit: flag(APISERVER, 'enable-admission-plugins', has('NodeRestriction')), remediation: edit(APISERVER, 'add NodeRestriction to --enable-admission-plugins') },
  { id: '1.2.15', text: 'Ensure that the --profiling argument is set to false (Automated)', scored: true, audit: flag(APISERVER, 'profiling', equals('false')), remediation: edit(APISERVER, '--profiling=false') },
  { id: '1.2.16', text: 'Ensure that the --audit-log-path argument is set (Automated)', scored: true, audit: flag(APISERVER, 'audit-log-path', isSet), remediation: edit(APISERVER, '--audit-log-path=/var/log/kubernetes/audit/audit.log') },
  { id: '1.2.17', text: 'Ensure that the --audit-log-maxage argument is set to 30 or as appropriate (Automated)', scored: true, audit: flag(APISERVER, 'audit-log-maxage', atLeast(30)), remediation: edit(APISERVER, '--audit-log-maxage=30') },
  { id: '1.2.18', text: 'Ensure that the --audit-log-maxbackup argument is set to 10 or as appropriate (Automated)', scored: true, audit: flag(APISERVER, 'audit-log-maxbackup', atLeast(10)), remediation: edit(APISERVER, '--audit-log-maxbackup=10') },
  { id: '1.2.19', text: 'Ensure that the --audit-log-maxsize argument is set to 100 or as appropriate (Automated)', scored: true, audit: flag(APISERVER, 'audit-log-maxsize', atLeast(100)), remediation: edit(APISERVER, '--audit-log-maxsize=100') },
  { id: '1.2.20', text: 'Ensure that the --request-timeout argument is set as appropriate (Manual)', scored: false, audit: manual((f) => `--request-timeout=${flagValue(f, APISERVER, 'request-timeout') ?? '(default 1m0s)'}`), remediation: edit(APISERVER, 'set --request-timeout as appropriate, e.g. 300s') },
  { id: '1.2.21', text: 'Ensure that the --service-account-lookup argument is set to true (Automated)', scored: true, audit: flag(APISERVER, 'service-account-lookup', (v) => v === undefined || v === 'true'), remediation: edit(APISERVER, 'remove --service-account-lookup or set it to true') },
  { id: '1.2.22', text: 'Ensure that the --service-account-key-file argument is set as appropriate (Automated)', scored: true, audit: flag(APISERVER, 'service-account-key-file', isSet), remediation: edit(APISERVER, '--service-account-key-file=/etc/kubernetes/pki/sa.pub') },
  { id: '1.2.23', text: 'Ensure that the --etcd-certfile and --etcd-keyfile arguments are set as appropriate (Automated)', scored: true, audit: bothSet(APISERVER, 'etcd-certfile', 'etcd-keyfile'), remediation: edit(APISERVER, 'set --etcd-certfile and --etcd-keyfile') },
  { id: '1.2.24', text: 'Ensure that the --tls-cert-file and --tls-private-key-file arguments are set as appropriate (Automated)', scored: true, audit: bothSet(APISERVER, 'tls-cert-file', 'tls-private-key-file'), remediation: edit(APISERVER, 'set --tls-cert-file and --tls-private-key-file') },
  { id: '1.2.25', text: 'Ensure that the --client-ca-file argument is set as appropriate (Automated)', scored: true, audit: flag(APISERVER, 'client-ca-file', isSet), remediation: edit(APISERVER, '--client-ca-file=/etc/kubernetes/pki/ca.crt') },
  { id: '1.2.26', text: 'Ensure that the --etcd-cafile argument is set as appropriate (Automated)', scored: true, audit: flag(APISERVER, 'etcd-cafile', isSet), remediation: edit(APISERVER, '--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt') },
  { id: '1.2.27', text: 'Ensure that the --encryption-provider-config argument is set as appropriate (Manual)', scored: false, audit: flag(APISERVER, 'encryption-provider-config', isSet), remediation: edit(APISERVER, '--encryption-provider-config=/etc/kubernetes/pki/encryption-config.yaml (`kubeforge init phase certs encryption-config` writes one)') },
  {
    id: '1.2.28', text: 'Ensure that encryption providers are appropriately configured (Manual)', scored: false,
    audit: (facts) => {
      const providers = facts.encryptionProviders;
      return { ok: !!providers && providers.length > 0 && providers.every((p) => ['aescbc', 'kms', 'secretbox', 'aesgcm'].includes(p)), evidence: providers ? providers.map((p) => `provider=${p}`).join(', ') || 'no providers' : 'no encryption configuration' };
    },
    remediation: 'list aescbc first in the EncryptionConfiguration providers',
  },
  { id: '1.2.29', text: 'Ensure that the API Server only makes use of Strong Cryptographic Ciphers (Manual)', scored: false, audit: flag(APISERVER, 'tls-cipher-suites', isSet), remediation: edit(APISERVER, 'set --tls-cipher-suites to the ECDHE AES-GCM and ChaCha20 suites') },
];

const CONTROLLER_MANAGER: Control[] = [
  { id: '1.3.1', text: 'Ensure that the --terminated-pod-gc-threshold argument is set as appropriate (Manual)', scored: false, audit: flag(CM, 'terminated-pod-gc-threshold', isSet), remediation: edit(CM, '--terminated-pod-gc-threshold=10') },
  { id: '1.3.2', text: 'Ensure that the --profiling argument is set to false (Automated)', scored: true, audit: flag(CM, 'profiling', equals('false')), remediation: edit(CM, '--profiling=false') },
  { id: '1.3.3', text: 'Ensure that the --use-service-account-credentials argument is set to true (Automated)', scored: true, audit: flag(CM, 'use-service-account-credentials', (v) => v !== undefined && v !== 'false'), remediation: edit(CM, '--use-service-account-credentials=true') },
  { id: '1.3.4', text: 'Ensure that the --service-account-private-key-file argument is set as appropriate (Automated)', scored: true, audit: flag(CM, 'service-account-private-key-file', isSet), remediation: edit(CM, '--service-account-private-key-file=/etc/kubernetes/pki/sa.key') },
  { id: '1.3.5', text: 'Ensure that the --root-ca-file argument is set as appropriate (Automated)', scored: true, audit: flag(CM, 'root-ca-file', isSet), remediation: edit(CM, '--root-ca-file=/etc/kubernetes/pki/ca.crt') },
  { id: '1.3.6', text: 'Ensure that the RotateKubeletServerCertificate argument is set to true (Automated)', scored: true, audit: flag(CM, 'feature-gates', lacks('RotateKubeletServerCertificate=false')), remediation: edit(CM, 'remove RotateKubeletServerCertificate=false from --feature-gates') },
  // kubeforge's loopback rule: a node advertising 127.0.0.N binds its own loopback address.
  { id: '1.3.7', text: 'Ensure that the --bind-address argument is set to 127.0.0.1 (Automated)', scored: true, audit: flag(CM, 'bind-address', isLoopback), remediation: edit(CM, '--bind-address=127.0.0.1') },
];

const SCHEDULER: Control[] = [
  { id: '1.4.1', text: 'Ensure that the --profiling argument is set to false (Automated)', scored: true, audit: flag(SCHED, 'profiling', equals('false')), remediation: edit(SCHED, '--profiling=false') },
  { id: '1.4.2', text: 'Ensure that the --bind-address argument is set to 127.0.0.1 (Automated)', scored: true, audit: flag(SCHED, 'bind-address', isLoopback), remediation: edit(SCHED, '--bind-address=127.0.0.1') },
];

const runs = (c: Component) => (facts: NodeFacts) => facts.flags[c] !== undefined;

export const CONTROL_PLANE_GROUPS: readonly Group[] = [
  { id: '1.1', text: 'Control Plane Node Configuration Files', applies: (f) => Object.keys(f.flags).length > 0, controls: FILES },
  { id: '1.2', text: 'API Server', applies: runs(APISERVER), controls: API },
  { id: '1.3', text: 'Controller Manager', applies: runs(CM), controls: CONTROLLER_MANAGER },
  { id: '1.4', text: 'Scheduler', applies: runs(SCHED), controls: SCHEDULER },
];
