import { describe, expect, it } from 'vitest';
import { tailOffset } from './container-logs.js';
import { mayUseKubeletApi } from './kubelet-server.js';

describe('mayUseKubeletApi', () => {
  it('allows the API server kubelet client and system:masters', () => {
    expect(mayUseKubeletApi({ user: 'kube-apiserver-kubelet-client', groups: ['kubeadm:cluster-admins'] })).toBe(true);
    expect(mayUseKubeletApi({ user: 'anyone', groups: ['system:masters'] })).toBe(true);
  });

  it('refuses nodes, other cluster admins and the kubelet client name without its group', () => {
    expect(mayUseKubeletApi({ user: 'system:node:cp1', groups: ['system:nodes'] })).toBe(false);
    expect(mayUseKubeletApi({ user: 'kubernetes-admin', groups: ['kubeadm:cluster-admins'] })).toBe(false);
    expect(mayUseKubeletApi({ user: 'kube-apiserver-kubelet-client', groups: [] })).toBe(false);
  });
});

describe('tailOffset', () => {
  const text = Buffer.from('one\ntwo\nthree\n');
  it('starts at the last N lines, ignoring the final newline', () => {
    expect(text.subarray(tailOffset(text, 1)).toString()).toBe('three\n');
    expect(text.subarray(tailOffset(text, 2)).toString()).toBe('two\nthree\n');
  });

  it('returns the whole text when it has fewer lines, and handles a last line without newline', () => {
    expect(tailOffset(text, 10)).toBe(0);
    const open = Buffer.from('a\nb');
    expect(open.subarray(tailOffset(open, 1)).toString()).toBe('b');
  });
});
