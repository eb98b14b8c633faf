/**
 * grpc-js (under the etcd client) sends the etcd member's address, an IP, as the TLS server
 * name, and Node then prints its DEP0123 deprecation warning once per process on stderr, where a
 * user of `reset`, `join` or `etcd` reads it as a fault. The server certificate is still checked
 * against that IP; only the SNI is at stake (Go's etcd client sends none for an IP). This drops
 * exactly that warning and passes every other one on.
 */
const IP_SERVERNAME = 'DEP0123';

export function dropIpServernameWarning(): void {
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const [typeOrOptions, code] = rest;
    const givenCode = typeof typeOrOptions === 'object' && typeOrOptions !== null ? (typeOrOptions as { code?: string }).code : code;
    if (givenCode === IP_SERVERNAME) return;
    emit(warning, ...rest);
  }) as typeof process.emitWarning;
}
