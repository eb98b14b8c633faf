/**
 * Section 4 of the CIS Kubernetes Benchmark v1.10 (kube-bench's cfg/cis-1.10/node.yaml), for
 * kubeforge's node agent: its files and its KubeletConfiguration (/var/lib/kubelet/config.yaml),
 * which the agent reads as the kubelet does.
 */
import { file, ownership, permissions, type Audit, type Control, type Group } from './checks.js';
import { AGENT_UNIT, KUBELET_CONFIG, KUBELET_KUBECONFIG, type NodeFacts } from './facts.js';

/** A KubeletConfiguration field by dotted path. */
function field(facts: NodeFacts, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), facts.kubelet);
}

/** Go's zero durations (`0s`) mean "unset": the kubelet applies its default. */
const unset = (v: unknown) => v === undefined || v === null || v === '' || v === '0s';

function config(dotted: string, test: (v: unknown) => boolean): Audit {
  return (facts) => {
    const value = field(facts, dotted);
    return { ok: test(value), evidence: `${dotted}=${value === undefined ? '(not set)' : JSON.stringify(value)} (${KUBELET_CONFIG})` };
  };
}

const clientCA = (facts: NodeFacts) => {
  const ca = field(facts, 'authentication.x509.clientCAFile');
  return typeof ca === 'string' ? file(ca)(facts) : [];
};
const editConfig = (change: string) => `${KUBELET_CONFIG} (or the init config's KubeletConfiguration): ${change}, then restart the agent`;

const FILES: Control[] = [
  { id: '4.1.1', text: 'Ensure that the kubelet service file permissions are set to 600 or more restrictive (Automated)', scored: true, audit: permissions(file(AGENT_UNIT), 0o600), remediation: `chmod 600 ${AGENT_UNIT}` },
  { id: '4.1.2', text: 'Ensure that the kubelet service file ownership is set to root:root (Automated)', scored: true, audit: ownership(file(AGENT_UNIT), 'root:root'), remediation: `chown root:root ${AGENT_UNIT}` },
  { id: '4.1.5', text: 'Ensure that the --kubeconfig kubelet.conf file permissions are set to 600 or more restrictive (Automated)', scored: true, audit: permissions(file(KUBELET_KUBECONFIG), 0o600), remediation: `chmod 600 ${KUBELET_KUBECONFIG}` },
  { id: '4.1.6', text: 'Ensure that the --kubeconfig kubelet.conf file ownership is set to root:root (Automated)', scored: true, audit: ownership(file(KUBELET_KUBECONFIG), 'root:root'), remediation: `chown root:root ${KUBELET_KUBECONFIG}` },
  { id: '4.1.7', text: 'Ensure that the certificate authorities file permissions are set to 600 or more restrictive (Manual)', scored: false, audit: permissions(clientCA, 0o600), remediation: 'chmod 600 /etc/kubernetes/pki/ca.crt (kubeadm writes it 0644: a CA certificate is public)' },
  { id: '4.1.8', text: 'Ensure that the client certificate authorities file ownership is set to root:root (Manual)', scored: false, audit: ownership(clientCA, 'root:root'), remediation: 'chown root:root /etc/kubernetes/pki/ca.crt' },
  { id: '4.1.9', text: 'If the kubelet config.yaml configuration file is being used validate permissions set to 600 or more restrictive (Automated)', scored: true, audit: permissions(file(KUBELET_CONFIG), 0o600), remediation: `chmod 600 ${KUBELET_CONFIG}` },
  { id: '4.1.10', text: 'If the kubelet config.yaml configuration file is being used validate file ownership is set to root:root (Automated)', scored: true, audit: ownership(file(KUBELET_CONFIG), 'root:root'), remediation: `chown root:root ${KUBELET_CONFIG}` },
];

const KUBELET: Control[] = [
  { id: '4.2.1', text: 'Ensure that the --anonymous-auth argument is set to false (Automated)', scored: true, audit: config('authentication.anonymous.enabled', (v) => v === false), remediation: editConfig('authentication.anonymous.enabled: false') },
  { id: '4.2.2', text: 'Ensure that the --authorization-mode argument is not set to AlwaysAllow (Automated)', scored: true, audit: config('authorization.mode', (v) => v !== undefined && v !== 'AlwaysAllow'), remediation: editConfig('authorization.mode: Webhook') },
  { id: '4.2.3', text: 'Ensure that the --client-ca-file argument is set as appropriate (Automated)', scored: true, audit: config('authentication.x509.clientCAFile', (v) => typeof v === 'string' && v !== ''), remediation: editConfig('authentication.x509.clientCAFile: /etc/kubernetes/pki/ca.crt') },
  { id: '4.2.4', text: 'Verify that the --read-only-port argument is set to 0 (Manual)', scored: false, audit: config('readOnlyPort', (v) => v === undefined || v === 0), remediation: editConfig('readOnlyPort: 0') },
  { id: '4.2.5', text: 'Ensure that the --streaming-connection-idle-timeout argument is not set to 0 (Manual)', scored: false, audit: config('streamingConnectionIdleTimeout', (v) => unset(v) || v !== 0), remediation: editConfig('streamingConnectionIdleTimeout: 5m') },
  { id: '4.2.6', text: 'Ensure that the --make-iptables-util-chains argument is set to true (Automated)', scored: true, audit: config('makeIPTablesUtilChains', (v) => v === undefined || v === true), remediation: editConfig('makeIPTablesUtilChains: true') },
  { id: '4.2.8', text: 'Ensure that the eventRecordQPS argument is set to a level which ensures appropriate event capture (Manual)', scored: false, audit: config('eventRecordQPS', (v) => v === undefined || (typeof v === 'number' && v >= 0)), remediation: editConfig('eventRecordQPS: 50') },
  {
    id: '4.2.9', text: 'Ensure that the --tls-cert-file and --tls-private-key-file arguments are set as appropriate (Manual)', scored: false, audit: config('tlsCertFile', (v) => typeof v === 'string' && v !== ''), remediation: editConfig('tlsCertFile and tlsPrivateKeyFile'),
    exception: "the agent serves with a self-signed certificate it makes in /var/lib/kubelet/pki, as the kubelet does without tlsCertFile (see 1.2.5)",
  },
  { id: '4.2.10', text: 'Ensure that the --rotate-certificates argument is not set to false (Automated)', scored: true, audit: config('rotateCertificates', (v) => v === undefined || v === true), remediation: editConfig('rotateCertificates: true') },
  {
    id: '4.2.11', text: 'Verify that the RotateKubeletServerCertificate argument is set to true (Manual)', scored: false, audit: config('serverTLSBootstrap', (v) => v === true), remediation: editConfig('serverTLSBootstrap: true'),
    exception: 'the agent does not request its serving certificate through a kubelet-serving CSR yet (see 1.2.5)',
  },
  { id: '4.2.12', text: 'Ensure that the Kubelet only makes use of Strong Cryptographic Ciphers (Manual)', scored: false, audit: config('tlsCipherSuites', (v) => Array.isArray(v) && v.length > 0), remediation: editConfig('tlsCipherSuites: the ECDHE AES-GCM and ChaCha20 suites') },
  { id: '4.2.13', text: 'Ensure that a limit is set on pod PIDs (Manual)', scored: false, audit: config('podPidsLimit', (v) => typeof v === 'number' && v > 0), remediation: editConfig('podPidsLimit: 4096') },
];

export const NODE_GROUPS: readonly Group[] = [
  { id: '4.1', text: 'Worker Node Configuration Files', applies: (f) => f.kubelet !== undefined, controls: FILES },
  { id: '4.2', text: 'Kubelet', applies: (f) => f.kubelet !== undefined, controls: KUBELET },
];

