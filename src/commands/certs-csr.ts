/**
 * External-CA support: `kubeforge certs generate-csr` (kubeadm's layout: `<base>.key` +
 * `<base>.csr` for every leaf of the certificate table, `<name>.conf` holding the key plus
 * `<name>.conf.csr` for every kubeconfig) and `kubeforge certs certificate-key`. Once an external
 * CA signed the requests and the certificates are placed beside them (the kubeconfigs' client
 * certificates embedded as client-certificate-data), `init` with ca.crt but no ca.key uses them.
 */
import path from 'node:path';
import { generateCertificateKey } from '../bootstrap/copycerts.js';
import { loadInitConfig, validateInitConfig, type InitFlags } from '../config/index.js';
import type { InitConfig } from '../config/types.js';
import { KubeforgeError } from '../errors.js';
import { createHost, KUBERNETES_DIR, type Host } from '../host/index.js';
import { buildKubeconfig, kubeconfigServerURL, kubeconfigTable } from '../kubeconfig/index.js';
import { createLogger, type Logger } from '../log.js';
import { readConfigFile } from './config-file.js';
import {
  certificatesFor, createCertificateSigningRequest, encodePrivateKeyPem, generatePrivateKey, tryLoadCertificateFile, writePrivateKey,
} from '../pki/index.js';


export { generateCertificateKey };

export interface GenerateCSROptions {
  root: string;
  verbosity: number;
  configPath?: string;
  flags: InitFlags;
  /** Where the kubeconfigs and their CSRs go (kubeadm's --kubeconfig-dir). */
  kubeconfigDir?: string;
  log?: Logger;
  host?: Host;
}

export interface GenerateCSRResult {
  /** Real paths of the CSRs written. */
  csrs: string[];
  certificatesDir: string;
}

async function loadConfig(host: Host, options: GenerateCSROptions): Promise<InitConfig> {
  const configText = await readConfigFile(host, options.configPath);
  const cfg = loadInitConfig({ configText, configPath: options.configPath, flags: options.flags, hostname: host.system.hostname(), defaultAdvertiseAddress: host.system.defaultAddress() });
  validateInitConfig(cfg);
  return cfg;
}

export async function runGenerateCSR(options: GenerateCSROptions): Promise<GenerateCSRResult> {
  const log = options.log ?? createLogger({ verbosity: options.verbosity });
  const host = options.host ?? createHost(options.root);
  const cfg = await loadConfig(host, options);
  const certDir = cfg.cluster.certificatesDir;
  const kubeconfigDir = options.kubeconfigDir ?? KUBERNETES_DIR;
  const leaves = certificatesFor(cfg).filter((spec) => !spec.isCA);
  const ca = await tryLoadCertificateFile(host, path.posix.join(certDir, 'ca.crt'));
  if (!ca) log.warn(`${host.files.resolve(path.posix.join(certDir, 'ca.crt'))} does not exist: the kubeconfigs get an empty certificate-authority-data; fill it in once you have the CA certificate`);
  const requests = [
    ...leaves.map((spec) => ({ base: path.posix.join(certDir, spec.baseName), subject: spec.subject(cfg), altNames: spec.altNames(cfg), kubeconfig: undefined })),
    ...kubeconfigTable.map((spec) => ({ base: path.posix.join(kubeconfigDir, spec.fileName), subject: spec.client(cfg), altNames: { dnsNames: [], ips: [] }, kubeconfig: spec })),
  ];
  const targets = requests.map((r) => (r.kubeconfig ? r.base : `${r.base}.key`));
  const existing = [];
  for (const target of targets) if (await host.files.exists(target)) existing.push(host.files.resolve(target));
  if (existing.length > 0) {
    throw new KubeforgeError('KF_CSR_WOULD_OVERWRITE', `generate-csr would overwrite ${existing.length} existing file(s): ${existing.join(', ')}`, {
      hint: 'use an empty --cert-dir and --kubeconfig-dir (or another --root); nothing was written',
    });
  }
  const keys = await Promise.all(requests.map(() => generatePrivateKey(cfg.cluster.encryptionAlgorithm)));
  const csrs: string[] = [];
  for (const [i, request] of requests.entries()) {
    const key = keys[i]!;
    const csr = createCertificateSigningRequest(key, request.subject, request.altNames);
    if (request.kubeconfig) {
      const text = buildKubeconfig({
        clusterName: cfg.cluster.clusterName,
        server: kubeconfigServerURL(request.kubeconfig, cfg),
        caPem: ca?.pem ?? '',
        userName: request.subject.commonName,
        clientKeyPem: encodePrivateKeyPem(key),
      });
      await host.files.writeFile(request.base, text, { mode: 0o600 });
    } else {
      await writePrivateKey(host, `${request.base}.key`, encodePrivateKeyPem(key));
    }
    const csrPath = `${request.base}.csr`;
    await host.files.writeFile(csrPath, csr, { mode: 0o644 });
    csrs.push(host.files.resolve(csrPath));
    log.info(`[certs] Writing certificate signing request ${JSON.stringify(host.files.resolve(csrPath))}`);
  }
  return { csrs, certificatesDir: host.files.resolve(certDir) };
}
