/**
 * Issue 14, cluster DNS, through the built CLI (`npm run build` first), real containerd, runc,
 * the CNI plugins and the real kubectl: `init` on 127.0.0.162 and one worker joined on .163,
 * each with its node containerd. kubeadm's CoreDNS Deployment runs from kubeforge's bundled
 * image through the runtime and becomes Ready; from a busybox pod, service names resolve at a
 * CoreDNS pod's IP (the kube-dns ClusterIP needs kube-proxy, which is not part of this file), a
 * headless service gives its endpoints' pod IPs, SRV names a port, a missing name is NXDOMAIN at
 * once, and the pod's resolv.conf names the kube-dns ClusterIP with the cluster search list.
 *
 * The nodes' resolvConf is a file naming this machine's own address, where no DNS server
 * listens: names outside the cluster are never sent off this machine by the test.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeforge, resetRoots } from '../helpers/cli.js';
import { machineAddress, testRoots } from '../helpers/e2e-cluster.js';
import { kubectlWith, waitFor } from '../helpers/kubectl.js';
import { writeBusyboxImage } from '../helpers/images.js';

const CP = '127.0.0.162';
const WORKER = '127.0.0.163';
const IMAGE = 'docker.io/kubeforge/busybox:e2e';
const POD_NETWORK = '10.216.0.0/16';
const SERVICE_NETWORK = '10.116.0.0/16';
const DNS_IP = '10.116.0.10';

const { newRoot, cleanupAll } = testRoots();
const kubectl = kubectlWith(() => `${cp}/etc/kubernetes/admin.conf`);
const json = kubectl.json;
let cp: string;
let worker: string;
let scratch: string;

/** Runs a script in a busybox pod on the worker and returns its log once it has finished. */
async function runPod(name: string, script: string, extraSpec = ''): Promise<string> {
  const pod = `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  nodeName: worker${extraSpec}
  restartPolicy: Never
  containers:
  - name: main
    image: ${IMAGE}
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", ${JSON.stringify(script)}]
`;
  const applied = await kubectl(['apply', '-f', '-'], pod);
  expect(applied.exitCode, applied.stderr).toBe(0);
  await waitFor(`pod ${name} to finish`, async () => ['Succeeded', 'Failed'].includes((await json(['get', 'pod', name])).status.phase), 120_000);
  return (await kubectl(['logs', name])).stdout;
}

let dnsPodIP = '';

beforeAll(async () => {
  scratch = await newRoot('kf-dns-scratch-');
  const imageArchive = path.join(scratch, 'busybox.tar');
  await writeBusyboxImage(imageArchive, IMAGE);
  const resolvConf = path.join(scratch, 'resolv.conf');
  await writeFile(resolvConf, `nameserver ${machineAddress()}\nsearch example.test\n`);
  const config = path.join(scratch, 'kubeadm.yaml');
  await writeFile(config, `apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint: {advertiseAddress: ${CP}}
nodeRegistration: {name: cp1}
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
networking: {podSubnet: ${POD_NETWORK}, serviceSubnet: ${SERVICE_NETWORK}}
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
resolvConf: ${resolvConf}
`);
  cp = await newRoot('kf-dns-cp-');
  const init = await kubeforge(['init', '--root', cp, '--config', config, '--ignore-preflight-errors=all']);
  expect(init.exitCode, init.stderr.slice(-2000)).toBe(0);
  const printed = init.stdout.match(/kubeforge (join \S+ --token \S+)\s*\\?\s*(--discovery-token-ca-cert-hash sha256:[0-9a-f]{64})/);
  worker = await newRoot('kf-dns-w-');
  const join = await kubeforge([...printed![1]!.split(/\s+/), ...printed![2]!.split(/\s+/), '--root', worker, '--node-name', 'worker', '--node-ip', WORKER, '--ignore-preflight-errors', 'all']);
  expect(join.exitCode, join.stderr.slice(-2000)).toBe(0);
  const imported = await kubeforge(['images', 'import', imageArchive, '--root', worker]);
  expect(imported.exitCode, imported.stderr).toBe(0);
}, 300_000);

afterAll(async () => {
  const leftovers = await resetRoots([cp, worker].filter(Boolean));
  await cleanupAll();
  expect(leftovers).toEqual({});
}, 300_000);

describe('cluster DNS from kubeadm\'s CoreDNS Deployment', () => {
  it('runs CoreDNS from the bundled image through the runtime until its pods are Ready with pod IPs', async () => {
    const rollout = await kubectl(['-n', 'kube-system', 'rollout', 'status', 'deploy/coredns', '--timeout=240s'], undefined, 260_000);
    expect(rollout.exitCode, `${rollout.stderr}\n${(await kubectl(['-n', 'kube-system', 'describe', 'pods', '-l', 'k8s-app=kube-dns'])).stdout}`).toBe(0);
    const pods = (await json(['-n', 'kube-system', 'get', 'pods', '-l', 'k8s-app=kube-dns'])).items;
    expect(pods).toHaveLength(2);
    for (const pod of pods) {
      expect(pod.spec.containers[0].image).toBe('registry.k8s.io/coredns/coredns:v1.11.3');
      expect(pod.status.podIP).toMatch(/^10\.216\.\d+\.\d+$/);
      expect(pod.status.containerStatuses[0].ready).toBe(true);
      expect(pod.status.containerStatuses[0].containerID).toMatch(/^containerd:\/\//);
    }
    dnsPodIP = pods[0].status.podIP;
    const logs = await kubectl(['-n', 'kube-system', 'logs', pods[0].metadata.name]);
    expect(logs.stdout).toContain('.:53');
    expect(logs.stdout).toContain('CoreDNS-1.11.3');
    // Each node builds the image once, for the first CoreDNS pod that needs it there.
    const events = await kubectl(['-n', 'kube-system', 'get', 'events', '--field-selector', 'reason=Pulled']);
    expect(events.stdout).toContain('Container image "registry.k8s.io/coredns/coredns:v1.11.3" built from kubeforge\'s bundled coredns');
  }, 280_000);

  it('resolves services from a pod: ClusterIP, headless endpoints, SRV; a missing name is NXDOMAIN at once; resolv.conf is ClusterFirst; hostname/subdomain in /etc/hosts', async () => {
    const objects = `apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, protocol: TCP}]
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  ports: [{name: pg, port: 5432, protocol: TCP}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: db-manual, labels: {kubernetes.io/service-name: db}}
addressType: IPv4
endpoints:
- {addresses: [10.216.77.1], hostname: db-0, conditions: {ready: true}}
- {addresses: [10.216.77.2], conditions: {ready: true}}
ports: [{name: pg, port: 5432, protocol: TCP}]
`;
    const applied = await kubectl(['apply', '-f', '-'], objects);
    expect(applied.exitCode, applied.stderr).toBe(0);
    const web = await json(['get', 'service', 'web']);
    const script = [
      'cat /etc/resolv.conf',
      `echo ---; nslookup web.default.svc.cluster.local ${dnsPodIP}`,
      `echo ---; nslookup db.default.svc.cluster.local ${dnsPodIP}`,
      `echo ---; nslookup db-0.db.default.svc.cluster.local ${dnsPodIP}`,
      `echo ---; nslookup -type=srv _pg._tcp.db.default.svc.cluster.local ${dnsPodIP}`,
      `echo ---; time nslookup nosuch.default.svc.cluster.local ${dnsPodIP} 2>&1; echo "exit=$?"`,
      'echo ---; hostname; grep client /etc/hosts',
    ].join('; ');
    const out = (await runPod('resolver', script, '\n  hostname: client\n  subdomain: db')).split('---\n');
    console.log(out.join('---\n'));
    expect(out[0]!.trim().split('\n')).toEqual([`search default.svc.cluster.local svc.cluster.local cluster.local example.test`, `nameserver ${DNS_IP}`, 'options ndots:5']);
    expect(out[1]).toContain(`Address: ${web.spec.clusterIP}`);
    expect(out[2]).toContain('Address: 10.216.77.1');
    expect(out[2]).toContain('Address: 10.216.77.2');
    expect(out[3]).toContain('Address: 10.216.77.1');
    expect(out[3]).not.toContain('10.216.77.2');
    expect(out[4]).toMatch(/service = 0 100 5432 (db-0|10-216-77-2)\.db\.default\.svc\.cluster\.local/);
    expect(out[5]).toContain('server can\'t find nosuch.default.svc.cluster.local: NXDOMAIN');
    const real = /real\s+(\d+)m\s*([\d.]+)s/.exec(out[5]!);
    expect(Number(real![1]) * 60 + Number(real![2])).toBeLessThan(1);
    const podIP = (await json(['get', 'pod', 'resolver'])).status.podIP;
    expect(out[6]!.trim().split('\n')).toEqual(['client', `${podIP}\tclient.db.default.svc.cluster.local\tclient`]);
  }, 180_000);
});
