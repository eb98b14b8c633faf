/**
 * `kubeforge token create|list|delete` (kubeadm's cmd/token.go) against the API with admin.conf.
 * Every argument is validated before the first API call; token secrets never appear in errors
 * or logs (only `create`'s own stdout result carries the new token, as kubeadm's does).
 */
import { joinCommandsFor, parseCertificateKey } from '../bootstrap/index.js';
import { KubeforgeError, validationError } from '../errors.js';
import { createHost, type Host } from '../host/index.js';
import { isAlreadyExists, isNotFound, type KubeClient, type KubeObject } from '../kube/index.js';
import { currentClusterAndUser, loadKubeClient, parseKubeconfig } from '../kubeconfig/index.js';
import { createLogger, type Logger } from '../log.js';
import { caPublicKeyPin, certificatePem, pemCertificates } from '../pki/index.js';
import {
  BOOTSTRAP_TOKEN_ID_PATTERN, BOOTSTRAP_TOKEN_PATTERN, bootstrapTokenSecret, generateBootstrapToken, isBootstrapTokenId, parseBootstrapToken, redactToken, type BootstrapTokenOptions,
} from '../token/index.js';
import { bootstrapTokenFromSecret, type BootstrapTokenOutput } from './token-view.js';

export const DEFAULT_ADMIN_KUBECONFIG = '/etc/kubernetes/admin.conf';
const SECRETS = { version: 'v1', resource: 'secrets', namespace: 'kube-system' } as const;

export interface TokenCommonOptions {
  root: string;
  verbosity: number;
  /** `--kubeconfig`: an absolute path outside --root; admin.conf under --root when unset. */
  kubeconfig?: string;
  log?: Logger;
  /** For tests: the time tokens expire from. */
  now?: Date;
}

export interface TokenCreateOptions extends TokenCommonOptions {
  token?: string;
  ttl: string;
  usages: string[];
  groups: string[];
  description?: string;
  printJoinCommand: boolean;
  certificateKey?: string;
}

export interface TokenCreateResult {
  token: string;
  /** With --print-join-command: the worker command, or the control-plane one with --certificate-key. */
  joinCommand?: string;
}

/** The admin kubeconfig's host and logical path: --kubeconfig as given, or admin.conf under --root. */
function kubeconfigLocation(options: TokenCommonOptions): { host: Host; path: string } {
  return options.kubeconfig ? { host: createHost('/'), path: options.kubeconfig } : { host: createHost(options.root), path: DEFAULT_ADMIN_KUBECONFIG };
}

async function withClient<T>(options: TokenCommonOptions, use: (client: KubeClient) => Promise<T>): Promise<T> {
  const { host, path } = kubeconfigLocation(options);
  const client = await loadKubeClient(host, path);
  try {
    return await use(client);
  } finally {
    client.close();
  }
}

/** kubeadm's GetJoinWorkerCommand inputs: the current cluster's server and the pins of its CA bundle. */
async function joinCommandFromKubeconfig(options: TokenCommonOptions, token: string, certificateKey?: string): Promise<string> {
  const { host, path } = kubeconfigLocation(options);
  const { cluster } = currentClusterAndUser(parseKubeconfig((await host.files.readFile(path)).toString('utf8')));
  const caPem = cluster.certificateAuthorityData ?? (cluster.certificateAuthority ? (await host.files.readFile(cluster.certificateAuthority)).toString('utf8') : '');
  const pins = pemCertificates(caPem).map((der) => caPublicKeyPin(certificatePem(der)));
  if (pins.length === 0) {
    throw new KubeforgeError('KF_KUBECONFIG_NO_CA', `the kubeconfig ${host.files.resolve(path)} has no CA certificate for cluster "${cluster.name}"`, {
      hint: 'the join command needs the cluster CA to compute --discovery-token-ca-cert-hash; use admin.conf',
    });
  }
  const commands = joinCommandsFor(cluster.server, token, pins, certificateKey);
  return commands.controlPlane ?? commands.worker;
}

/** Validates every flag of `token create` (exit 3) and returns the Secret to create. */
export function tokenCreateRequest(options: TokenCreateOptions, now: Date): { token: string; secret: KubeObject } {
  if (options.certificateKey !== undefined) parseCertificateKey(options.certificateKey);
  const token = options.token ?? generateBootstrapToken();
  parseBootstrapToken(token);
  const spec: BootstrapTokenOptions = { ttl: options.ttl, usages: options.usages, groups: options.groups };
  if (options.description) spec.description = options.description;
  if (options.usages.length === 0) {
    throw validationError('KF_TOKEN_USAGE_INVALID', 'a bootstrap token needs at least one usage', { hint: 'use --usages signing,authentication (or one of them)' });
  }
  return { token, secret: bootstrapTokenSecret(token, spec, now) as unknown as KubeObject };
}

export async function runTokenCreate(options: TokenCreateOptions): Promise<TokenCreateResult> {
  const log = options.log ?? createLogger({ verbosity: options.verbosity });
  const { token, secret } = tokenCreateRequest(options, options.now ?? new Date());
  await withClient(options, async (client) => {
    try {
      await client.create(SECRETS, secret);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      throw new KubeforgeError('KF_TOKEN_EXISTS', `a token with id "${parseBootstrapToken(token).id}" already exists`, {
        hint: 'choose another token (or omit it to generate one), or delete the old one with `kubeforge token delete <id>`',
      });
    }
  });
  log.debug(1, `[token] created bootstrap token ${redactToken(token)}`);
  const result: TokenCreateResult = { token };
  if (options.printJoinCommand) result.joinCommand = await joinCommandFromKubeconfig(options, token, options.certificateKey);
  return result;
}

export interface TokenListResult {
  tokens: BootstrapTokenOutput[];
  /** Secrets of the token type that are not valid tokens (kubeadm prints these to stderr). */
  invalid: string[];
}

export async function runTokenList(options: TokenCommonOptions): Promise<TokenListResult> {
  const list = await withClient(options, (client) => client.list(SECRETS, { fieldSelector: 'type=bootstrap.kubernetes.io/token' }));
  const result: TokenListResult = { tokens: [], invalid: [] };
  for (const secret of list.items) {
    const token = bootstrapTokenFromSecret(secret as KubeObject & { data?: Record<string, string> });
    if (typeof token === 'string') result.invalid.push(token);
    else result.tokens.push(token);
  }
  return result;
}

/** `token delete`: each argument is a token id or a whole token; all are checked before any delete. */
export function tokenIdsToDelete(args: string[]): string[] {
  if (args.length === 0) {
    throw validationError('KF_TOKEN_DELETE_NO_ARGS', `missing subcommand; "token delete" is missing token of form "${BOOTSTRAP_TOKEN_ID_PATTERN}"`, {
      hint: 'pass one or more token ids or tokens: kubeforge token delete abcdef',
    });
  }
  return args.map((arg) => {
    if (isBootstrapTokenId(arg)) return arg;
    try {
      return parseBootstrapToken(arg).id;
    } catch {
      throw validationError('KF_TOKEN_INVALID', `given token didn't match pattern "${BOOTSTRAP_TOKEN_ID_PATTERN}" or "${BOOTSTRAP_TOKEN_PATTERN}"`, {
        hint: 'pass a token id (abcdef) or a whole token (abcdef.0123456789abcdef); see `kubeforge token list`',
      });
    }
  });
}

export async function runTokenDelete(options: TokenCommonOptions & { tokens: string[] }): Promise<string[]> {
  const ids = tokenIdsToDelete(options.tokens);
  return withClient(options, async (client) => {
    const deleted: string[] = [];
    for (const id of ids) {
      try {
        await client.delete({ ...SECRETS, name: `bootstrap-token-${id}` });
      } catch (err) {
        if (!isNotFound(err)) throw err;
        throw new KubeforgeError('KF_TOKEN_NOT_FOUND', `failed to delete bootstrap token "${id}": no such token`, {
          cause: err,
          details: deleted.map((d) => `bootstrap token "${d}" was deleted before this one`),
          hint: 'see `kubeforge token list` for the tokens that exist',
        });
      }
      deleted.push(id);
    }
    return deleted;
  });
}
