import { describe, expect, it } from 'vitest';
import { Authorizer } from './authz.js';
import { kubeletStreamLocation, streamMode } from './pod-streams.js';

const pod = (containers: string[]) => ({ metadata: { name: 'web', namespace: 'default' }, spec: { nodeName: 'w1', containers: containers.map((name) => ({ name })) } });

describe('kubeletStreamLocation', () => {
  it('maps exec options to the kubelet query (command, input/output/error/tty = 1)', () => {
    const query = new URLSearchParams('command=sh&command=-c&command=exit 3&stdin=true&stdout=true&stderr=true&tty=false');
    const location = kubeletStreamLocation('exec', pod(['main']), query);
    expect(location.path).toBe('/exec/default/web/main?command=sh&command=-c&command=exit+3&input=1&output=1&error=1');
    expect(location.options).toEqual({ stdin: true, stdout: true, stderr: true, tty: false });
  });

  it('attaches without a command; the container is chosen as for logs', () => {
    const location = kubeletStreamLocation('attach', pod(['a', 'b']), new URLSearchParams('container=b&stdout=1&tty=1'));
    expect(location.path).toBe('/attach/default/web/b?output=1&tty=1');
    expect(() => kubeletStreamLocation('attach', pod(['a', 'b']), new URLSearchParams('stdout=true'))).toThrow('a container name must be specified for pod web, choose one of: [a b]');
    expect(() => kubeletStreamLocation('exec', pod(['a']), new URLSearchParams('container=nope&command=true&stdout=true'))).toThrow('container nope is not valid for pod web');
  });

  it('refuses a session without any stream, and an exec without a command', () => {
    expect(() => kubeletStreamLocation('exec', pod(['a']), new URLSearchParams('command=true'))).toThrow('you must specify at least 1 of stdin, stdout, stderr');
    expect(() => kubeletStreamLocation('exec', pod(['a']), new URLSearchParams('stdout=true'))).toThrow('you must specify at least one command for the container');
  });

  it('passes port-forward ports on as the kubelet expects them, and rejects bad ones', () => {
    expect(kubeletStreamLocation('portforward', pod(['a']), new URLSearchParams('ports=8080,9090')).path).toBe('/portForward/default/web?port=8080&port=9090');
    expect(kubeletStreamLocation('portforward', pod(['a']), new URLSearchParams()).path).toBe('/portForward/default/web');
    expect(() => kubeletStreamLocation('portforward', pod(['a']), new URLSearchParams('ports=70000'))).toThrow('invalid port "70000"');
  });
});

describe('streamMode', () => {
  const ws = (protocols: string) => ({ upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-protocol': protocols });
  it('translates a v5 WebSocket exec or attach to SPDY', () => {
    expect(streamMode('exec', ws('v5.channel.k8s.io, v4.channel.k8s.io')).mode).toBe('translate');
    expect(streamMode('attach', ws('v5.channel.k8s.io')).mode).toBe('translate');
  });

  it('tunnels SPDY port-forward inside a WebSocket, offering the kubelet the SPDY protocols', () => {
    expect(streamMode('portforward', ws('SPDY/3.1+portforward.k8s.io, portforward.k8s.io'))).toEqual({ mode: 'tunnel', protocols: ['portforward.k8s.io'] });
  });

  it('passes SPDY and older WebSocket protocols through unchanged', () => {
    expect(streamMode('exec', { upgrade: 'SPDY/3.1', 'x-stream-protocol-version': 'v4.channel.k8s.io' }).mode).toBe('passthrough');
    expect(streamMode('exec', ws('v4.channel.k8s.io')).mode).toBe('passthrough');
    expect(streamMode('portforward', ws('v4.channel.k8s.io')).mode).toBe('passthrough');
  });
});

describe('who may stream into pods', () => {
  it('grants nodes nothing on pods/exec, attach or portforward (their role has pods get/list/watch only)', () => {
    const empty = { values: () => [], generation: 0 };
    const caches = { clusterRoles: empty, roles: empty, clusterRoleBindings: empty, roleBindings: empty };
    const authorizer = new Authorizer(['Node', 'RBAC'], caches as never, undefined);
    const node = { name: 'system:node:w1', groups: ['system:nodes', 'system:authenticated'] };
    for (const subresource of ['exec', 'attach', 'portforward']) {
      for (const verb of ['get', 'create']) {
        const attrs = { user: node, verb, isResourceRequest: true, apiGroup: '', resource: 'pods', subresource, name: 'web', namespace: 'default', path: '' };
        expect(authorizer.authorize(attrs).allowed, `${verb} pods/${subresource}`).toBe(false);
      }
    }
    expect(authorizer.authorize({ user: node, verb: 'get', isResourceRequest: true, apiGroup: '', resource: 'pods', subresource: '', name: 'web', namespace: 'default', path: '' }).allowed).toBe(true);
  });
});
