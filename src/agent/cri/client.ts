/**
 * A CRI v1 client (RuntimeService + ImageService) over the runtime's unix socket, with
 * @grpc/grpc-js and the schema in templates/cri/runtime-v1.proto. Every call has a deadline, so a
 * runtime that stops answering turns into an error, never a hang. Messages use the proto's field
 * names in camelCase; enums come back as their names, int64 as numbers.
 */
import path from 'node:path';
import { KubeforgeError } from '../../errors.js';
import { TEMPLATES_DIR } from '../../host/index.js';
import { socketPath } from './layout.js';
import type * as grpc from '@grpc/grpc-js';

type Message = Record<string, unknown>;
type Unary = (request: Message, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (err: grpc.ServiceError | null, response?: Message) => void) => grpc.ClientUnaryCall;

export const RUNTIME_SERVICE_METHODS = [
  'Version', 'RunPodSandbox', 'StopPodSandbox', 'RemovePodSandbox', 'PodSandboxStatus', 'ListPodSandbox',
  'CreateContainer', 'StartContainer', 'StopContainer', 'RemoveContainer', 'ListContainers', 'ContainerStatus',
  'ExecSync', 'Exec', 'Attach', 'PortForward', 'Status',
] as const;
export const IMAGE_SERVICE_METHODS = ['ListImages', 'ImageStatus', 'PullImage', 'RemoveImage'] as const;
export type CriMethod = (typeof RUNTIME_SERVICE_METHODS)[number] | (typeof IMAGE_SERVICE_METHODS)[number];

/** The gRPC status of a failed call: NOT_FOUND is 5, DEADLINE_EXCEEDED 4, UNAVAILABLE 14. */
export class CriError extends Error {
  constructor(
    readonly method: CriMethod,
    readonly code: number,
    readonly details: string,
  ) {
    super(`CRI ${method}: ${details}`);
    this.name = 'CriError';
  }
}

export const GRPC_NOT_FOUND = 5;
export const GRPC_UNAVAILABLE = 14;

/** Long calls: pulling an image and stopping a container with a grace period. */
const LONG_CALLS: Partial<Record<CriMethod, number>> = { PullImage: 15 * 60_000, StopContainer: 0, StopPodSandbox: 5 * 60_000, RemovePodSandbox: 5 * 60_000, ExecSync: 0 };

export class CriClient {
  private constructor(
    readonly endpoint: string,
    private readonly runtime: grpc.Client,
    private readonly image: grpc.Client,
    private readonly grpcModule: typeof grpc,
    private readonly timeoutMs: number,
  ) {}

  /** Connects lazily: the first call dials. `timeoutMs` bounds every short call (10 s). */
  static async connect(endpoint: string, timeoutMs = 10_000): Promise<CriClient> {
    const [grpcModule, loader] = await Promise.all([import('@grpc/grpc-js'), import('@grpc/proto-loader')]);
    const definition = await loader.load(path.join(TEMPLATES_DIR, 'cri', 'runtime-v1.proto'), { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true });
    const pkg = grpcModule.loadPackageDefinition(definition) as unknown as { runtime: { v1: Record<string, grpc.ServiceClientConstructor> } };
    const address = `unix://${socketPath(endpoint)}`;
    const options = { 'grpc.max_receive_message_length': 16 * 1024 * 1024 + 1024 };
    const credentials = grpcModule.credentials.createInsecure();
    return new CriClient(
      endpoint,
      new pkg.runtime.v1.RuntimeService!(address, credentials, options),
      new pkg.runtime.v1.ImageService!(address, credentials, options),
      grpcModule,
      timeoutMs,
    );
  }

  /**
   * Calls one method. `timeoutMs` overrides the default deadline (0: a call's own long limit applies);
   * `signal` cancels the call (a pull from an unreachable registry must not hold an agent's stop).
   */
  call<T = Message>(method: CriMethod, request: Message = {}, timeoutMs?: number, signal?: AbortSignal): Promise<T> {
    const client = (IMAGE_SERVICE_METHODS as readonly string[]).includes(method) ? this.image : this.runtime;
    const fn = (client as unknown as Record<string, Unary>)[method[0]!.toLowerCase() + method.slice(1)]!.bind(client);
    const limit = timeoutMs ?? LONG_CALLS[method] ?? this.timeoutMs;
    const options: grpc.CallOptions = limit > 0 ? { deadline: new Date(Date.now() + limit) } : {};
    return new Promise<T>((resolve, reject) => {
      const cancel = () => call.cancel();
      const call = fn(request, new this.grpcModule.Metadata(), options, (err, response) => {
        signal?.removeEventListener('abort', cancel);
        if (err) reject(new CriError(method, err.code, err.details || err.message));
        else resolve(response as T);
      });
      if (signal?.aborted) cancel();
      else signal?.addEventListener('abort', cancel, { once: true });
    });
  }

  /** `crictl version`: runtime name and version; throws a coded error naming the socket when nothing answers. */
  async version(timeoutMs = 5000): Promise<VersionInfo> {
    try {
      return await this.call<VersionInfo>('Version', { version: 'v1' }, timeoutMs);
    } catch (err) {
      throw new KubeforgeError('KF_CRI_UNAVAILABLE', `the container runtime at ${this.endpoint} does not answer: ${(err as Error).message}`, {
        cause: err,
        hint: 'start the runtime, or set nodeRegistration.criSocket (--cri-socket) to a runtime that runs',
      });
    }
  }

  close(): void {
    this.runtime.close();
    this.image.close();
  }
}

export interface VersionInfo {
  version: string;
  runtimeName: string;
  runtimeVersion: string;
  runtimeApiVersion: string;
}
