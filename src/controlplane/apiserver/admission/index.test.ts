import { describe, expect, it } from 'vitest';
import { findResource, type ResourceType } from '../resources.js';
import { admissionChain, type AdmissionAttributes, type AdmissionContext } from './index.js';

const ctx: AdmissionContext = { authorize: () => ({ allowed: false, reason: '' }), rulesFor: () => [], get: async () => undefined };
const node = { name: 'system:node:w1', groups: ['system:nodes'] };
const leaseUpdate: AdmissionAttributes = {
  user: node,
  operation: 'UPDATE',
  type: findResource('coordination.k8s.io', 'v1', 'leases') as ResourceType,
  subresource: '',
  namespace: 'kube-system',
  name: 'kube-controller-manager',
};
const approval: AdmissionAttributes = {
  user: { name: 'bob', groups: [] },
  operation: 'UPDATE',
  type: findResource('certificates.k8s.io', 'v1', 'certificatesigningrequests') as ResourceType,
  subresource: 'approval',
  namespace: undefined,
  name: 'c',
  object: { spec: { signerName: 'kubernetes.io/kube-apiserver-client' } },
};

describe('the admission chain', () => {
  it('runs NodeRestriction only when --enable-admission-plugins names it', async () => {
    await expect(admissionChain([], [], ctx)(leaseUpdate)).resolves.toBeUndefined();
    await expect(admissionChain(['NodeRestriction'], [], ctx)(leaseUpdate)).rejects.toThrow('kube-node-lease');
  });

  it('runs the default-on certificate plugins unless --disable-admission-plugins names them', async () => {
    await expect(admissionChain([], [], ctx)(approval)).rejects.toThrow('user not permitted to approve requests with signerName "kubernetes.io/kube-apiserver-client"');
    await expect(admissionChain([], ['CertificateApproval'], ctx)(approval)).resolves.toBeUndefined();
  });
});
