import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRequest, runCommand, type ApiRequest, type TestCluster } from '../helpers/apiserver-harness.js';
import { startClusterWithNewestClients, type ClientRunner } from '../helpers/newest-clients.js';
import { assertPythonKubernetes, SYSTEM_PYTHON } from '../helpers/python-client.js';

let cluster: TestCluster;
let kubectl135: ClientRunner;
const admin = (path: string, request: ApiRequest = {}) => apiRequest(cluster.url, cluster.pki, path, { client: cluster.pki.admin, ...request });

beforeAll(async () => {
  ({ cluster, kubectl135 } = await startClusterWithNewestClients());
});
afterAll(async () => {
  await cluster?.stop();
});

describe('batch/v1 Job and CronJob', () => {
  it('kubectl 1.32 create job (protobuf body) gets upstream\'s defaults, selector and pod labels', async () => {
    const res = await cluster.kubectl(['create', 'job', 'once', '--image=busybox', '--', 'true']);
    expect(res.stderr).toBe('');
    expect(res.stdout).toBe('job.batch/once created\n');
    const job = JSON.parse((await cluster.kubectl(['get', 'job', 'once', '-o', 'json'])).stdout);
    expect(job.spec).toMatchObject({ completions: 1, parallelism: 1, backoffLimit: 6, completionMode: 'NonIndexed', suspend: false, podReplacementPolicy: 'TerminatingOrFailed' });
    expect(job.spec.selector).toEqual({ matchLabels: { 'batch.kubernetes.io/controller-uid': job.metadata.uid } });
    expect(job.spec.template.metadata.labels).toMatchObject({ 'job-name': 'once', 'batch.kubernetes.io/job-name': 'once', 'controller-uid': job.metadata.uid });
    const table = await cluster.kubectl(['get', 'jobs']);
    expect(table.stdout).toMatch(/^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\nonce\s+Running\s+0\/1\s+\S+$/m);
  });

  it('kubectl 1.35 create cronjob, listed with its schedule', async () => {
    const res = await kubectl135(['create', 'cronjob', 'nightly', '--image=busybox', '--schedule=0 3 * * *', '--', 'date']);
    expect(res.stderr).toBe('');
    expect(res.stdout).toBe('cronjob.batch/nightly created\n');
    const cj = JSON.parse((await kubectl135(['get', 'cj', 'nightly', '-o', 'json'])).stdout);
    expect(cj.spec).toMatchObject({ concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 });
    expect((await kubectl135(['get', 'cronjobs'])).stdout).toMatch(/^nightly\s+0 3 \* \* \*\s+<none>\s+False\s+0\s+<none>\s+\S+$/m);
    expect((await cluster.kubectl(['api-resources', '--api-group=batch'])).stdout).toMatch(/^cronjobs\s+cj\s+batch\/v1\s+true\s+CronJob$/m);
  });

  it('refuses a Job whose pods restart Always and a CronJob without a schedule (422 with upstream\'s field paths)', async () => {
    const job = await admin('/apis/batch/v1/namespaces/default/jobs', { method: 'POST', body: { metadata: { name: 'bad' }, spec: { template: { spec: { restartPolicy: 'Always', containers: [{ name: 'c', image: 'busybox' }] } } } } });
    expect(job.status).toBe(422);
    expect(job.json.message).toContain('spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"');
    const cj = await admin('/apis/batch/v1/namespaces/default/cronjobs', { method: 'POST', body: { metadata: { name: 'bad' }, spec: { jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } } } } });
    expect(cj.status).toBe(422);
    expect(cj.json.message).toContain('spec.schedule: Required value');
  });

  it("Debian's python3-kubernetes lists and watches Jobs", async () => {
    assertPythonKubernetes();
    const script = `
import sys
from kubernetes import client, config, watch
config.load_kube_config(config_file=sys.argv[1])
batch = client.BatchV1Api()
listed = batch.list_namespaced_job("default")
print("jobs:", ",".join(j.metadata.name for j in listed.items))
batch.create_namespaced_job("default", client.V1Job(metadata=client.V1ObjectMeta(name="from-python"), spec=client.V1JobSpec(template=client.V1PodTemplateSpec(spec=client.V1PodSpec(restart_policy="Never", containers=[client.V1Container(name="c", image="busybox")])))))
w = watch.Watch()
for event in w.stream(batch.list_namespaced_job, "default", resource_version=listed.metadata.resource_version, timeout_seconds=10):
    print("event:", event["type"], event["object"].metadata.name, event["object"].spec.backoff_limit)
    w.stop()
`;
    const res = await runCommand(SYSTEM_PYTHON, ['-c', script, cluster.kubeconfig], { timeoutMs: 30_000 });
    expect(res.stderr).toBe('');
    expect(res.stdout).toBe('jobs: once\nevent: ADDED from-python 6\n');
  });
});
