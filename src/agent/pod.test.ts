import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { canonicalJson, parseStaticPod, podProblems, staticPodUid } from './pod.js';

const manifest = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'kube-scheduler', namespace: 'kube-system' },
  spec: { hostNetwork: true, containers: [{ name: 'kube-scheduler', image: 'registry.k8s.io/kube-scheduler:v1.32.0', command: ['kube-scheduler', '--v=2'] }] },
};
const SOURCE = '/etc/kubernetes/manifests/kube-scheduler.yaml';

describe('static pod manifests', () => {
  it('names a static pod <name>-<node> and gives it a 32-hex-digit uid', () => {
    const parsed = parseStaticPod(yaml.dump(manifest), SOURCE, 'cp1');
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.pod.pod.metadata).toMatchObject({ name: 'kube-scheduler-cp1', namespace: 'kube-system' });
    expect(parsed.pod.pod.metadata.uid).toMatch(/^[0-9a-f]{32}$/);
  });

  it('keeps the uid when only key order or formatting changes, and changes it with the content, node or file', () => {
    const uid = staticPodUid('cp1', SOURCE, manifest);
    const reordered = { spec: manifest.spec, metadata: { namespace: 'kube-system', name: 'kube-scheduler' }, kind: 'Pod', apiVersion: 'v1' };
    expect(staticPodUid('cp1', SOURCE, reordered)).toBe(uid);
    expect(staticPodUid('cp2', SOURCE, manifest)).not.toBe(uid);
    expect(staticPodUid('cp1', '/etc/kubernetes/manifests/other.yaml', manifest)).not.toBe(uid);
    const edited = { ...manifest, spec: { ...manifest.spec, containers: [{ ...manifest.spec.containers[0], command: ['kube-scheduler', '--v=4'] }] } };
    expect(staticPodUid('cp1', SOURCE, edited)).not.toBe(uid);
  });

  it('defaults the namespace to default', () => {
    const parsed = parseStaticPod(yaml.dump({ ...manifest, metadata: { name: 'x' } }), SOURCE, 'n');
    expect(parsed.ok && parsed.pod.pod.metadata.namespace).toBe('default');
  });

  it('rejects YAML that does not parse', () => {
    expect(parseStaticPod('kind: Pod\nspec: [', SOURCE, 'n')).toEqual({ ok: false, reason: expect.stringMatching(/^invalid YAML: /) });
  });

  it('lists every problem of an object that is not a runnable pod', () => {
    expect(podProblems({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'Bad_Name' }, spec: { containers: [] } })).toEqual([
      'expected apiVersion v1, kind Pod; got v1, Service',
      'metadata.name must be a DNS subdomain',
      'spec.containers must list at least one container',
    ]);
    expect(podProblems({ ...manifest, spec: { containers: [{ name: 'a', image: '' }, { name: 'a', image: 'x', command: [1] }] } })).toEqual([
      'spec.containers[0].image is required',
      'spec.containers[0]: command is required (the agent has no image entrypoints)',
      'spec.containers[1].command must be a list of strings',
      'container names must be unique',
    ]);
    expect(podProblems('just a string')).toEqual(['the manifest is not a YAML object']);
  });

  it('serialises objects with sorted keys and without undefined fields', () => {
    expect(canonicalJson({ b: 1, a: [{ d: undefined, c: 'x' }] })).toBe('{"a":[{"c":"x"}],"b":1}');
  });
});
