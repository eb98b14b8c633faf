/**
 * Expiry of every certificate a control-plane node holds (kubeadm's check-expiration data): the
 * managed certificates and kubeconfigs, the CAs, and the node's kubelet client certificate.
 * Native parsing only (no node-forge), so it is cheap enough for `certs check-expiration` and
 * for the agent's periodic expiry metrics.
 */
import path from 'node:path';
import { errorMessage, validationError } from '../errors.js';
import type { FileHost } from '../host/files.js';
import { KUBELET_DIR, PKI_DIR } from '../host/paths.js';
import { certificateSpec, type CertName } from '../pki/table.js';
import { certificateValidity } from '../pki/x509.js';
import { currentClusterAndUser, parseKubeconfig } from './kubeconfig.js';
import { managedCertificateAuthorities, managedCertificates, type ManagedCertificate } from './managed.js';

/** The kubelet's rotated client certificate (certificate and key in one PEM). */
export const KUBELET_CLIENT_CERT = path.posix.join(KUBELET_DIR, 'pki/kubelet-client-current.pem');

export interface CertificateExpiration {
  name: string;
  /** Real path of the file it was read from. */
  file: string;
  /** The signing CA's name; undefined for a CA. */
  caName?: CertName;
  /** Undefined when missing. */
  notAfter?: Date;
  /** The signing CA's key (a CA's own key, for a CA) is absent: kubeforge cannot renew it. */
  externallyManaged: boolean;
  missing: boolean;
}

export interface ExpirationReport {
  certificates: CertificateExpiration[];
  certificateAuthorities: CertificateExpiration[];
}

function unreadable(file: string, err: unknown) {
  return validationError('KF_CERT_CORRUPT', `${file} is not a valid PEM certificate: ${errorMessage(err)}`, {
    cause: err,
    hint: 'restore the file from a backup, or renew it with `kubeforge certs renew <name>`',
  });
}

/** The PEM of a kubeconfig's client certificate (embedded, or the file it names). */
export async function kubeconfigClientCertificate(files: FileHost, logicalPath: string, text: string): Promise<string> {
  const file = files.resolve(logicalPath);
  let user;
  try {
    user = currentClusterAndUser(parseKubeconfig(text)).user;
  } catch (err) {
    throw validationError('KF_KUBECONFIG_INVALID', `${file} is not a valid kubeconfig: ${errorMessage(err).replace(/^invalid kubeconfig: /, '')}`, {
      cause: err,
      hint: 'check it with `kubectl config view --kubeconfig <file>`, or restore it from a backup',
    });
  }
  if (user?.clientCertificateData) return user.clientCertificateData;
  if (user?.clientCertificate) {
    const content = await files.tryReadFile(user.clientCertificate);
    if (content) return content.toString();
    throw validationError('KF_KUBECONFIG_NO_CLIENT_CERT', `${file} names client certificate ${files.resolve(user.clientCertificate)}, which does not exist`, {
      hint: 'restore that file, or renew the kubeconfig with `kubeforge certs renew`',
    });
  }
  const how = user?.token ? 'it authenticates with a token' : 'its current user has no client-certificate-data';
  throw validationError('KF_KUBECONFIG_NO_CLIENT_CERT', `${file} has no client certificate: ${how}`, {
    hint: 'only kubeconfigs with an embedded client certificate (as kubeforge writes them) can be checked or renewed',
  });
}

async function readValidity(files: FileHost, row: ManagedCertificate | { path: string; kind: 'certificate' }): Promise<Date | undefined> {
  const content = await files.tryReadFile(row.path);
  if (content === undefined) return undefined;
  const file = files.resolve(row.path);
  const pem = row.kind === 'kubeconfig' ? await kubeconfigClientCertificate(files, row.path, content.toString()) : content.toString();
  try {
    return certificateValidity(pem).notAfter;
  } catch (err) {
    throw unreadable(file, err);
  }
}

/** Whether etcd is local: its CA lives in the certificates dir (with external etcd kubeadm makes no etcd certs). */
export async function hasLocalEtcd(files: FileHost, certificatesDir: string): Promise<boolean> {
  return files.exists(path.posix.join(certificatesDir, 'etcd/ca.crt'));
}

/**
 * Every certificate's expiry, in kubeadm's order (managed certificates sorted by name, then the
 * kubelet client certificate when present), and the CAs. Missing files are reported as missing;
 * unreadable ones are a KF_CERT_CORRUPT error naming the file.
 */
export async function certificateExpirations(files: FileHost, certificatesDir: string = PKI_DIR): Promise<ExpirationReport> {
  const localEtcd = await hasLocalEtcd(files, certificatesDir);
  const caNames = managedCertificateAuthorities(localEtcd);
  const caFiles = (name: CertName) => {
    const base = path.posix.join(certificatesDir, certificateSpec(name).baseName);
    return { cert: `${base}.crt`, key: `${base}.key` };
  };
  const caStates = new Map(
    await Promise.all(
      caNames.map(async (name) => {
        const paths = caFiles(name);
        const [notAfter, hasKey] = await Promise.all([readValidity(files, { path: paths.cert, kind: 'certificate' }), files.exists(paths.key)]);
        return [name, { notAfter, externallyManaged: notAfter !== undefined && !hasKey, file: files.resolve(paths.cert) }] as const;
      }),
    ),
  );
  const externallyManaged = (ca: CertName) => caStates.get(ca)?.externallyManaged ?? false;
  const rows = managedCertificates(certificatesDir, localEtcd);
  const certificates = await Promise.all(
    rows.map(async (row): Promise<CertificateExpiration> => {
      const notAfter = await readValidity(files, row);
      return { name: row.name, file: files.resolve(row.path), caName: row.caName, notAfter, externallyManaged: externallyManaged(row.caName), missing: notAfter === undefined };
    }),
  );
  const kubelet = await readValidity(files, { path: KUBELET_CLIENT_CERT, kind: 'certificate' });
  if (kubelet) {
    certificates.push({ name: 'kubelet-client-current.pem', file: files.resolve(KUBELET_CLIENT_CERT), caName: 'ca', notAfter: kubelet, externallyManaged: externallyManaged('ca'), missing: false });
  }
  const certificateAuthorities = caNames.map((name): CertificateExpiration => {
    const state = caStates.get(name)!;
    return { name, file: state.file, notAfter: state.notAfter, externallyManaged: state.externallyManaged, missing: state.notAfter === undefined };
  });
  return { certificates, certificateAuthorities };
}
