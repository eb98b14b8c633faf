/**
 * `--config FILE` → the internal InitConfig / JoinConfig, as kubeadm's
 * util/config/initconfiguration.go and joinconfiguration.go do it: split the documents, route
 * each by apiVersion/kind, strictly decode the kubeadm kinds, convert v1beta3, default, apply the
 * flags, then the dynamic defaults (node name, advertise address). Pure: the caller reads the file.
 * Validation is a separate step (validateInitConfig / validateJoinConfig).
 */
import { validationError } from '../errors.js';
import { decodeObject, isPlainObject, type Decoded, type DecodeIssue } from './decode.js';
import { kubeletConfiguration, kubeProxyConfiguration } from './componentconfigs.js';
import { toClusterConfiguration, toInitConfiguration, toJoinConfiguration } from './convert.js';
import { applyInitFlags, applyJoinFlags, type InitFlags, type JoinFlags } from './flags.js';
import { isUnspecifiedIP, parseIP } from './net.js';
import {
  IGNORED_KUBEADM_KINDS,
  KUBEADM_GROUP,
  KUBEADM_SCHEMAS,
  KUBELET_API_VERSION,
  KUBE_PROXY_API_VERSION,
  OLD_KUBEADM_VERSIONS,
  V1BETA3,
  V1BETA4,
  type KubeadmKind,
  type KubeadmVersion,
} from './schemas.js';
import type { InitConfig, JoinConfig } from './types.js';
import { parseYamlDocuments } from './yaml.js';

export interface LoadOptions {
  /** The text of the --config file, read by the caller through the Host. */
  configText?: string;
  /** The file's path, used in messages. */
  configPath?: string;
  hostname: string;
  /** The address kubeadm would pick from the default route; used when none is configured. */
  defaultAdvertiseAddress: string;
  /** Receives kubeadm's non-fatal warnings (ignored documents). */
  warn?: (message: string) => void;
}

export interface LoadInitOptions extends LoadOptions {
  flags: InitFlags;
}

export interface LoadJoinOptions extends LoadOptions {
  flags: JoinFlags;
}

type DocumentKind = KubeadmKind | 'KubeletConfiguration' | 'KubeProxyConfiguration';

interface RoutedDocument {
  kind: DocumentKind;
  apiVersion: string;
  version: 'v1beta4' | 'v1beta3';
  index: number;
  raw: Record<string, unknown>;
}

const INIT_KINDS: DocumentKind[] = ['InitConfiguration', 'ClusterConfiguration', 'KubeletConfiguration', 'KubeProxyConfiguration'];
const JOIN_KINDS: DocumentKind[] = ['JoinConfiguration', 'KubeletConfiguration'];

export function loadInitConfig(options: LoadInitOptions): InitConfig {
  const docs = routeDocuments(options, INIT_KINDS);
  const source = sourceName(options);
  if (options.configText !== undefined && !docs.has('InitConfiguration') && !docs.has('ClusterConfiguration')) {
    throw validationError('KF_CONFIG_NO_KUBEADM_KIND', `${source}: no InitConfiguration or ClusterConfiguration kind was found in the YAML file`, {
      hint: `Add a document with apiVersion: ${V1BETA4} and kind: InitConfiguration (see \`kubeforge config print init-defaults\`).`,
    });
  }
  const initDoc = docs.get('InitConfiguration');
  const clusterDoc = docs.get('ClusterConfiguration');
  const init = decode(initDoc, source);
  const cluster = decode(clusterDoc, source);
  const base: InitConfig = {
    init: toInitConfiguration(init, initDoc?.version ?? 'v1beta4', options.hostname, '', clusterDoc?.version === 'v1beta3' ? cluster : undefined),
    cluster: toClusterConfiguration(cluster, clusterDoc?.version ?? 'v1beta4'),
    kubelet: {},
    kubeProxy: {},
  };
  const cfg = applyInitFlags(base, options.flags);
  // SetAPIEndpointDynamicDefaults: no address, or 0.0.0.0 / ::, means "the default interface's address".
  cfg.init.localAPIEndpoint.advertiseAddress = dynamicAdvertiseAddress(cfg.init.localAPIEndpoint.advertiseAddress, options.defaultAdvertiseAddress);
  cfg.init.nodeRegistration.name = cfg.init.nodeRegistration.name || options.hostname.toLowerCase();
  cfg.kubelet = kubeletConfiguration(docs.get('KubeletConfiguration')?.raw, cfg.cluster);
  cfg.kubeProxy = kubeProxyConfiguration(docs.get('KubeProxyConfiguration')?.raw, cfg.cluster, cfg.init.localAPIEndpoint.advertiseAddress);
  return cfg;
}

export function loadJoinConfig(options: LoadJoinOptions): JoinConfig {
  const docs = routeDocuments(options, JOIN_KINDS);
  const source = sourceName(options);
  if (options.configText !== undefined && !docs.has('JoinConfiguration')) {
    throw validationError('KF_CONFIG_NO_KUBEADM_KIND', `${source}: no JoinConfiguration kind was found in the YAML file`, {
      hint: `Add a document with apiVersion: ${V1BETA4} and kind: JoinConfiguration (see \`kubeforge config print join-defaults\`).`,
    });
  }
  const joinDoc = docs.get('JoinConfiguration');
  const base: JoinConfig = {
    join: toJoinConfiguration(decode(joinDoc, source), joinDoc?.version ?? 'v1beta4', options.hostname),
    kubelet: structuredClone(docs.get('KubeletConfiguration')?.raw ?? {}),
  };
  const cfg = applyJoinFlags(base, options.flags);
  cfg.join.nodeRegistration.name = cfg.join.nodeRegistration.name || options.hostname.toLowerCase();
  const endpoint = cfg.join.controlPlane?.localAPIEndpoint;
  if (endpoint) endpoint.advertiseAddress = dynamicAdvertiseAddress(endpoint.advertiseAddress, options.defaultAdvertiseAddress);
  return cfg;
}

function dynamicAdvertiseAddress(configured: string, fallback: string): string {
  if (configured === '') return fallback;
  const ip = parseIP(configured);
  return ip && isUnspecifiedIP(ip) ? fallback : configured;
}

function sourceName(options: LoadOptions): string {
  return options.configPath ?? '--config';
}

function decode(doc: RoutedDocument | undefined, source: string): Decoded | undefined {
  if (!doc) return undefined;
  const issues: DecodeIssue[] = [];
  const schema = KUBEADM_SCHEMAS[doc.apiVersion as KubeadmVersion][doc.kind as KubeadmKind];
  const decoded = decodeObject(doc.raw, schema, issues);
  if (issues.length > 0) {
    const where = `${source}: document ${doc.index} (${doc.apiVersion}, Kind=${doc.kind})`;
    const first = issues[0]!;
    const code = first.kind === 'unknown-field' ? 'KF_CONFIG_UNKNOWN_FIELD' : 'KF_CONFIG_FIELD_TYPE';
    throw validationError(code, `${where}: ${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`, {
      details: issues.map((issue) => `${where}: ${issue.message}`),
      hint: `Check the field names and types against the ${doc.kind} reference for ${doc.apiVersion} (\`kubeforge config print init-defaults\` shows the shape).`,
    });
  }
  return decoded;
}

/** Splits, checks apiVersion/kind of every document, and indexes them by kind. */
function routeDocuments(options: LoadOptions, accepted: DocumentKind[]): Map<DocumentKind, RoutedDocument> {
  const routed = new Map<DocumentKind, RoutedDocument>();
  if (options.configText === undefined) return routed;
  const source = sourceName(options);
  const documents = parseYamlDocuments(options.configText, source);
  documents.forEach((raw, i) => {
    const index = i + 1;
    const where = `${source}: document ${index}`;
    if (!isPlainObject(raw)) {
      throw validationError('KF_CONFIG_NOT_AN_OBJECT', `${where}: expected a mapping with apiVersion and kind, got ${Array.isArray(raw) ? 'a list' : typeof raw}`);
    }
    const { apiVersion, kind } = raw;
    if (typeof apiVersion !== 'string' || typeof kind !== 'string' || apiVersion === '' || kind === '') {
      throw validationError('KF_CONFIG_MISSING_TYPE', `${where}: kind and apiVersion is mandatory information that must be specified`, {
        hint: acceptedList(accepted),
      });
    }
    const doc = routeOne(apiVersion, kind, index, raw, accepted, where, options.warn);
    if (!doc) return;
    const previous = routed.get(doc.kind);
    if (previous) {
      throw validationError('KF_CONFIG_DUPLICATE_KIND', `${where}: kind ${doc.kind} is specified twice in the YAML (documents ${previous.index} and ${index})`, {
        hint: `Keep one ${doc.kind} document.`,
      });
    }
    routed.set(doc.kind, doc);
  });
  return routed;
}

function routeOne(
  apiVersion: string,
  kind: string,
  index: number,
  raw: Record<string, unknown>,
  accepted: DocumentKind[],
  where: string,
  warn: ((message: string) => void) | undefined,
): RoutedDocument | undefined {
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  const gvk = `${apiVersion}, Kind=${kind}`;
  if (group === KUBEADM_GROUP) {
    const migrateWith = OLD_KUBEADM_VERSIONS[apiVersion];
    if (migrateWith) {
      throw validationError('KF_CONFIG_OLD_API_VERSION', `${where}: your configuration file uses an old API spec: "${apiVersion}" (kind: "${kind}"). Please use kubeadm ${migrateWith} instead and run 'kubeadm config migrate --old-config old.yaml --new-config new.yaml', which will write the new, similar spec using a newer API version.`, {
        hint: `Supported kubeadm API versions: ${V1BETA4}, ${V1BETA3}.`,
      });
    }
    if (apiVersion !== V1BETA4 && apiVersion !== V1BETA3) {
      throw validationError('KF_CONFIG_UNKNOWN_API_VERSION', `${where}: unknown kubeadm API version "${apiVersion}" (kind ${kind}); accepted: ${V1BETA4}, ${V1BETA3}`, {
        hint: acceptedList(accepted),
      });
    }
    if (accepted.includes(kind as DocumentKind)) {
      return { kind: kind as DocumentKind, apiVersion, version: apiVersion === V1BETA4 ? 'v1beta4' : 'v1beta3', index, raw };
    }
    if (kind in KUBEADM_SCHEMAS[V1BETA4] || IGNORED_KUBEADM_KINDS.includes(kind)) {
      warn?.(`[config] WARNING: Ignored configuration document with GroupVersionKind ${gvk}`);
      return undefined;
    }
    throw unknownKind(where, gvk, accepted);
  }
  const componentVersions: Partial<Record<DocumentKind, string>> = {
    KubeletConfiguration: KUBELET_API_VERSION,
    KubeProxyConfiguration: KUBE_PROXY_API_VERSION,
  };
  const expected = componentVersions[kind as DocumentKind];
  if (expected !== undefined && accepted.includes(kind as DocumentKind)) {
    if (apiVersion !== expected) {
      throw validationError('KF_CONFIG_UNKNOWN_API_VERSION', `${where}: unsupported apiVersion "${apiVersion}" for ${kind}; accepted: ${expected}`, {
        hint: acceptedList(accepted),
      });
    }
    return { kind: kind as DocumentKind, apiVersion, version: 'v1beta4', index, raw };
  }
  throw unknownKind(where, gvk, accepted);
}

function unknownKind(where: string, gvk: string, accepted: DocumentKind[]) {
  return validationError('KF_CONFIG_UNKNOWN_KIND', `${where}: unsupported configuration document ${gvk}`, { hint: acceptedList(accepted) });
}

function acceptedList(accepted: DocumentKind[]): string {
  const versions: Record<DocumentKind, string> = {
    InitConfiguration: `${V1BETA4} or ${V1BETA3}`,
    ClusterConfiguration: `${V1BETA4} or ${V1BETA3}`,
    JoinConfiguration: `${V1BETA4} or ${V1BETA3}`,
    KubeletConfiguration: KUBELET_API_VERSION,
    KubeProxyConfiguration: KUBE_PROXY_API_VERSION,
  };
  return `Accepted documents: ${accepted.map((kind) => `${kind} (${versions[kind]})`).join(', ')}.`;
}
