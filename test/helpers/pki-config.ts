/**
 * Support for PKI tests (and other folders' tests that need a PKI): a defaulted configuration for a
 * node on its own loopback address, and openssl run through the host's process runner.
 */
import { defaultInitConfig } from '../../src/config/defaults.js';
import type { EncryptionAlgorithm, InitConfig } from '../../src/config/types.js';
import type { Host } from '../../src/host/index.js';

export function testInitConfig(algorithm: EncryptionAlgorithm = 'ECDSA-P256', nodeName = 'node-a', advertiseAddress = '127.0.0.2'): InitConfig {
  const cfg = defaultInitConfig(nodeName, advertiseAddress);
  cfg.cluster.encryptionAlgorithm = algorithm;
  return cfg;
}

/** Runs the openssl CLI; throws with its stderr when it fails. */
export async function openssl(host: Host, args: string[], input?: string): Promise<string> {
  const result = await host.processes.run('openssl', args, input === undefined ? {} : { input });
  if (result.exitCode !== 0) throw new Error(`openssl ${args.join(' ')} failed (${result.exitCode}): ${result.stderr}${result.stdout}`);
  return result.stdout;
}
