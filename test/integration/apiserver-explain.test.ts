import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestCluster } from '../helpers/apiserver-harness.js';
import { startClusterWithNewestClients, type ClientRunner } from '../helpers/newest-clients.js';

let cluster: TestCluster;
let kubectl135: ClientRunner;

beforeAll(async () => {
  ({ cluster, kubectl135 } = await startClusterWithNewestClients());
});
afterAll(async () => {
  await cluster?.stop();
});

describe('OpenAPI v3 with every nested field (kubectl explain)', () => {
  it('kubectl 1.32 and 1.35 explain deployment.spec.template.spec.containers.ports with upstream\'s descriptions', async () => {
    for (const run of [(a: string[]) => cluster.kubectl(a), (a: string[]) => kubectl135(a)]) {
      const res = await run(['explain', 'deployment.spec.template.spec.containers.ports']);
      expect(res.stderr).toBe('');
      expect(res.stdout).toMatch(/^GROUP:\s+apps$/m);
      expect(res.stdout).toMatch(/^FIELD: ports <\[\]ContainerPort>$/m);
      expect(res.stdout).toContain('List of ports to expose from the container.');
      expect(res.stdout).toMatch(/^ {2}containerPort\t<integer> -required-$/m);
      expect(res.stdout).toMatch(/^ {2}protocol\t<string>$/m);
    }
  });

  it('explains a scalar field and a whole kind with its fields', async () => {
    const replicas = await cluster.kubectl(['explain', 'deployment.spec.replicas']);
    expect(replicas.stdout).toMatch(/^FIELD: replicas <integer>$/m);
    expect(replicas.stdout).toContain('Number of desired pods.');
    const configmap = await kubectl135(['explain', 'configmap', '--recursive']);
    expect(configmap.stdout).toMatch(/^KIND:\s+ConfigMap$/m);
    expect(configmap.stdout).toMatch(/^ {4}managedFields\t<\[\]ManagedFieldsEntry>$/m);
  });

  it('reports a field that does not exist as upstream does', async () => {
    const res = await cluster.kubectl(['explain', 'deployment.spec.nonsense']);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('field "nonsense" does not exist');
  });
});
