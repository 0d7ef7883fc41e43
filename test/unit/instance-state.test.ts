import { isGone, toInstanceState, type InstanceState } from '../../src/common/instance-state';

describe('toInstanceState', () => {
  it.each<[string, InstanceState]>([
    ['pending', 'pending'],
    ['running', 'running'],
    ['stopping', 'stopped'],
    ['stopped', 'stopped'],
    ['shutting-down', 'terminated'],
    ['terminated', 'terminated'],
  ])('EC2 %p -> %p', (ec2State, expected) => {
    expect(toInstanceState(ec2State)).toBe(expected);
  });

  it('treats a missing state name as pending', () => {
    expect(toInstanceState(undefined)).toBe('pending');
  });

  it.each(['', 'Running', 'RUNNING', 'rebooting', 'unknown', 'constructor', '__proto__', 'toString'])('treats the unknown state name %p as pending', (ec2State) => {
    expect(toInstanceState(ec2State)).toBe('pending');
  });
});

describe('isGone', () => {
  it.each<[InstanceState, boolean]>([
    ['pending', false],
    ['running', false],
    ['stopped', true],
    ['terminated', true],
  ])('%p -> %p', (state, expected) => {
    expect(isGone(state)).toBe(expected);
  });
});
