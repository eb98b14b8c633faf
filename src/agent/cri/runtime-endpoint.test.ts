import { describe, expect, it } from 'vitest';
import { createHost } from '../../host/index.js';
import { FakeSystem } from '../../host/fake-system.js';
import { chooseRuntime, kubeletFlags, kubeletFlagsEnv, parseKubeletFlagsEnv } from './runtime-endpoint.js';

describe('the node runtime choice and kubeadm-flags.env', () => {
  it('writes the flags sorted by name, as kubeadm 1.32 does, and reads them back', () => {
    const text = kubeletFlagsEnv(kubeletFlags('unix:///r/run/kubeforge/containerd/containerd.sock', '127.0.0.3', 'w1'));
    expect(text).toBe('KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///r/run/kubeforge/containerd/containerd.sock --hostname-override=w1 --node-ip=127.0.0.3 --pod-infra-container-image=registry.k8s.io/pause:3.10"\n');
    expect(parseKubeletFlagsEnv(text)['container-runtime-endpoint']).toBe('unix:///r/run/kubeforge/containerd/containerd.sock');
  });

  it('uses the configured socket when a runtime listens there, else the node containerd when installed', async () => {
    const system = new FakeSystem();
    const host = { ...createHost('/r'), system };
    system.state.binaries.set('containerd', '/usr/bin/containerd');
    expect(await chooseRuntime(host, 'unix:///run/containerd/containerd.sock')).toMatchObject({ endpoint: 'unix:///r/run/kubeforge/containerd/containerd.sock', privateRuntime: true });
    system.state.sockets.set('/run/containerd/containerd.sock', 'listening');
    expect(await chooseRuntime(host, 'unix:///run/containerd/containerd.sock')).toMatchObject({ endpoint: 'unix:///run/containerd/containerd.sock', privateRuntime: false });
  });

  it('keeps the configured socket when there is no runtime at all', async () => {
    const host = { ...createHost('/r'), system: new FakeSystem() };
    const choice = await chooseRuntime(host, 'unix:///run/containerd/containerd.sock');
    expect(choice).toMatchObject({ endpoint: 'unix:///run/containerd/containerd.sock', privateRuntime: false });
    expect(choice.note).toContain('containerd is not installed');
  });
});
