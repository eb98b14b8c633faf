/** The Kubernetes API client used by commands, the agent and the controllers. */
export * from './client.js';
export * from './kinds.js';
