/** Checks a teardown request (the `terminateInstance` workflow's input) before anything touches AWS. */
import type { Region } from './contract';
import { describeType } from './durations';
import { checkId, checkKnownFields, checkRegion, isPlainObject, listed, problemList, type Problem, type ProblemSubject } from './field-checks';

/** Input of the `terminateInstance` teardown workflow. Unknown fields are refused. */
export interface TeardownRequest {
  /** An EC2 instance id: "i-" and 8 or 17 hex digits. @pattern ^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$ */
  instanceId: string;
  /** @default "us-east-1" */
  region?: Region;
}

const KNOWN_FIELDS: readonly (keyof TeardownRequest)[] = ['instanceId', 'region'];
const INSTANCE_ID = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

export type TeardownCheck = { ok: true; request: Required<TeardownRequest> } | { ok: false; problems: Problem[] };

export const TEARDOWN_REQUEST: ProblemSubject = {
  name: 'teardown request',
  advice: 'Fix the request and start the teardown again; nothing was terminated.',
};

export function validateTeardownRequest(input: unknown): TeardownCheck {
  const { problems, problem } = problemList();
  if (!isPlainObject(input)) {
    problem('(request)', `must be a JSON object with "instanceId" (got ${describeType(input)})`);
    return { ok: false, problems };
  }
  checkKnownFields(input, KNOWN_FIELDS, problem);
  const instanceId =
    input.instanceId === undefined
      ? (problem('instanceId', 'is required'), undefined)
      : checkId(input.instanceId, 'instanceId', INSTANCE_ID, 'i-0123456789abcdef0', problem);
  const region = checkRegion(input.region, problem);
  if (problems.length > 0 || instanceId === undefined || region === undefined) return { ok: false, problems: listed(problems) };
  return { ok: true, request: { instanceId, region } };
}
