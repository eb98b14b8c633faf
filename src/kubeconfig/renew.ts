/**
 * In-place edits of the current user's client credentials in a kubeconfig, every other byte of the
 * file (server, CA, names, anything a user added) staying as it was: renewing the embedded client
 * certificate (kubeadm's kubeConfigReadWriter), and pointing the user at a rotatable certificate
 * file instead (kubeadm's kubelet-finalize EnableClientCertRotation).
 */
import { loadYaml } from '../safe-yaml.js';
import { validationError } from '../errors.js';
import { parseKubeconfig } from './kubeconfig.js';
import { yamlScalar } from './yaml.js';

const b64 = (text: string): string => Buffer.from(text).toString('base64');

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The raw `user` mapping of the current context's user, as written in the file. */
function currentUserEntry(text: string): Obj {
  const config = parseKubeconfig(text);
  const context = config.contexts.find((c) => c.name === config.currentContext);
  const doc = loadYaml(text) as Obj;
  const entry = (doc.users as unknown[] | undefined)?.find((u) => isObj(u) && u.name === context?.user);
  return isObj(entry) && isObj(entry.user) ? entry.user : {};
}

/** The raw (base64) embedded credential fields of the current context's user. */
function embeddedCredentials(user: Obj): { cert: string; key: string } {
  const cert = user['client-certificate-data'];
  const key = user['client-key-data'];
  if (typeof cert !== 'string' || typeof key !== 'string') {
    throw validationError('KF_KUBECONFIG_NO_CLIENT_CERT', 'the current user has no embedded client certificate and key', {
      hint: 'only kubeconfigs with client-certificate-data and client-key-data (as kubeforge writes them) can be renewed',
    });
  }
  return { cert, key };
}

/** Replaces the one line `<field>: <value>` with `replacement`, keeping its indentation. */
function replaceLine(source: string, field: string, value: string, replacement: string): string {
  const pattern = new RegExp(`^([ \\t]*)${field}:[ \\t]*${value.replace(/[+/=]/g, '\\$&')}[ \\t]*$`, 'm');
  if (!pattern.test(source)) throw validationError('KF_KUBECONFIG_INVALID', `${field} is not written on one line`, { hint: 'rewrite the kubeconfig with `kubectl config view --raw --flatten`' });
  return source.replace(pattern, (_, indent: string) => `${indent}${replacement}`);
}

/** The kubeconfig text with the current user's embedded certificate and key replaced. */
export function replaceClientCredentials(text: string, certPem: string, keyPem: string): string {
  const fields = embeddedCredentials(currentUserEntry(text));
  const withCert = replaceLine(text, 'client-certificate-data', fields.cert, `client-certificate-data: ${b64(certPem)}`);
  return replaceLine(withCert, 'client-key-data', fields.key, `client-key-data: ${b64(keyPem)}`);
}

/**
 * The kubeconfig text with the current user's embedded certificate and key replaced by
 * `client-certificate` and `client-key` naming `file` (a PEM holding both, as the kubelet's
 * kubelet-client-current.pem). A user that already names `file` for both is returned unchanged.
 */
export function referClientCredentialsTo(text: string, file: string): string {
  const user = currentUserEntry(text);
  const hasData = user['client-certificate-data'] !== undefined || user['client-key-data'] !== undefined;
  if (!hasData && user['client-certificate'] === file && user['client-key'] === file) return text;
  if (user['client-certificate'] !== undefined || user['client-key'] !== undefined) {
    throw validationError('KF_KUBECONFIG_INVALID', 'the current user names client certificate or key files besides or instead of its embedded ones', {
      hint: `set client-certificate and client-key of the current user to ${file} by hand (\`kubectl config set-credentials\`)`,
    });
  }
  const fields = embeddedCredentials(user);
  const withCert = replaceLine(text, 'client-certificate-data', fields.cert, `client-certificate: ${yamlScalar(file)}`);
  return replaceLine(withCert, 'client-key-data', fields.key, `client-key: ${yamlScalar(file)}`);
}
