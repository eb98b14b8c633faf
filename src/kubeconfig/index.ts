/**
 * Kubeconfig files (kubeadm's phases/kubeconfig and util/kubeconfig): the table of files `init`
 * writes (table.ts), creating or reusing them (ensure.ts), building/parsing documents and the
 * cluster-info kubeconfig (kubeconfig.ts), serialized byte-for-byte as Go's clientcmd (yaml.ts);
 * the certificates kubeadm's renewal manager handles (managed.ts), their expiry (expiration.ts,
 * forge-free), and renewing a kubeconfig's embedded client certificate in place (renew.ts).
 */
export {
  kubeconfigTable, kubeconfigSpec, kubeconfigPath, kubeconfigServerURL, controlPlaneEndpointURL, localAPIEndpointURL,
  type KubeconfigName, type KubeconfigSpec,
} from './table.js';
export { ensureKubeconfig } from './ensure.js';
export {
  buildKubeconfig, parseKubeconfig, clusterInfoKubeconfig, currentClusterAndUser,
  type Kubeconfig, type KubeconfigCluster, type KubeconfigContext, type KubeconfigInput, type KubeconfigUser,
} from './kubeconfig.js';
export { kubeClientConfig, loadKubeClient, type KubeconfigClientOptions } from './client.js';
export { managedCertificates, managedCertificateAuthorities, renewableNames, type ManagedCertificate, type StaticPodName } from './managed.js';
export {
  certificateExpirations, kubeconfigClientCertificate, hasLocalEtcd, KUBELET_CLIENT_CERT, type CertificateExpiration, type ExpirationReport,
} from './expiration.js';
export { referClientCredentialsTo, replaceClientCredentials } from './renew.js';
