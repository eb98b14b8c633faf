import { EtcdError, GRPCDeadlineExceededError, GRPCInvalidArgumentError, GRPCResourceExhastedError, GRPCUnavailableError } from 'etcd3';
import { describe, expect, it } from 'vitest';
import { isPerRequestError } from './etcd-client.js';

describe('isPerRequestError', () => {
  it.each([
    ['a request over etcd\'s --max-request-bytes', new GRPCInvalidArgumentError('etcdserver: request is too large')],
    ['a request over the client\'s send limit', new GRPCResourceExhastedError('Attempted to send message with a size larger than 2097152')],
    ['a request over the server\'s receive limit', new GRPCResourceExhastedError('grpc: received message larger than max (2507057 vs. 2097152)')],
    ['a response over a receive limit', new GRPCResourceExhastedError('Received message larger than max (4500000 vs. 4194304)')],
    ['a call past its deadline', new GRPCDeadlineExceededError('Deadline exceeded')],
    ['an overloaded member', new EtcdError('etcdserver: too many requests')],
  ])('is true for %s: it must not reset the connection or open the breaker', (_what, err) => {
    expect(isPerRequestError(err)).toBe(true);
  });

  it('is false for an unreachable member (the breaker and reconnects are for that)', () => {
    expect(isPerRequestError(new GRPCUnavailableError('No connection established'))).toBe(false);
  });
});
