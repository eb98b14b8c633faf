/** kubeadm's join command lines (cmd/kubeadm/app/cmd/util/join.go), printed by init and `token create --print-join-command`. */
import type { InitConfig } from '../config/types.js';
import { controlPlaneEndpointURL } from '../kubeconfig/index.js';

export interface JoinCommands {
  worker: string;
  /** Present when --upload-certs stored the control-plane certificates. */
  controlPlane?: string;
}

/** The join commands for an API server `host:port` (or `https://host:port`), a token and the CA pins. */
export function joinCommandsFor(endpoint: string, token: string, caCertHashes: string[], certificateKey?: string): JoinCommands {
  const hostPort = endpoint.replace(/^https:\/\//, '').replace(/\/$/, '');
  const worker = [`kubeforge join ${hostPort} --token ${token}`, ...caCertHashes.map((h) => `--discovery-token-ca-cert-hash ${h}`)].join(' \\\n\t');
  return certificateKey ? { worker, controlPlane: `${worker} \\\n\t--control-plane --certificate-key ${certificateKey}` } : { worker };
}

export function joinCommands(cfg: InitConfig, caCertHashes: string[], certificateKey?: string): JoinCommands {
  return joinCommandsFor(controlPlaneEndpointURL(cfg), cfg.init.bootstrapTokens[0]?.token ?? '', caCertHashes, certificateKey);
}
