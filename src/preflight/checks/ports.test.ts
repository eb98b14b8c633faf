import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHost } from '../../host/index.js';
import { parseProcNetTcp } from '../port-owner.js';
import { cleanupFakeHosts, fakeHost, runCheck } from '../../../test/helpers/fake-host.js';
import { portCheckAddress, portOpenCheck } from './ports.js';

afterEach(cleanupFakeHosts);

describe('Port-<n>', () => {
  it('is named Port-<port>', () => {
    expect(portOpenCheck(6443, '127.0.0.2').name).toBe('Port-6443');
    expect(portOpenCheck(7443, '127.0.0.2').name).toBe('Port-7443');
  });

  it('tests a loopback node on its own address and any other node on every address', () => {
    expect(portCheckAddress('127.0.0.3')).toBe('127.0.0.3');
    expect(portCheckAddress('::1')).toBe('::1');
    expect(portCheckAddress('10.0.0.5')).toBe('0.0.0.0');
    expect(portCheckAddress('fd00::5')).toBe('::');
  });

  it('passes when the port is free on the node address even if another node holds it elsewhere', async () => {
    const host = fakeHost({ busyPorts: new Set(['127.0.0.2:6443']) });
    expect((await runCheck(portOpenCheck(6443, '127.0.0.3'), host)).errors).toEqual([]);
  });

  it('fails when the port is taken and says an unknown process holds it when /proc does not tell', async () => {
    const host = fakeHost({ busyPorts: new Set(['127.0.0.3:6443']) });
    expect((await runCheck(portOpenCheck(6443, '127.0.0.3'), host)).errors).toEqual([
      'Port 6443 is in use: 127.0.0.3:6443 is held by an unknown process',
    ]);
  });

  it('names the process whose socket inode is in /proc/net/tcp', async () => {
    const host = fakeHost({ busyPorts: new Set(['0.0.0.0:2379']) });
    const { files, dirs, links } = host.system.state;
    files.set('/proc/net/tcp', [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 00000000:094B 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0',
    ].join('\n'));
    files.set('/proc/77/cmdline', 'etcd\0--name\0node-1\0');
    dirs.set('/proc', ['1', '77', 'self', 'net']);
    dirs.set('/proc/1/fd', ['0']);
    dirs.set('/proc/77/fd', ['0', '5']);
    links.set('/proc/1/fd/0', '/dev/null');
    links.set('/proc/77/fd/5', 'socket:[4242]');
    expect((await runCheck(portOpenCheck(2379, '127.0.0.4'), host)).errors).toEqual([
      'Port 2379 is in use: 127.0.0.4:2379 is held by pid 77 (etcd --name node-1)',
    ]);
  });

  it('names this test process when it holds a real listener on a loopback address', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const result = await runCheck(portOpenCheck(port, '127.0.0.1'), createHost('/tmp'));
      expect(result.errors).toHaveLength(1);
      expect(result.errors[0]).toContain(`Port ${port} is in use`);
      expect(result.errors[0]).toContain(`127.0.0.1:${port} is held by pid ${process.pid} (`);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('passes on a real free port', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    expect((await runCheck(portOpenCheck(port, '127.0.0.1'), createHost('/tmp'))).errors).toEqual([]);
  });
});

describe('parseProcNetTcp', () => {
  it('decodes listening IPv4 and IPv6 sockets and skips established ones', () => {
    const tcp = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0200007F:192B 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0 100 0 0 10 0',
      '   1: 0100007F:192B 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 112 1 0 100 0 0 10 0',
    ].join('\n');
    const tcp6 = [
      '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 00000000000000000000000001000000:0FA0 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 222 1 0 100 0 0 10 0',
      '   1: 0000000000000000FFFF00000300007F:0FA0 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 333 1 0 100 0 0 10 0',
    ].join('\n');
    expect(parseProcNetTcp(tcp)).toEqual([{ address: '127.0.0.2', port: 6443, inode: '111' }]);
    expect(parseProcNetTcp(tcp6)).toEqual([
      { address: '::1', port: 4000, inode: '222' },
      { address: '127.0.0.3', port: 4000, inode: '333' },
    ]);
  });
});

describe('Port-<n> run concurrently on the same port', () => {
  it('does not mistake one check\'s test bind for a process holding the port', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    const host = createHost('/tmp');
    const results = await Promise.all(Array.from({ length: 5 }, () => runCheck(portOpenCheck(port, '127.0.0.1'), host)));
    expect(results.map((r) => r.errors)).toEqual([[], [], [], [], []]);
  });
});
