/** Every workflow type the worker registers. The exported names are the workflow types callers start. */
export { provisionInstance, statusQuery } from './provision-instance';
export { terminateInstance, type TeardownResult } from './terminate-instance';
export { validateCredentials } from './validate-credentials';
export { getInstanceStatus } from './get-instance-status';
export { reapOrphans } from './reap-orphans';
export { vmLease, leaseStatusQuery, destroyUpdate, extendUpdate, waitReadyUpdate, type LeaseCarry } from './vm-lease';
