/**
 * Discovery for `kubeforge join` (kubeadm's cmd/kubeadm/app/discovery): how a joining node learns
 * the API server and its CA without trusting the network.
 *
 *   token.ts   token discovery: unverified read → JWS check → CA pin → verified read, same content
 *   file.ts    --discovery-file FILE|https URL
 *   verify.ts  the pure decisions (JWS, single cluster with a CA, CA pins)
 *   fetch.ts   one anonymous HTTPS GET of cluster-info, failures classified
 *   poll.ts    retry until --discovery-timeout, a progress line every 10 s
 *   errors.ts  DiscoveryError codes and hints, which of them are retried
 */
export { discoverWithToken, validateTokenDiscovery, DEFAULT_DISCOVERY_TIMEOUT_MS, type TokenDiscoveryOptions, type TokenDiscoveryResult } from './token.js';
export { discoverWithFile, type FileDiscoveryOptions, type FileDiscoveryResult } from './file.js';
export { parseCACertHashes, verifyClusterInfoSignature, clusterInfoCluster, checkCAPins, caBundlePins, JWS_KEY_PREFIX, type DiscoveredCluster } from './verify.js';
export { fetchClusterInfo, endpointParts, CLUSTER_INFO_PATH } from './fetch.js';
export { DiscoveryError, DISCOVERY_ERRORS, isRetryable, type DiscoveryErrorCode } from './errors.js';
