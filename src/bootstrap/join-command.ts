/** kubeadm's join command lines (cmd/kubeadm/app/cmd/util/join.go), printed at the end of init. */
import type { InitConfig } from '../config/types.js';
import { controlPlaneEndpointURL } from '../kubeconfig/index.js';

export interface JoinCommands {
  worker: string;
  /** Present when --upload-certs stored the control-plane certificates. */
  controlPlane?: string;
}

export function joinCommands(cfg: InitConfig, caCertHashes: string[], certificateKey?: string): JoinCommands {
  const endpoint = controlPlaneEndpointURL(cfg).replace(/^https:\/\//, '');
  const token = cfg.init.bootstrapTokens[0]?.token ?? '';
  const worker = [`kubeforge join ${endpoint} --token ${token}`, ...caCertHashes.map((h) => `--discovery-token-ca-cert-hash ${h}`)].join(' \\\n\t');
  return certificateKey ? { worker, controlPlane: `${worker} \\\n\t--control-plane --certificate-key ${certificateKey}` } : { worker };
}
