import { afterEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/index.js';
import { ref } from '../common/resources.js';
import { eventually, FakeApi, runAgainstFake, stopFakes } from '../../../test/helpers/fake-api.js';
import { needsDefaultServiceAccount, rootCAAction, rootCACertPublisherController, rootCAConfigMap, serviceAccountController, type ConfigMapObject } from './serviceaccount.js';

const CA = '-----BEGIN CERTIFICATE-----\nQ0EK\n-----END CERTIFICATE-----\n';
const ns = (name: string, terminating = false): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...(terminating ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) } });

describe('serviceaccount and root-ca-cert-publisher decisions', () => {
  it('wants a default ServiceAccount in an active namespace without one', () => {
    expect(needsDefaultServiceAccount(ns('a'), undefined)).toBe(true);
    expect(needsDefaultServiceAccount(ns('a'), { metadata: { name: 'default' } })).toBe(false);
  });
  it('leaves terminating namespaces alone', () => {
    expect(needsDefaultServiceAccount(ns('a', true), undefined)).toBe(false);
    expect(rootCAAction(ns('a', true), undefined, CA)).toBe('none');
  });
  it('creates kube-root-ca.crt where it is missing and restores edited data', () => {
    expect(rootCAAction(ns('a'), undefined, CA)).toBe('create');
    expect(rootCAAction(ns('a'), rootCAConfigMap('a', CA), CA)).toBe('none');
    expect(rootCAAction(ns('a'), { ...rootCAConfigMap('a', CA), data: { 'ca.crt': 'x' } }, CA)).toBe('update');
    expect(rootCAAction(ns('a'), { ...rootCAConfigMap('a', CA), data: { 'ca.crt': CA, extra: 'y' } }, CA)).toBe('update');
  });
});

describe('serviceaccount and root-ca-cert-publisher loops (against the in-memory FakeApi)', () => {
  afterEach(stopFakes);

  it('puts default and kube-root-ca.crt in every namespace, also new ones, and restores them', async () => {
    const api = new FakeApi();
    api.put(ref('namespaces'), ns('default'));
    api.put(ref('namespaces'), ns('kube-system'));
    api.put(ref('namespaces'), ns('going', true));
    runAgainstFake(api, serviceAccountController, rootCACertPublisherController(CA));
    api.put(ref('namespaces'), ns('team'));
    const sas = () => api.all(ref('serviceaccounts')).map((s) => s.metadata.namespace).sort();
    const cms = () => api.all<ConfigMapObject>(ref('configmaps')).filter((c) => c.data?.['ca.crt'] === CA).map((c) => c.metadata.namespace).sort();
    await eventually(() => sas().length === 3 && cms().length === 3);
    expect(sas()).toEqual(['default', 'kube-system', 'team']);
    expect(cms()).toEqual(['default', 'kube-system', 'team']);
    api.remove(ref('serviceaccounts'), 'team', 'default');
    api.put(ref('configmaps'), { ...rootCAConfigMap('team', 'tampered') });
    await eventually(() => sas().length === 3 && cms().length === 3, 3000, 'restoration');
  });
});
