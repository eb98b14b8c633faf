/** Where the kinds the controllers and the scheduler touch live in the API: src/kube's one kinds table. */
export { resourceRef as ref, type ResourceName } from '../../kube/index.js';
