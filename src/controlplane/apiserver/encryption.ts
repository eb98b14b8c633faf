/**
 * Encryption at rest (--encryption-provider-config), as upstream's
 * k8s.io/apiserver/pkg/server/options/encryptionconfig and storage/value/encrypt: an
 * EncryptionConfiguration lists, per resource, providers in order. The first encrypts every
 * write; reads try each provider whose prefix the stored value carries, and `identity` (no
 * prefix) reads plain values, so data written before encryption was turned on stays readable.
 * Stored layouts are upstream's, byte for byte, so an upstream API server reads kubeforge's etcd:
 *   aescbc  `k8s:enc:aescbc:v1:<key name>:` ‖ IV(16) ‖ AES-CBC(PKCS#7)
 *   aesgcm  `k8s:enc:aesgcm:v1:<key name>:` ‖ nonce(12) ‖ AES-GCM ciphertext ‖ tag(16), the etcd key as additional data
 * secretbox (XSalsa20-Poly1305) and kms are refused with a clear error: Node's crypto has no
 * XSalsa20, and kubeforge runs no KMS plugin.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import yaml from 'js-yaml';
import { KubeforgeError } from '../../errors.js';
import { RESOURCES } from './resources.js';

/** Turns stored bytes of one etcd key into what etcd holds, and back. */
export interface ValueTransformer {
  toStorage(key: string, value: Buffer): Buffer;
  fromStorage(key: string, value: Buffer): Buffer;
}

interface Provider {
  /** Empty for identity: it matches every value. */
  prefix: Buffer;
  seal(key: string, plain: Buffer): Buffer;
  open(key: string, sealed: Buffer): Buffer;
}

const invalid = (message: string) =>
  new KubeforgeError('KF_APISERVER_ENCRYPTION_CONFIG', `--encryption-provider-config: ${message}`, {
    hint: 'see https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/ (aescbc, aesgcm or identity providers)',
  });

const ENCRYPTED = Buffer.from('k8s:enc:');

/** Reads plain values only: encrypted data under a key this server lacks must fail, not decode as garbage (upstream's identity transformer). */
const identity: Provider = {
  prefix: Buffer.alloc(0),
  seal: (_key, plain) => plain,
  open: (_key, sealed) => {
    if (sealed.subarray(0, ENCRYPTED.length).equals(ENCRYPTED)) throw new Error('identity transformer tried to read encrypted data');
    return sealed;
  },
};

function aesKey(name: string, secret: unknown, provider: string): Buffer {
  const key = typeof secret === 'string' ? Buffer.from(secret, 'base64') : Buffer.alloc(0);
  if (![16, 24, 32].includes(key.length)) throw invalid(`${provider} key "${name}" must be a base64 16, 24 or 32-byte AES key`);
  return key;
}

function aescbc(name: string, key: Buffer): Provider {
  const cipher = `aes-${key.length * 8}-cbc`;
  return {
    prefix: Buffer.from(`k8s:enc:aescbc:v1:${name}:`),
    seal: (_k, plain) => {
      const iv = randomBytes(16);
      const c = createCipheriv(cipher, key, iv);
      return Buffer.concat([iv, c.update(plain), c.final()]);
    },
    open: (_k, sealed) => {
      const d = createDecipheriv(cipher, key, sealed.subarray(0, 16));
      return Buffer.concat([d.update(sealed.subarray(16)), d.final()]);
    },
  };
}

function aesgcm(name: string, key: Buffer): Provider {
  const cipher = `aes-${key.length * 8}-gcm` as 'aes-256-gcm';
  return {
    prefix: Buffer.from(`k8s:enc:aesgcm:v1:${name}:`),
    seal: (k, plain) => {
      const nonce = randomBytes(12);
      const c = createCipheriv(cipher, key, nonce).setAAD(Buffer.from(k));
      return Buffer.concat([nonce, c.update(plain), c.final(), c.getAuthTag()]);
    },
    open: (k, sealed) => {
      const d = createDecipheriv(cipher, key, sealed.subarray(0, 12)).setAAD(Buffer.from(k));
      d.setAuthTag(sealed.subarray(sealed.length - 16));
      return Buffer.concat([d.update(sealed.subarray(12, sealed.length - 16)), d.final()]);
    },
  };
}

const KEYED: Record<string, (name: string, key: Buffer) => Provider> = { aescbc, aesgcm };

function providersOf(entry: Record<string, unknown>, at: string): Provider[] {
  const names = Object.keys(entry);
  if (names.length !== 1) throw invalid(`${at} must name exactly one provider, found ${names.length}`);
  const kind = names[0] as string;
  if (kind === 'identity') return [identity];
  const build = KEYED[kind];
  if (!build) throw invalid(`${at}: provider "${kind}" is not supported by kubeforge's API server (use aescbc or aesgcm)`);
  const keys = (entry[kind] as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw invalid(`${at}.${kind}.keys must list at least one key`);
  return keys.map((k: { name?: unknown; secret?: unknown }, i) => {
    if (typeof k?.name !== 'string' || k.name === '' || k.name.includes(':')) throw invalid(`${at}.${kind}.keys[${i}].name must be a non-empty name without ':'`);
    return build(k.name, aesKey(k.name, k.secret, kind));
  });
}

/** The etcd key prefixes an EncryptionConfiguration resource name covers (`secrets`, `deployments.apps`, `*.apps`, `*.*`). */
function keyPrefixes(resource: string, etcdRoot: string): string[] {
  const dot = resource.indexOf('.');
  const [plural, group] = dot < 0 ? [resource, ''] : [resource.slice(0, dot), resource.slice(dot + 1)];
  return RESOURCES.filter((t) => !t.virtual && (plural === '*' || t.plural === plural) && (group === '*' || t.group === group)).map((t) => `${etcdRoot}/${t.etcdPrefix}/`);
}

interface Rule {
  prefixes: string[];
  providers: Provider[];
}

/** Parses the file's text; every mistake is an error naming the field (the server does not start). */
export function parseEncryptionConfiguration(text: string, etcdRoot: string): ValueTransformer {
  let doc: unknown;
  try {
    doc = yaml.load(text, { schema: yaml.CORE_SCHEMA });
  } catch (err) {
    throw invalid(`not YAML or JSON: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  const config = doc as { kind?: unknown; apiVersion?: unknown; resources?: unknown } | null;
  if (config?.kind !== 'EncryptionConfiguration' || (config.apiVersion !== 'apiserver.config.k8s.io/v1' && config.apiVersion !== 'apiserver.config.k8s.io/v1beta1')) {
    throw invalid('expected kind EncryptionConfiguration, apiVersion apiserver.config.k8s.io/v1');
  }
  if (!Array.isArray(config.resources) || config.resources.length === 0) throw invalid('resources must list at least one entry');
  const rules: Rule[] = config.resources.map((entry: { resources?: unknown; providers?: unknown }, i) => {
    if (!Array.isArray(entry?.resources) || entry.resources.some((r) => typeof r !== 'string')) throw invalid(`resources[${i}].resources must be a list of resource names`);
    if (!Array.isArray(entry.providers) || entry.providers.length === 0) throw invalid(`resources[${i}].providers must list at least one provider`);
    return {
      prefixes: (entry.resources as string[]).flatMap((r) => keyPrefixes(r, etcdRoot)),
      providers: entry.providers.flatMap((p: Record<string, unknown>, j) => providersOf(p ?? {}, `resources[${i}].providers[${j}]`)),
    };
  });
  return prefixTransformer(rules);
}

function prefixTransformer(rules: Rule[]): ValueTransformer {
  // The first rule naming a resource wins, as upstream.
  const ruleFor = (key: string) => rules.find((r) => r.prefixes.some((p) => key.startsWith(p)));
  return {
    toStorage(key, value) {
      const provider = ruleFor(key)?.providers[0];
      return provider ? Buffer.concat([provider.prefix, provider.seal(key, value)]) : value;
    },
    fromStorage(key, value) {
      const rule = ruleFor(key);
      if (!rule) return value;
      for (const provider of rule.providers) {
        if (!value.subarray(0, provider.prefix.length).equals(provider.prefix)) continue;
        try {
          return provider.open(key, value.subarray(provider.prefix.length));
        } catch {
          // Upstream tries the next provider with a matching prefix (a rotated key of the same name).
        }
      }
      throw new Error(`no matching prefix found for the data stored at ${key}: it is encrypted with a key this API server does not have`);
    },
  };
}
