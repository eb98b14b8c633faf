/**
 * kubeadm's two addons, CoreDNS and kube-proxy, as the API objects kubeadm creates. They come
 * from templates/addons/; the values that depend on the cluster are filled in here. Their pods
 * stay Pending until a container runtime can run them.
 */
import yaml from 'js-yaml';
import { loadYamlDocuments } from '../safe-yaml.js';
import type { InitConfig } from '../config/types.js';
import { readTemplate } from '../host/index.js';
import type { KubeObject } from '../kube/index.js';

function renderTemplate(name: string, values: Record<string, string>): KubeObject[] {
  const text = readTemplate(name).replace(/\{\{([A-Z_]+)\}\}/g, (_, key: string) => {
    if (!(key in values)) throw new Error(`template ${name} has no value for {{${key}}}`);
    return JSON.stringify(values[key]);
  });
  return loadYamlDocuments(text) as KubeObject[];
}

function setData(objects: KubeObject[], name: string, data: Record<string, string>): void {
  const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name);
  if (!configMap) throw new Error(`the ${name} template has no ConfigMap ${name}`);
  configMap.data = data;
}

/** The Corefile kubeadm writes for a cluster domain. */
export function corefile(dnsDomain: string): string {
  return `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes ${dnsDomain} in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30 {
       disable success ${dnsDomain}
       disable denial ${dnsDomain}
    }
    loop
    reload
    loadbalance
}
`;
}

export function coreDNSObjects(cfg: InitConfig, dnsIP: string): KubeObject[] {
  const { dns, networking } = cfg.cluster;
  const objects = renderTemplate('addons/coredns.yaml', { IMAGE: `${dns.imageRepository}/coredns:${dns.imageTag}`, DNS_IP: dnsIP });
  setData(objects, 'coredns', { Corefile: corefile(networking.dnsDomain) });
  return objects;
}

/** The in-cluster kubeconfig kube-proxy reads with its service-account token. */
export function kubeProxyKubeconfig(serverURL: string): string {
  return yaml.dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ cluster: { 'certificate-authority': '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt', server: serverURL }, name: 'default' }],
    contexts: [{ context: { cluster: 'default', namespace: 'default', user: 'default' }, name: 'default' }],
    'current-context': 'default',
    users: [{ name: 'default', user: { tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token' } }],
  });
}

export function kubeProxyObjects(cfg: InitConfig, serverURL: string): KubeObject[] {
  const objects = renderTemplate('addons/kube-proxy.yaml', { IMAGE: `${cfg.cluster.imageRepository}/kube-proxy:${cfg.cluster.kubernetesVersion}` });
  setData(objects, 'kube-proxy', { 'config.conf': yaml.dump(cfg.kubeProxy), 'kubeconfig.conf': kubeProxyKubeconfig(serverURL) });
  return objects;
}
