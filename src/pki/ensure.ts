/**
 * kubeadm's reuse rules for the certificate table, per row:
 * - a valid certificate with its matching key is reused untouched;
 * - a CA certificate with its key signs the missing leaves;
 * - a CA certificate without its key is external-CA mode: its leaves must already exist and be valid;
 * - anything inconsistent on disk is a coded error naming the file.
 * `ensureCertificates` runs the whole table concurrently (keys generate in parallel) and still logs
 * in table order.
 */
import type { KeyObject } from 'node:crypto';
import path from 'node:path';
import type { InitConfig } from '../config/types.js';
import { KubeforgeError, validationError } from '../errors.js';
import type { Host } from '../host/index.js';
import type { Logger } from '../log.js';
import type { CertificateInfo } from './certificate.js';
import { loadCertificate } from './certificate.js';
import {
  assertCurrentlyValid, assertIsCA, assertKeyMatches, assertSignedBy, tryLoadCertificateFile, tryLoadPrivateKeyFile,
  writeCertificate, writePrivateKey, writePublicKey,
} from './files.js';
import { certificateTemplate, signCertificate } from './issue.js';
import { encodePrivateKeyPem, encodePublicKeyPem, generatePrivateKey, prefetchPrivateKeys, spkiDer } from './keys.js';
import { certificatePaths, certificatesFor, certificateSpec, type CertificateSpec, type CertName } from './table.js';
import { pemDecode } from './x509.js';

/** 'skipped': an etcd row while etcd is external (kubeadm prints "External etcd mode: Skipping …"). */
export type EnsureResult = 'created' | 'reused' | 'skipped';

interface PairOnDisk {
  paths: { cert: string; key: string };
  cert: CertificateInfo | undefined;
  key: KeyObject | undefined;
}

async function readPair(host: Host, cfg: InitConfig, spec: CertificateSpec): Promise<PairOnDisk> {
  const paths = certificatePaths(cfg, spec);
  const [cert, key] = await Promise.all([tryLoadCertificateFile(host, paths.cert), tryLoadPrivateKeyFile(host, paths.key)]);
  return { paths, cert, key };
}

/** Writes key then certificate: after a crash in between, the next run reuses the key. */
async function writePair(host: Host, pair: PairOnDisk, key: KeyObject, certPem: string): Promise<void> {
  if (!pair.key) await writePrivateKey(host, pair.paths.key, encodePrivateKeyPem(key));
  await writeCertificate(host, pair.paths.cert, certPem);
}

async function ensureCA(host: Host, cfg: InitConfig, spec: CertificateSpec, log: Logger): Promise<EnsureResult> {
  const pair = await readPair(host, cfg, spec);
  if (pair.cert) {
    assertCurrentlyValid(host, pair.cert, pair.paths.cert, host.clock.now(), (m) => log.warn(m));
    assertIsCA(host, pair.cert, pair.paths.cert);
    if (pair.key) {
      assertKeyMatches(host, pair.key, pair.paths.key, pair.cert, pair.paths.cert);
      log.info(`[certs] Using existing ${spec.baseName} certificate authority`);
    } else {
      log.info(`[certs] Using existing ${spec.baseName} keyless certificate authority`);
    }
    return 'reused';
  }
  const key = pair.key ?? (await generatePrivateKey(cfg.cluster.encryptionAlgorithm));
  log.info(`[certs] Generating "${spec.baseName}" certificate and key`);
  await writePair(host, pair, key, signCertificate(certificateTemplate(spec, cfg, host.clock.now()), key));
  return 'created';
}

async function ensureLeaf(host: Host, cfg: InitConfig, spec: CertificateSpec, log: Logger, caReady: Promise<unknown>): Promise<EnsureResult> {
  const caSpec = certificateSpec(spec.caName!);
  const pair = await readPair(host, cfg, spec);
  // Start the (slow) key generation before waiting for the CA: the key does not depend on it.
  const pendingKey = !pair.cert && !pair.key ? generatePrivateKey(cfg.cluster.encryptionAlgorithm) : undefined;
  pendingKey?.catch(() => {});
  await caReady;
  const ca = await readPair(host, cfg, caSpec);
  if (!ca.cert) {
    throw new KubeforgeError('KF_CERT_CA_MISSING', `cannot ensure "${spec.name}": CA certificate ${host.files.resolve(ca.paths.cert)} does not exist`, {
      hint: `run \`kubeforge init phase certs ${caSpec.name}\` first, or put the CA certificate (and key) there`,
    });
  }
  const now = host.clock.now();
  if (pair.cert) {
    assertCurrentlyValid(host, pair.cert, pair.paths.cert, now, (m) => log.warn(m));
    assertSignedBy(host, pair.cert, pair.paths.cert, ca.cert, ca.paths.cert);
    if (!pair.key) {
      throw validationError('KF_CERT_KEY_MISSING', `certificate ${host.files.resolve(pair.paths.cert)} exists but its key ${host.files.resolve(pair.paths.key)} does not`, {
        hint: 'restore the key, or delete the certificate so kubeforge issues a new pair',
      });
    }
    assertKeyMatches(host, pair.key, pair.paths.key, pair.cert, pair.paths.cert);
    log.info(`[certs] Using existing ${spec.baseName} certificate and key on disk`);
    return 'reused';
  }
  if (!ca.key) {
    throw validationError(
      'KF_CERT_EXTERNAL_CA_INCOMPLETE',
      `${host.files.resolve(ca.paths.key)} is absent (external CA mode), so "${spec.name}" must be provided, but ${host.files.resolve(pair.paths.cert)} does not exist`,
      { hint: `sign ${spec.baseName}.crt/.key with your external CA and place them in ${host.files.resolve(cfg.cluster.certificatesDir)}, or provide ${caSpec.baseName}.key` },
    );
  }
  const template = certificateTemplate(spec, cfg, now);
  for (const warning of spec.altNames(cfg).warnings) log.warn(warning);
  const key = pair.key ?? (await pendingKey!);
  const certPem = signCertificate(template, key, { key: ca.key, certificate: ca.cert });
  log.info(`[certs] Generating "${spec.baseName}" certificate and key`);
  await writePair(host, pair, key, certPem);
  if (spec.usages.includes('serverAuth')) {
    const { dnsNames, ips } = loadCertificate(certPem);
    log.info(`[certs] ${spec.baseName} serving cert is signed for DNS names [${dnsNames.join(' ')}] and IPs [${ips.join(' ')}]`);
  }
  return 'created';
}

/**
 * Starts generating a key for each of `keyFiles` that does not exist yet (see prefetchPrivateKeys),
 * so the certificates and kubeconfigs a command creates draw on keys made in parallel, early.
 */
export async function prefetchMissingKeys(host: Host, cfg: InitConfig, keyFiles: string[]): Promise<void> {
  const present = await Promise.all(keyFiles.map((file) => host.files.exists(file)));
  prefetchPrivateKeys(cfg.cluster.encryptionAlgorithm, present.filter((exists) => !exists).length);
}

/** Makes sure one table row's certificate and key exist and are valid (kubeadm `init phase certs <name>`). */
export async function ensureCertificate(host: Host, cfg: InitConfig, name: CertName, log: Logger): Promise<EnsureResult> {
  const spec = certificateSpec(name);
  if (spec.localEtcdOnly && cfg.cluster.etcd.external !== undefined) {
    log.info(`[certs] External etcd mode: Skipping ${spec.baseName} certificate${spec.isCA ? ' authority' : ''} generation`);
    return 'skipped';
  }
  return spec.isCA ? ensureCA(host, cfg, spec, log) : ensureLeaf(host, cfg, spec, log, Promise.resolve());
}

/** A logger that holds its lines until flushed, so concurrent work still prints in table order. */
function bufferedLogger(target: Logger): Logger & { flush(): void } {
  const pending: (() => void)[] = [];
  return {
    verbosity: target.verbosity,
    info: (m) => pending.push(() => target.info(m)),
    warn: (m) => pending.push(() => target.warn(m)),
    debug: (level, m) => pending.push(() => target.debug(level, m)),
    flush: () => pending.splice(0).forEach((emit) => emit()),
  };
}

/**
 * Ensures several rows (default: every row this configuration needs) concurrently: CAs and leaf
 * keys generate in parallel, each leaf signs once its CA is ready. Logs in table order; the first
 * failure in table order is thrown after everything settled.
 */
export async function ensureCertificates(host: Host, cfg: InitConfig, log: Logger, names?: CertName[]): Promise<Partial<Record<CertName, EnsureResult>>> {
  const specs = certificatesFor(cfg).filter((spec) => !names || names.includes(spec.name));
  const done = new Map<CertName, Promise<EnsureResult>>();
  const loggers = specs.map(() => bufferedLogger(log));
  specs.forEach((spec, i) => {
    const caReady = spec.caName ? (done.get(spec.caName) ?? Promise.resolve()) : Promise.resolve();
    const task = spec.isCA ? ensureCA(host, cfg, spec, loggers[i]!) : ensureLeaf(host, cfg, spec, loggers[i]!, caReady.catch(() => {}));
    done.set(spec.name, task);
  });
  const settled = await Promise.allSettled(specs.map((spec) => done.get(spec.name)!));
  const results: Partial<Record<CertName, EnsureResult>> = {};
  for (const [i, outcome] of settled.entries()) {
    loggers[i]!.flush();
    if (outcome.status === 'rejected') throw outcome.reason;
    results[specs[i]!.name] = outcome.value;
  }
  return results;
}

/** sa.key / sa.pub: the service-account signing key pair (no certificate). */
export async function ensureServiceAccountKeys(host: Host, cfg: InitConfig, log: Logger): Promise<EnsureResult> {
  const keyPath = path.posix.join(cfg.cluster.certificatesDir, 'sa.key');
  const pubPath = path.posix.join(cfg.cluster.certificatesDir, 'sa.pub');
  const existing = await tryLoadPrivateKeyFile(host, keyPath);
  if (existing) {
    const expected = encodePublicKeyPem(existing);
    const pub = await host.files.tryReadFile(pubPath);
    if (pub === undefined) {
      await writePublicKey(host, pubPath, expected);
    } else if (!publicKeyPemEquals(pub.toString(), existing)) {
      throw validationError('KF_KEY_MISMATCH', `public key ${host.files.resolve(pubPath)} does not match private key ${host.files.resolve(keyPath)}`, {
        hint: 'delete sa.pub so it is derived again from sa.key (existing service-account tokens stay valid)',
      });
    }
    log.info('[certs] Using the existing "sa" key');
    return 'reused';
  }
  const key = await generatePrivateKey(cfg.cluster.encryptionAlgorithm);
  log.info('[certs] Generating "sa" key and public key');
  await writePrivateKey(host, keyPath, encodePrivateKeyPem(key));
  await writePublicKey(host, pubPath, encodePublicKeyPem(key));
  return 'created';
}

function publicKeyPemEquals(pem: string, key: KeyObject): boolean {
  const der = pemDecode(pem, ['PUBLIC KEY'])[0];
  return der !== undefined && der.equals(spkiDer(key));
}
