/**
 * kubeadm's createKubeConfigFileIfNotExists: write the kubeconfig (embedded CA, a fresh client
 * certificate signed by the cluster CA, 0600) unless one exists; an existing file is reused when
 * it trusts the same CA (a different server URL only warns, as kubeadm) and refused otherwise.
 */
import type { InitConfig } from '../config/types.js';
import { errorMessage, KubeforgeError, validationError } from '../errors.js';
import type { Host } from '../host/index.js';
import type { Logger } from '../log.js';
import {
  certificatePaths, certificateSpec, issueClientCertificate, loadCertificateFile, pemCertificates, tryLoadPrivateKeyFile, validityPeriodMs,
  encodePrivateKeyPem,
} from '../pki/index.js';
import { buildKubeconfig, currentClusterAndUser, parseKubeconfig } from './kubeconfig.js';
import { kubeconfigPath, kubeconfigServerURL, kubeconfigSpec, type KubeconfigName } from './table.js';

function sameCertificates(a: string, b: string): boolean {
  const left = pemCertificates(a);
  const right = pemCertificates(b);
  return left.length > 0 && left.length === right.length && left.every((der, i) => der.equals(right[i]!));
}

export async function ensureKubeconfig(host: Host, cfg: InitConfig, name: KubeconfigName, log: Logger): Promise<'created' | 'reused'> {
  const spec = kubeconfigSpec(name);
  const file = kubeconfigPath(spec);
  const server = kubeconfigServerURL(spec, cfg);
  const caPaths = certificatePaths(cfg, certificateSpec('ca'));
  const ca = await loadCertificateFile(host, caPaths.cert);
  const existing = await host.files.tryReadFile(file);
  if (existing !== undefined) {
    let cluster;
    try {
      cluster = currentClusterAndUser(parseKubeconfig(existing.toString())).cluster;
    } catch (err) {
      throw validationError('KF_KUBECONFIG_INVALID', `kubeconfig ${host.files.resolve(file)} exists but cannot be loaded: ${errorMessage(err)}`, {
        cause: err,
        hint: 'fix the file, or delete it so kubeforge writes a new one',
      });
    }
    if (!sameCertificates(cluster.certificateAuthorityData ?? '', ca.pem)) {
      throw validationError('KF_KUBECONFIG_WRONG_CA', `a kubeconfig file ${JSON.stringify(host.files.resolve(file))} exists already but has got the wrong CA cert`, {
        hint: `delete it so kubeforge writes one for the CA in ${host.files.resolve(caPaths.cert)}, or restore the CA it was made for`,
      });
    }
    if (cluster.server !== server) {
      log.warn(`a kubeconfig file ${JSON.stringify(file)} exists already but has an unexpected API Server URL: expected: ${server}, got: ${cluster.server}`);
    }
    log.info(`[kubeconfig] Using existing kubeconfig file: ${JSON.stringify(file)}`);
    return 'reused';
  }
  const caKey = await tryLoadPrivateKeyFile(host, caPaths.key);
  if (!caKey) {
    throw new KubeforgeError('KF_KUBECONFIG_EXTERNAL_CA', `${host.files.resolve(caPaths.key)} is absent (external CA mode), so ${host.files.resolve(file)} must be provided`, {
      exitCode: 3,
      hint: `create ${spec.fileName} with a client certificate signed by your CA, or provide ca.key`,
    });
  }
  const issued = await issueClientCertificate(
    { certPem: ca.pem, keyPem: encodePrivateKeyPem(caKey) },
    spec.client(cfg),
    cfg.cluster.encryptionAlgorithm,
    validityPeriodMs(cfg, false),
    host.clock.now(),
  );
  const text = buildKubeconfig({
    clusterName: cfg.cluster.clusterName,
    server,
    caPem: ca.pem,
    userName: spec.client(cfg).commonName,
    clientCertPem: issued.certPem,
    clientKeyPem: issued.keyPem,
  });
  log.info(`[kubeconfig] Writing ${JSON.stringify(spec.fileName)} kubeconfig file`);
  await host.files.writeFile(file, text, { mode: 0o600 });
  return 'created';
}
