/**
 * The agent's HTTPS serving certificate, as the kubelet makes one when no tlsCertFile is given:
 * `CN=<node>@<unix time>` signed by its own `<node>-ca@<unix time>`, SANs the node name and the
 * node IP, kept in /var/lib/kubelet/pki/kubelet.{crt,key} and reused while it is valid and matches its key.
 */
import type { Host } from '../host/index.js';
import { keyMatchesCertificate, loadCertificate, parsePrivateKeyPem, selfSignedServingCertificate } from '../pki/index.js';

export const KUBELET_PKI_DIR = '/var/lib/kubelet/pki';
const SERVING_CERT = `${KUBELET_PKI_DIR}/kubelet.crt`;
const SERVING_KEY = `${KUBELET_PKI_DIR}/kubelet.key`;

export interface ServingCertificate {
  certPem: string;
  keyPem: string;
}

function stillGood(certPem: string, keyPem: string, nodeIP: string, now: Date): boolean {
  try {
    const cert = loadCertificate(certPem);
    return cert.notAfter > now && cert.ips.includes(nodeIP) && keyMatchesCertificate(parsePrivateKeyPem(keyPem), cert);
  } catch {
    return false;
  }
}

export async function ensureServingCertificate(host: Host, nodeName: string, nodeIP: string): Promise<ServingCertificate> {
  const now = host.clock.now();
  const [cert, key] = await Promise.all([host.files.tryReadFile(SERVING_CERT), host.files.tryReadFile(SERVING_KEY)]);
  if (cert && key && stillGood(cert.toString('utf8'), key.toString('utf8'), nodeIP, now)) return { certPem: cert.toString('utf8'), keyPem: key.toString('utf8') };
  const { certPem, keyPem } = await selfSignedServingCertificate(nodeName, { ips: [nodeIP] }, now);
  await host.files.mkdir(KUBELET_PKI_DIR, 0o755);
  await host.files.writeFile(SERVING_KEY, keyPem, { mode: 0o600 });
  await host.files.writeFile(SERVING_CERT, certPem, { mode: 0o644 });
  return { certPem, keyPem };
}
