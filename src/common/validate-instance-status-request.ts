/** Checks a status request (the `getInstanceStatus` workflow's input) before anything asks AWS. */
import type { Region } from './contract';
import { checkInstanceRequest, type Problem, type ProblemSubject } from './field-checks';

/** Input of the `getInstanceStatus` workflow. Unknown fields are refused. */
export interface InstanceStatusRequest {
  /** An EC2 instance id: "i-" and 8 or 17 hex digits. @pattern ^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$ */
  instanceId: string;
  /** @default "us-east-1" */
  region?: Region;
}

export type InstanceStatusCheck = { ok: true; request: Required<InstanceStatusRequest> } | { ok: false; problems: Problem[] };

export const INSTANCE_STATUS_REQUEST: ProblemSubject = {
  name: 'instance status request',
  advice: 'Fix the request and ask again; nothing was sent to AWS.',
};

export function validateInstanceStatusRequest(input: unknown): InstanceStatusCheck {
  return checkInstanceRequest(input);
}
