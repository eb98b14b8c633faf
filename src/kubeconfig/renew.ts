/**
 * Renewing the client certificate embedded in a kubeconfig (kubeadm's kubeConfigReadWriter): only
 * the current user's client-certificate-data and client-key-data change; every other byte of the
 * file (server, CA, names, anything a user added) stays as it was.
 */
import yaml from 'js-yaml';
import { validationError } from '../errors.js';
import { parseKubeconfig } from './kubeconfig.js';

const b64 = (text: string): string => Buffer.from(text).toString('base64');

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The raw (base64) credential fields of the current context's user, as written in the file. */
function currentUserFields(text: string): { cert: string; key: string } {
  const config = parseKubeconfig(text);
  const context = config.contexts.find((c) => c.name === config.currentContext);
  const doc = yaml.load(text) as Obj;
  const entry = (doc.users as unknown[] | undefined)?.find((u) => isObj(u) && u.name === context?.user);
  const user = isObj(entry) && isObj(entry.user) ? entry.user : {};
  const cert = user['client-certificate-data'];
  const key = user['client-key-data'];
  if (typeof cert !== 'string' || typeof key !== 'string') {
    throw validationError('KF_KUBECONFIG_NO_CLIENT_CERT', 'the current user has no embedded client certificate and key', {
      hint: 'only kubeconfigs with client-certificate-data and client-key-data (as kubeforge writes them) can be renewed',
    });
  }
  return { cert, key };
}

/** The kubeconfig text with the current user's embedded certificate and key replaced. */
export function replaceClientCredentials(text: string, certPem: string, keyPem: string): string {
  const fields = currentUserFields(text);
  const swap = (source: string, field: string, from: string, to: string) => {
    const pattern = new RegExp(`^([ \\t]*${field}:[ \\t]*)${from.replace(/[+/=]/g, '\\$&')}[ \\t]*$`, 'm');
    if (!pattern.test(source)) throw validationError('KF_KUBECONFIG_INVALID', `${field} is not written on one line`, { hint: 'rewrite the kubeconfig with `kubectl config view --raw --flatten`' });
    return source.replace(pattern, (_, prefix: string) => `${prefix}${to}`);
  };
  return swap(swap(text, 'client-certificate-data', fields.cert, b64(certPem)), 'client-key-data', fields.key, b64(keyPem));
}
