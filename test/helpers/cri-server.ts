/**
 * A CRI RuntimeService on a unix socket that answers Version (and fails everything else), for
 * tests of the CRI client and the pre-flight check without a containerd. Speaks real gRPC with
 * kubeforge's runtime.v1 schema.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as loader from '@grpc/proto-loader';
import { TEMPLATES_DIR } from '../../src/host/index.js';

export async function startVersionServer(version = { version: '0.1.0', runtimeName: 'fakecri', runtimeVersion: '9.9.9', runtimeApiVersion: 'v1' }): Promise<{ socket: string; close: () => Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'kf-cri-'));
  const socket = path.join(dir, 'cri.sock');
  const definition = await loader.load(path.join(TEMPLATES_DIR, 'cri', 'runtime-v1.proto'), { keepCase: false, longs: Number, enums: String, defaults: true });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as { runtime: { v1: { RuntimeService: grpc.ServiceClientConstructor } } };
  const server = new grpc.Server();
  server.addService(pkg.runtime.v1.RuntimeService.service, {
    version: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback(null, version),
  });
  await new Promise<void>((resolve, reject) => server.bindAsync(`unix://${socket}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
  return {
    socket,
    close: async () => {
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
