/**
 * Which checks `init` and `join` run, in kubeadm's order (preflight/checks.go: InitNodeChecks,
 * JoinNodeChecks, addCommonChecks, plus RunRootCheckOnly first).
 */
import { KUBERNETES_VERSION } from '../config/defaults.js';
import type { InitConfig } from '../config/types.js';
import { MANIFESTS_DIR, KUBERNETES_DIR, PKI_DIR } from '../host/index.js';
import { dirAvailableCheck, fileAvailableCheck, fileExistingCheck, ipv4ForwardCheck, ipv6ForwardCheck } from './checks/files.js';
import { hostnameCheck, httpProxyCheck, httpProxyCIDRCheck } from './checks/network.js';
import {
  ETCD_LISTEN_CLIENT_PORT, ETCD_LISTEN_PEER_PORT, KUBE_CONTROLLER_MANAGER_PORT, KUBE_SCHEDULER_PORT, KUBELET_PORT, portCheckAddress, portOpenCheck,
} from './checks/ports.js';
import { isPrivilegedUserCheck, kubernetesVersionCheck, memCheck, numCPUCheck, swapCheck } from './checks/resources.js';
import { resumableFileCheck, resumablePortCheck } from './checks/resume.js';
import { criCheck, etcdBinaryCheck, neededWithRuntime } from './checks/runtime.js';
import { systemVerificationCheck } from './checks/system-verification.js';
import { isIPv4, isIPv6, parseCIDR } from './ip.js';
import type { Check, ChecklistOptions, JoinPreflightConfig } from './types.js';

export const CONTROL_PLANE_COMPONENTS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd'] as const;

interface ControlPlaneInputs {
  advertiseAddress: string;
  bindPort: number;
  kubernetesVersion: string;
  serviceSubnet: string;
  podSubnet: string;
}

function splitList(list: string): string[] {
  return list.split(',').map((s) => s.trim()).filter(Boolean);
}

/** FileContent checks for the address families in use (kubeadm's addIPv4Checks/addIPv6Checks). */
function forwardingChecks(criSocket: string, addresses: string[], cidrs: string[]): Check[] {
  const v4 = addresses.some(isIPv4) || cidrs.some((c) => parseCIDR(c)?.v4 === true);
  const v6 = addresses.some(isIPv6) || cidrs.some((c) => parseCIDR(c)?.v4 === false);
  return [...(v4 ? [ipv4ForwardCheck()] : []), ...(v6 ? [ipv6ForwardCheck()] : [])].map((check) => neededWithRuntime(check, criSocket));
}

/** The node checks of init and join (kubeadm's addCommonChecks, minus kubelet and image tooling). */
function commonChecks(criSocket: string, nodeName: string, advertiseAddress: string): Check[] {
  return [criCheck(criSocket), swapCheck(), systemVerificationCheck(), hostnameCheck(nodeName), portOpenCheck(KUBELET_PORT, advertiseAddress)];
}

function controlPlaneChecks(cp: ControlPlaneInputs): Check[] {
  return [
    numCPUCheck(),
    memCheck(),
    kubernetesVersionCheck(cp.kubernetesVersion, KUBERNETES_VERSION),
    portOpenCheck(cp.bindPort, cp.advertiseAddress),
    portOpenCheck(KUBE_SCHEDULER_PORT, cp.advertiseAddress),
    portOpenCheck(KUBE_CONTROLLER_MANAGER_PORT, cp.advertiseAddress),
    ...CONTROL_PLANE_COMPONENTS.map((component) => fileAvailableCheck(`${MANIFESTS_DIR}/${component}.yaml`)),
    httpProxyCheck(cp.advertiseAddress),
    httpProxyCIDRCheck([...splitList(cp.serviceSubnet), ...splitList(cp.podSubnet)]),
  ];
}

function localEtcdChecks(advertiseAddress: string, dataDir: string): Check[] {
  return [
    etcdBinaryCheck(),
    portOpenCheck(ETCD_LISTEN_CLIENT_PORT, advertiseAddress),
    portOpenCheck(ETCD_LISTEN_PEER_PORT, advertiseAddress),
    dirAvailableCheck(dataDir),
  ];
}

export function initChecks(cfg: InitConfig, options: ChecklistOptions): Check[] {
  const { nodeRegistration, localAPIEndpoint } = cfg.init;
  const { networking, etcd } = cfg.cluster;
  const advertiseAddress = localAPIEndpoint.advertiseAddress;
  const external = etcd.external;
  const checks = [
    ...(options.rootIsSlash ? [isPrivilegedUserCheck()] : []),
    ...controlPlaneChecks({
      advertiseAddress,
      bindPort: localAPIEndpoint.bindPort,
      kubernetesVersion: cfg.cluster.kubernetesVersion,
      serviceSubnet: networking.serviceSubnet,
      podSubnet: networking.podSubnet,
    }),
    ...commonChecks(nodeRegistration.criSocket, nodeRegistration.name, advertiseAddress),
    ...forwardingChecks(nodeRegistration.criSocket, [advertiseAddress], [...splitList(networking.serviceSubnet), ...splitList(networking.podSubnet)]),
    ...(etcd.local ? localEtcdChecks(advertiseAddress, etcd.local.dataDir) : []),
    ...(external
      ? [external.caFile, external.certFile, external.keyFile].filter(Boolean).map((file) => fileExistingCheck(file, 'ExternalEtcdClientCertificates'))
      : []),
  ];
  const root = options.resumeRoot;
  if (!root) return checks;
  return checks.map((check) => {
    const port = /^Port-(\d+)$/.exec(check.name)?.[1];
    if (port) return resumablePortCheck(check, root, portCheckAddress(advertiseAddress), Number(port));
    if (check.name.startsWith('FileAvailable--etc-kubernetes-manifests-') || check.name.startsWith('DirAvailable-')) return resumableFileCheck(check);
    return check;
  });
}

function discoveryHost(endpoint: string | undefined): string | undefined {
  if (!endpoint) return undefined;
  const bracketed = /^\[([^\]]+)\]:\d+$/.exec(endpoint);
  if (bracketed) return bracketed[1];
  const colon = endpoint.lastIndexOf(':');
  return colon > 0 && endpoint.indexOf(':') === colon ? endpoint.slice(0, colon) : undefined;
}

export function joinChecks(cfg: JoinPreflightConfig, options: ChecklistOptions): Check[] {
  const discovery = discoveryHost(cfg.discoveryEndpoint);
  const cp = cfg.controlPlane;
  return [
    ...(options.rootIsSlash ? [isPrivilegedUserCheck()] : []),
    fileAvailableCheck(`${KUBERNETES_DIR}/kubelet.conf`),
    fileAvailableCheck(`${KUBERNETES_DIR}/bootstrap-kubelet.conf`),
    ...commonChecks(cfg.criSocket, cfg.nodeName, cfg.advertiseAddress),
    ...(cp ? [] : [fileAvailableCheck(cfg.caCertPath ?? `${PKI_DIR}/ca.crt`)]),
    ...(discovery ? [httpProxyCheck(discovery), ...forwardingChecks(cfg.criSocket, [discovery], [])] : []),
    ...(cp
      ? [
          ...controlPlaneChecks({
            advertiseAddress: cfg.advertiseAddress,
            bindPort: cp.bindPort,
            kubernetesVersion: cp.kubernetesVersion ?? KUBERNETES_VERSION,
            serviceSubnet: cp.serviceSubnet ?? '',
            podSubnet: cp.podSubnet ?? '',
          }),
          ...(cp.localEtcdDataDir ? localEtcdChecks(cfg.advertiseAddress, cp.localEtcdDataDir) : []),
        ]
      : []),
  ];
}
