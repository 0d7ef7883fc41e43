/**
 * The error `startProvision` throws instead of attaching to a run that was started with a different
 * request under the same workflow ID. It never crosses the Temporal boundary (the client raises it
 * itself), hence an `*Error` class; its `type` mirrors an ApplicationFailure's so callers can branch
 * on one field for both.
 */
import { PROVISION_CONFLICT } from './common/failures';

export class ProvisionConflictError extends Error {
  override readonly name = 'ProvisionConflictError';
  readonly type = PROVISION_CONFLICT;

  constructor(
    readonly workflowId: string,
    /** The existing run's ID and execution status (RUNNING, COMPLETED, ...). */
    readonly runId: string,
    readonly runStatus: string,
    /** The normalised fields that differ (`size`, `tags`, `ipWaitTimeoutMs`, ...), or `(request)`. */
    readonly fields: readonly string[],
  ) {
    super(
      `workflow ${workflowId} already has a ${runStatus} run (${runId}) started with a different request ` +
        `(differs in ${fields.join(', ')}); start it with the same request to attach, or use another workflow ID`,
    );
  }
}
