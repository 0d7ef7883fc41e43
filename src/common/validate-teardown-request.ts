/** Checks a teardown request (the `terminateInstance` workflow's input) before anything touches AWS. */
import type { Region } from './contract';
import { checkInstanceRequest, type Problem, type ProblemSubject } from './field-checks';

/** Input of the `terminateInstance` teardown workflow. Unknown fields are refused. */
export interface TeardownRequest {
  /** An EC2 instance id: "i-" and 8 or 17 hex digits. @pattern ^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$ */
  instanceId: string;
  /** @default "us-east-1" */
  region?: Region;
}

export type TeardownCheck = { ok: true; request: Required<TeardownRequest> } | { ok: false; problems: Problem[] };

export const TEARDOWN_REQUEST: ProblemSubject = {
  name: 'teardown request',
  advice: 'Fix the request and start the teardown again; nothing was terminated.',
};

export function validateTeardownRequest(input: unknown): TeardownCheck {
  return checkInstanceRequest(input);
}
