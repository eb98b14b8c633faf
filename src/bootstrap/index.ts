/**
 * The API objects kubeadm's init creates once the control plane answers: RBAC for bootstrap
 * tokens and discovery, cluster-info, the uploaded configs, the control-plane mark and the
 * addons. Pure builders; the phases send them with the kube client.
 */
export * from './addons.js';
export * from './objects.js';
export * from './rbac.js';
export * from './copycerts.js';
export * from './join-command.js';
