/**
 * The API server's EncryptionConfiguration (--encryption-provider-config): Secrets encrypted in
 * etcd with aescbc under a key generated here, identity second so data written before encryption
 * was turned on stays readable (upstream's documented migration order). The file holds a key, so
 * it lives in the certificates dir at 0600, and upload-certs copies it to joining control-plane
 * nodes: every API server of a cluster must hold the same key.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { InitConfig } from '../config/types.js';
import type { Host } from '../host/index.js';
import type { Logger } from '../log.js';
import type { EnsureResult } from './ensure.js';

export const ENCRYPTION_CONFIG_BASENAME = 'encryption-config.yaml';

/** The configuration text for one 32-byte AES key named `name`. */
export function encryptionConfiguration(name: string, key: Buffer): string {
  return [
    'apiVersion: apiserver.config.k8s.io/v1',
    'kind: EncryptionConfiguration',
    'resources:',
    '- resources:',
    '  - secrets',
    '  providers:',
    '  - aescbc:',
    '      keys:',
    `      - name: ${name}`,
    `        secret: ${key.toString('base64')}`,
    '  - identity: {}',
    '',
  ].join('\n');
}

/**
 * Writes the configuration with a new random key unless the file exists (then it is kept as is),
 * or the user's apiServer extraArgs set --encryption-provider-config themselves.
 */
export async function ensureEncryptionConfig(host: Host, cfg: InitConfig, log: Logger): Promise<EnsureResult | 'skipped'> {
  if (cfg.cluster.apiServer.extraArgs.some((arg) => arg.name === 'encryption-provider-config')) return 'skipped';
  const file = path.posix.join(cfg.cluster.certificatesDir, ENCRYPTION_CONFIG_BASENAME);
  if (await host.files.exists(file)) {
    log.info('[certs] Using the existing encryption configuration');
    return 'reused';
  }
  log.info('[certs] Generating the encryption key for Secrets at rest');
  await host.files.writeFile(file, encryptionConfiguration('key1', randomBytes(32)), { mode: 0o600 });
  return 'created';
}
