/** The stacked etcd of control-plane nodes: membership (join, reset's quorum guard, member list) and snapshots. */
export * from './client.js';
export * from './credentials.js';
export * from './local.js';
export * from './members.js';
export * from './snapshot.js';
