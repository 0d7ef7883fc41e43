/**
 * The polling designs a run can put the worker in, and the worker settings that make each.
 * "batched" is the design: polls share DescribeInstances calls, new starts wait while polls run late.
 * "no-admission" is batching without start admission, to show what admission does on its own.
 * "per-workflow" has neither: one call per poll, every start at once.
 */
export const MODES = ['batched', 'no-admission', 'per-workflow'] as const;
export type Mode = (typeof MODES)[number];

export function modeEnv(mode: Mode): NodeJS.ProcessEnv {
  return {
    STAGELY_DESCRIBE_BATCHING: mode === 'per-workflow' ? 'off' : 'on',
    STAGELY_START_ADMISSION: mode === 'batched' ? 'on' : 'off',
  };
}
