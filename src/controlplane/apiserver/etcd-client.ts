/**
 * The API server's etcd client (etcd3 over gRPC), configured as upstream's clientv3 is used by
 * kube-apiserver:
 *
 * - Message sizes: requests up to 2 MiB (clientv3's MaxCallSendMsgSize), responses of any size
 *   (MaxCallRecvMsgSize = MaxInt32), so a list larger than gRPC's default 4 MB works.
 * - Deadlines: every unary call gets one (the request timeout); streams (watches) do not.
 * - One request's failure is that request's: etcd3 treats "recoverable" errors (the
 *   RecoverableError mark: resource exhausted, deadline exceeded, unavailable, …) as a fault of
 *   the host — it closes every channel to it (everyone's calls and watches) and counts towards a
 *   circuit breaker that then fails every call for seconds. A request too large, a response over a
 *   limit, a deadline exceeded or an overloaded member ("too many requests") say nothing about
 *   the connection, so they lose the mark before etcd3's policies see them. Only the rest (the
 *   member unreachable) opens the per-host breaker, which lets calls go to the other members.
 */
import { circuitBreaker, ConsecutiveBreaker, handleWhen, type IDefaultPolicyContext, type IPolicy } from 'cockatiel';
import { Etcd3, GRPCDeadlineExceededError, GRPCResourceExhastedError, isRecoverableError, RecoverableError, type IOptions } from 'etcd3';

export interface EtcdConnection {
  servers: string[];
  ca?: Buffer | undefined;
  cert?: Buffer | undefined;
  key?: Buffer | undefined;
  /** The deadline of each unary call (upstream: the request's context, --request-timeout). */
  requestTimeoutMs: number;
}

/** clientv3's defaults. */
const MAX_SEND_BYTES = 2 * 1024 * 1024;
const MAX_RECEIVE_BYTES = 2 ** 31 - 1;
/** How long a member that failed three calls in a row is skipped before it is tried again. */
const BREAKER_HALF_OPEN_MS = 1000;

/**
 * A request or response over a size limit: etcd's --max-request-bytes ("etcdserver: request is
 * too large"), or gRPC's on either side ("received message larger than max", "Attempted to send
 * message with a size larger than 2097152").
 */
export function isTooLargeError(err: unknown): boolean {
  return err instanceof Error && /request is too large|message larger than max|message with a size larger than/i.test(err.message);
}

/** An error that belongs to the one request that caused it, not to the connection. */
export function isPerRequestError(err: unknown): boolean {
  return err instanceof GRPCResourceExhastedError || err instanceof GRPCDeadlineExceededError || isTooLargeError(err) || (err instanceof Error && /too many requests/i.test(err.message));
}

/**
 * The per-host policy: the circuit breaker for unreachable members, around a step that strips the
 * recoverable mark from per-request errors (so neither the breaker nor etcd3's channel reset and
 * retry react to them).
 */
function hostPolicy(): IPolicy<IDefaultPolicyContext> {
  const breaker = circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: BREAKER_HALF_OPEN_MS, breaker: new ConsecutiveBreaker(3) });
  return {
    _altReturn: undefined as never,
    onSuccess: breaker.onSuccess,
    onFailure: breaker.onFailure,
    execute: (fn, signal) =>
      breaker.execute(async (context) => {
        try {
          return await fn(context);
        } catch (err) {
          if (err instanceof Error && isPerRequestError(err)) delete (err as unknown as Record<symbol, unknown>)[RecoverableError];
          throw err;
        }
      }, signal),
  };
}

export function connectEtcd(connection: EtcdConnection): Etcd3 {
  const hosts = connection.servers.map((s) => s.replace(/^https?:\/\//, ''));
  const secure = connection.servers.some((s) => s.startsWith('https://'));
  const options: IOptions = {
    hosts,
    dialTimeout: 5000,
    grpcOptions: { 'grpc.max_send_message_length': MAX_SEND_BYTES, 'grpc.max_receive_message_length': MAX_RECEIVE_BYTES },
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + connection.requestTimeoutMs }),
    faultHandling: { host: hostPolicy },
  };
  if (secure) {
    options.credentials = {
      rootCertificate: connection.ca ?? Buffer.alloc(0),
      ...(connection.key ? { privateKey: connection.key } : {}),
      ...(connection.cert ? { certChain: connection.cert } : {}),
    };
  }
  return new Etcd3(options);
}
