import { describe, expect, it } from 'vitest';
import { podReferences } from './nodegraph.js';

describe('what a pod makes readable to its node', () => {
  it('collects secrets and configmaps from volumes, projections, env, envFrom and pull secrets, and the service account', () => {
    const refs = podReferences({
      spec: {
        serviceAccountName: 'runner',
        imagePullSecrets: [{ name: 'pull' }],
        volumes: [
          { name: 'a', secret: { secretName: 'vol-secret' } },
          { name: 'b', configMap: { name: 'vol-cm' } },
          { name: 'c', persistentVolumeClaim: { claimName: 'data' } },
          { name: 'd', projected: { sources: [{ secret: { name: 'proj-secret' } }, { configMap: { name: 'proj-cm' } }, { serviceAccountToken: { path: 't' } }] } },
        ],
        initContainers: [{ name: 'i', envFrom: [{ secretRef: { name: 'init-env' } }] }],
        containers: [{ name: 'c', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'env-cm', key: 'k' } } }, { name: 'Y', value: 'plain' }] }],
      },
    });
    expect(refs.sort()).toEqual(
      ['configmaps/env-cm', 'configmaps/proj-cm', 'configmaps/vol-cm', 'persistentvolumeclaims/data', 'secrets/init-env', 'secrets/proj-secret', 'secrets/pull', 'secrets/vol-secret', 'serviceaccounts/runner'].sort(),
    );
  });

  it('counts the default service account when none is named', () => {
    expect(podReferences({ spec: { containers: [{ name: 'c' }] } })).toEqual(['serviceaccounts/default']);
  });
});
