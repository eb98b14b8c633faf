import { describe, expect, it } from 'vitest';
import { imageRepositoryName, resolveProgram } from './images.js';

const options = {
  which: async (binary: string) => ({ etcd: '/usr/bin/etcd', node: '/usr/bin/node' })[binary],
  kubeforgeCommand: ['/usr/bin/node', '/opt/kubeforge/bin/kubeforge.js'],
};

describe('image → program', () => {
  it('runs registry.k8s.io/etcd as the etcd binary found on PATH', async () => {
    expect(await resolveProgram('registry.k8s.io/etcd:3.5.16-0', ['etcd', '--data-dir=/var/lib/etcd'], [], options)).toEqual({
      ok: true,
      program: { file: '/usr/bin/etcd', args: ['--data-dir=/var/lib/etcd'] },
    });
  });

  it('runs the control-plane images as `kubeforge component <name>` with the manifest flags and args', async () => {
    for (const name of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler']) {
      expect(await resolveProgram(`registry.k8s.io/${name}:v1.32.0`, [name, '--v=2'], ['--extra'], options)).toEqual({
        ok: true,
        program: { file: '/usr/bin/node', args: ['/opt/kubeforge/bin/kubeforge.js', 'component', name, '--v=2', '--extra'] },
      });
    }
  });

  it('ignores the registry, so a custom imageRepository maps the same way', async () => {
    const r = await resolveProgram('mirror.example.com:5000/k8s/kube-scheduler:v1.32.0', ['kube-scheduler'], [], options);
    expect(r.ok && r.program.args.slice(1, 3)).toEqual(['component', 'kube-scheduler']);
  });

  it('runs any other image only when command[0] is an absolute path or on PATH', async () => {
    expect(await resolveProgram('example.test/app:1', ['node', 'server.js'], [], options)).toEqual({ ok: true, program: { file: '/usr/bin/node', args: ['server.js'] } });
    expect(await resolveProgram('example.test/app:1', ['/bin/sh', '-c', 'true'], [], options)).toEqual({ ok: true, program: { file: '/bin/sh', args: ['-c', 'true'] } });
    expect(await resolveProgram('nginx:1.27', ['nginx'], [], options)).toMatchObject({ ok: false, reason: 'ImageNotSupported' });
    expect(await resolveProgram('example.test/app:1', ['/no/such/binary'], [], options)).toMatchObject({ ok: false, reason: 'ImageNotSupported' });
    expect(await resolveProgram('example.test/app:1', ['./relative'], [], options)).toMatchObject({ ok: false, reason: 'ImageNotSupported' });
  });

  it('says how to install etcd when it is missing', async () => {
    const r = await resolveProgram('registry.k8s.io/etcd:3.5.16-0', ['etcd'], [], { ...options, which: async () => undefined });
    expect(r).toMatchObject({ ok: false, reason: 'ImageNotSupported', message: expect.stringContaining('apt-get install etcd-server') });
  });

  it('parses repository names and rejects malformed ones', () => {
    expect(imageRepositoryName('registry.k8s.io/etcd:3.5.16-0')).toBe('etcd');
    expect(imageRepositoryName('localhost:5000/kube-apiserver')).toBe('kube-apiserver');
    expect(imageRepositoryName('registry.k8s.io/etcd@sha256:abc')).toBe('etcd');
    expect(imageRepositoryName('Bad Image')).toBeUndefined();
  });
});
