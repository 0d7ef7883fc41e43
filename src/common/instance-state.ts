/**
 * The four states Stagely cares about, folded from EC2's six.
 *
 * `stopping` counts as stopped and `shutting-down` as terminated: in both cases the instance will not
 * get (or keep) a usable public IP, so the workflow treats it as lost.
 */
export const INSTANCE_STATES = ['pending', 'running', 'stopped', 'terminated'] as const;
export type InstanceState = (typeof INSTANCE_STATES)[number];

const EC2_TO_STATE: Readonly<Record<string, InstanceState>> = {
  pending: 'pending',
  running: 'running',
  stopping: 'stopped',
  stopped: 'stopped',
  'shutting-down': 'terminated',
  terminated: 'terminated',
};

/** Maps an EC2 `State.Name`; a missing or unknown name is `pending` (keep polling, the deadline bounds it). */
export function toInstanceState(ec2StateName: string | undefined): InstanceState {
  return ec2StateName !== undefined && Object.hasOwn(EC2_TO_STATE, ec2StateName) ? (EC2_TO_STATE[ec2StateName] ?? 'pending') : 'pending';
}

/** True once the instance can no longer come up with a public IP. */
export function isGone(state: InstanceState): boolean {
  return state === 'stopped' || state === 'terminated';
}
