import { describe, expect, it } from 'vitest';
import { kubeletLogLocation } from './podlogs.js';

const pod = (containers: string[]) => ({ metadata: { name: 'etcd-cp1', namespace: 'kube-system' }, spec: { nodeName: 'cp1', containers: containers.map((name) => ({ name })) } });
const node = {
  metadata: { name: 'cp1' },
  status: { addresses: [{ type: 'InternalIP', address: '127.0.0.2' }, { type: 'Hostname', address: 'cp1' }], daemonEndpoints: { kubeletEndpoint: { Port: 10250 } } },
};
const preferred = ['InternalIP', 'ExternalIP', 'Hostname'];

describe('kubeletLogLocation', () => {
  it('targets the kubelet containerLogs endpoint on the preferred address, passing the log options on', () => {
    const query = new URLSearchParams('tailLines=5&follow=true&pretty=true');
    expect(kubeletLogLocation(pod(['etcd']), node, query, preferred)).toEqual({ host: '127.0.0.2', port: 10250, path: '/containerLogs/kube-system/etcd-cp1/etcd?follow=true&tailLines=5' });
    expect(kubeletLogLocation(pod(['etcd']), node, new URLSearchParams(), ['Hostname', 'InternalIP']).host).toBe('cp1');
  });

  it('requires a container name when the pod has several, and a valid one', () => {
    expect(() => kubeletLogLocation(pod(['a', 'b']), node, new URLSearchParams(), preferred)).toThrow('a container name must be specified for pod etcd-cp1, choose one of: [a b]');
    expect(() => kubeletLogLocation(pod(['a']), node, new URLSearchParams('container=c'), preferred)).toThrow('container c is not valid for pod etcd-cp1');
    expect(kubeletLogLocation(pod(['a', 'b']), node, new URLSearchParams('container=b'), preferred).path).toBe('/containerLogs/kube-system/etcd-cp1/b');
  });
});
