/**
 * Streaming protocols shared by the API server and the agent (neither imports the other):
 * - upgrade.ts        HTTP/1.1 upgrades: serve them through the normal handler, take the socket,
 *                     send one upstream, relay a 101 and pipe, or relay the refusal
 * - spdy-frames.ts    SPDY/3.1 frame encoding and an incremental, bounded frame reader
 * - spdy-session.ts   the client side of a SPDY session (streams, SYN_REPLY, FIN, pings)
 * - remotecommand.ts  RemoteCommand v5 (WebSocket) ↔ v4 (SPDY) translation for exec/attach
 */
export { serveUpgrades } from './upgrade.js';
