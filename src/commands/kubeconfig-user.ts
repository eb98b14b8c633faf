/**
 * `kubeforge kubeconfig user --client-name NAME [--org G]…`: a kubeconfig for a new user with a
 * client certificate signed by the cluster CA (kubeadm's `kubeconfig user`). The server and
 * cluster name come from `--config` when given, else from this node's admin.conf.
 */
import path from 'node:path';
import { loadInitConfig, parseGoDuration } from '../config/index.js';
import { errorMessage, KubeforgeError, validationError } from '../errors.js';
import { createHost, KUBERNETES_DIR, PKI_DIR, type Host } from '../host/index.js';
import { buildKubeconfig, controlPlaneEndpointURL, currentClusterAndUser, parseKubeconfig } from '../kubeconfig/index.js';
import { encodePrivateKeyPem, issueClientCertificate, loadCertificateFile, tryLoadPrivateKeyFile, type KeyAlgorithm } from '../pki/index.js';
import { readConfigFile } from './config-file.js';

export interface KubeconfigUserOptions {
  root: string;
  clientName: string;
  organizations: string[];
  validityPeriod: string;
  configPath?: string;
  certDir?: string;
  host?: Host;
}

async function clusterEndpoint(host: Host, options: KubeconfigUserOptions): Promise<{ server: string; clusterName: string; algorithm?: KeyAlgorithm; certDir: string }> {
  if (options.configPath) {
    const text = (await readConfigFile(host, options.configPath))!;
    const cfg = loadInitConfig({ configText: text, configPath: options.configPath, flags: {}, hostname: host.system.hostname(), defaultAdvertiseAddress: host.system.defaultAddress() });
    return { server: controlPlaneEndpointURL(cfg), clusterName: cfg.cluster.clusterName, algorithm: cfg.cluster.encryptionAlgorithm, certDir: options.certDir ?? cfg.cluster.certificatesDir };
  }
  const admin = path.posix.join(KUBERNETES_DIR, 'admin.conf');
  const content = await host.files.tryReadFile(admin);
  if (!content) {
    throw new KubeforgeError('KF_KUBECONFIG_MISSING', `${host.files.resolve(admin)} does not exist, so the API server address is unknown`, {
      hint: 'run on an initialised control-plane node (same --root), or pass --config with the cluster configuration',
    });
  }
  try {
    const { cluster } = currentClusterAndUser(parseKubeconfig(content.toString()));
    return { server: cluster.server, clusterName: cluster.name, certDir: options.certDir ?? PKI_DIR };
  } catch (err) {
    throw validationError('KF_KUBECONFIG_INVALID', `${host.files.resolve(admin)}: ${errorMessage(err)}`, { cause: err, hint: 'pass --config with the cluster configuration' });
  }
}

export async function runKubeconfigUser(options: KubeconfigUserOptions): Promise<string> {
  if (!options.clientName.trim()) throw validationError('KF_KUBECONFIG_USER_NAME', '--client-name is required', { hint: 'e.g. --client-name jane --org developers' });
  let validityMs: number;
  try {
    validityMs = parseGoDuration(options.validityPeriod);
  } catch (err) {
    throw validationError('KF_KUBECONFIG_USER_VALIDITY', `--validity-period ${JSON.stringify(options.validityPeriod)} is not a Go duration`, { cause: err, hint: 'e.g. 24h or 8760h' });
  }
  const host = options.host ?? createHost(options.root);
  const { server, clusterName, algorithm, certDir } = await clusterEndpoint(host, options);
  const caPaths = { cert: path.posix.join(certDir, 'ca.crt'), key: path.posix.join(certDir, 'ca.key') };
  const [ca, caKey] = await Promise.all([loadCertificateFile(host, caPaths.cert), tryLoadPrivateKeyFile(host, caPaths.key)]);
  if (!caKey) {
    throw new KubeforgeError('KF_KUBECONFIG_EXTERNAL_CA', `${host.files.resolve(caPaths.key)} is absent (external CA mode): kubeforge cannot sign a user certificate`, {
      hint: 'have your CA sign a client certificate for the user and build the kubeconfig with kubectl config set-credentials',
    });
  }
  const issued = await issueClientCertificate(
    { certPem: ca.pem, keyPem: encodePrivateKeyPem(caKey) },
    { commonName: options.clientName, organizations: options.organizations },
    algorithm ?? (ca.publicKey.algorithm === 'ECDSA' ? 'ECDSA-P256' : 'RSA-2048'),
    validityMs,
    host.clock.now(),
  );
  return buildKubeconfig({ clusterName, server, caPem: ca.pem, userName: options.clientName, clientCertPem: issued.certPem, clientKeyPem: issued.keyPem });
}
