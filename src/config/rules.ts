/**
 * Field validators shared by init and join, one per rule of kubeadm's
 * apis/kubeadm/validation/validation.go (messages kept verbatim where kubeadm has one).
 */
import { parseGoDurationNs } from './duration.js';
import { CRI_SOCKET_URL_SCHEME } from './defaults.js';
import { invalid, redactToken, required, type FieldErrors } from './fielderrors.js';
import {
  dns1123SubdomainErrors,
  isUnspecifiedIP,
  parseHostPort,
  parseIP,
  parsePort,
  wildcardDns1123SubdomainErrors,
} from './net.js';
import type { APIEndpoint, Arg, NodeRegistration, Taint } from './types.js';
import { BOOTSTRAP_GROUP_PATTERN, BOOTSTRAP_TOKEN_PATTERN, BOOTSTRAP_TOKEN_USAGES, isBootstrapGroup, isBootstrapToken, isBootstrapTokenUsage } from '../token/index.js';

const CA_CERT_HASH_PATTERN = /^sha256:[0-9a-f]{64}$/i;
const CERTIFICATE_KEY_BYTES = 32;
const TAINT_EFFECTS: Taint['effect'][] = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];

export function validateNodeName(errors: FieldErrors, name: string, path: string): void {
  if (name === '') {
    required(errors, path, "--node-name or .nodeRegistration.name in the config file is a required value. It seems like this value couldn't be automatically detected in your environment, please specify the desired value using the CLI or config file.");
    return;
  }
  for (const problem of dns1123SubdomainErrors(name)) invalid(errors, `${path}.name`, name, problem);
}

export function validateNodeRegistration(errors: FieldErrors, nro: NodeRegistration, path: string): void {
  validateNodeName(errors, nro.name, path);
  validateCRISocket(errors, nro.criSocket, `${path}.criSocket`);
  validateExtraArgs(errors, nro.kubeletExtraArgs, `${path}.kubeletExtraArgs`);
  if (!PULL_POLICIES.includes(nro.imagePullPolicy)) invalid(errors, `${path}.imagePullPolicy`, nro.imagePullPolicy, `invalid pull policy; must be one of ${PULL_POLICIES.join(', ')}`);
  validateTaints(errors, nro.taints ?? [], `${path}.taints`);
  validateIgnorePreflightErrors(errors, nro.ignorePreflightErrors, `${path}.ignorePreflightErrors`);
}

/** kubeadm leaves taints to the API server; the same checks here fail before anything is written. */
function validateTaints(errors: FieldErrors, taints: Taint[], path: string): void {
  taints.forEach((taint, i) => {
    if (taint.key === '') required(errors, `${path}[${i}].key`, 'a taint needs a key');
    if (!TAINT_EFFECTS.includes(taint.effect)) invalid(errors, `${path}[${i}].effect`, taint.effect, `supported values: ${TAINT_EFFECTS.map((e) => `"${e}"`).join(', ')}`);
  });
}

export function validateIgnorePreflightErrors(errors: FieldErrors, names: string[], path: string): void {
  const lower = new Set(names.map((n) => n.toLowerCase()));
  if (lower.has('all') && lower.size > 1) invalid(errors, path, [...lower].sort().join(','), "don't specify individual checks if 'all' is used");
}

export function validateCRISocket(errors: FieldErrors, socket: string, path: string): void {
  if (socket === '') return invalid(errors, path, socket, 'empty CRI socket');
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(socket)?.[1] ?? '';
  if (scheme !== CRI_SOCKET_URL_SCHEME) invalid(errors, path, socket, `only URL scheme "${CRI_SOCKET_URL_SCHEME}" is supported, got "${scheme}"`);
}

export function validateExtraArgs(errors: FieldErrors, args: Arg[], path: string): void {
  args.forEach((arg, i) => {
    if (arg.name === '') invalid(errors, path, `index ${i}`, 'argument has no name');
  });
}

export function validateAPIEndpoint(errors: FieldErrors, endpoint: APIEndpoint, path: string): void {
  const ip = parseIP(endpoint.advertiseAddress);
  if (!ip) invalid(errors, `${path}.advertiseAddress`, endpoint.advertiseAddress, 'ip address is not valid');
  else if (isUnspecifiedIP(ip)) invalid(errors, `${path}.advertiseAddress`, endpoint.advertiseAddress, 'the advertise address must be a specific IP, not the unspecified address');
  if (parsePort(String(endpoint.bindPort)) === undefined) invalid(errors, `${path}.bindPort`, endpoint.bindPort, 'port number is not valid (1-65535)');
}

export function validateCertificateKey(errors: FieldErrors, key: string, path: string): void {
  if (key === '') return;
  if (!/^([0-9a-fA-F]{2})*$/.test(key)) return invalid(errors, path, '<redacted>', 'certificate key decoding error: the key must be hex-encoded');
  if (key.length / 2 !== CERTIFICATE_KEY_BYTES) {
    invalid(errors, path, '<redacted>', `invalid certificate key size ${key.length / 2}, the key must be an AES key of size ${CERTIFICATE_KEY_BYTES}`);
  }
}

/** The token format of src/token; the secret never appears in the message. */
export function validateToken(errors: FieldErrors, token: string, path: string): void {
  if (!isBootstrapToken(token)) {
    invalid(errors, path, redactToken(token), `the bootstrap token is invalid; the expected format is ${BOOTSTRAP_TOKEN_PATTERN} (e.g. abcdef.0123456789abcdef)`);
  }
}

export function validateTokenUsages(errors: FieldErrors, usages: string[], path: string): void {
  const bad = usages.filter((u) => !isBootstrapTokenUsage(u));
  if (bad.length > 0) invalid(errors, path, usages, `invalid bootstrap token usage string: ${bad.join(',')}, valid usage options: ${BOOTSTRAP_TOKEN_USAGES.join(',')}`);
}

export function validateTokenGroups(errors: FieldErrors, usages: string[], groups: string[], path: string): void {
  if (groups.length > 0 && !usages.includes('authentication')) {
    invalid(errors, path, groups, 'token groups cannot be specified unless --usages includes "authentication"');
  }
  for (const group of groups) {
    if (!isBootstrapGroup(group)) invalid(errors, path, groups, `bootstrap group "${group}" is invalid (must match ${BOOTSTRAP_GROUP_PATTERN.source})`);
  }
}

export function validateDuration(errors: FieldErrors, value: string, path: string): bigint | undefined {
  const ns = parseGoDurationNs(value);
  if (ns === undefined) invalid(errors, path, value, 'time: invalid duration; expected a Go duration such as "24h0m0s", "90m" or "30s"');
  return ns;
}

export function validateCertSANs(errors: FieldErrors, names: string[], path: string): void {
  for (const name of names) {
    const dns = dns1123SubdomainErrors(name);
    const wildcard = wildcardDns1123SubdomainErrors(name);
    if (dns.length > 0 && wildcard.length > 0 && !parseIP(name)) {
      invalid(errors, path, name, `altname is not a valid IP address, DNS label or a DNS label with subdomain wildcards: ${dns.join('; ')}; ${wildcard.join('; ')}`);
    }
  }
}

export function validateHostPort(errors: FieldErrors, endpoint: string, path: string): void {
  if (endpoint !== '' && !parseHostPort(endpoint)) invalid(errors, path, endpoint, 'endpoint is not valid; expected host[:port] with host an IP address or DNS name and port 1-65535');
}

export function validateAbsolutePath(errors: FieldErrors, path: string, fieldPath: string): void {
  if (!path.startsWith('/')) invalid(errors, fieldPath, path, 'path is not absolute');
}

export function validateCACertHashes(errors: FieldErrors, hashes: string[], path: string): void {
  for (const hash of hashes) {
    if (!CA_CERT_HASH_PATTERN.test(hash)) invalid(errors, path, hash, 'invalid CA certificate hash; expected "sha256:" followed by 64 hex digits (the SHA-256 of the CA\'s DER SubjectPublicKeyInfo)');
  }
}

// distribution/reference's ReferenceRegexp, applied to `<repository>/name:tag` as kubeadm does.
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const IMAGE_REFERENCE = new RegExp(`^(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*(?::[\\w][\\w.-]{0,127})?$`);

export function validateImageRepository(errors: FieldErrors, repository: string, path: string): void {
  if (!IMAGE_REFERENCE.test(`${repository}/name:tag`)) invalid(errors, path, repository, 'invalid image repository format');
}
