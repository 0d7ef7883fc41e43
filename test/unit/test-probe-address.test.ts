/** The test-only TCP target (STAGELY_TEST_TCP_TARGET) is refused unless the test seam is allowed. */
import { testProbeAddress } from '../support/test-worker';

const target = { host: '203.0.113.10', port: 22 };

it('is off when unset', () => {
  expect(testProbeAddress({})).toBeUndefined();
  expect(testProbeAddress({ STAGELY_TEST_TCP_TARGET: ' ' })).toBeUndefined();
});

it('is refused without STAGELY_ALLOW_TEST_SEAM=1', () => {
  expect(() => testProbeAddress({ STAGELY_TEST_TCP_TARGET: '127.0.0.1:2222' })).toThrow(/STAGELY_TEST_TCP_TARGET is set.*for tests only; unset it/);
  expect(() => testProbeAddress({ STAGELY_TEST_TCP_TARGET: '127.0.0.1:2222', STAGELY_ALLOW_TEST_SEAM: 'true' })).toThrow(/for tests only/);
});

it('maps every probe to host:port when allowed', () => {
  const resolve = testProbeAddress({ STAGELY_TEST_TCP_TARGET: '127.0.0.1:2222', STAGELY_ALLOW_TEST_SEAM: '1' });
  expect(resolve?.(target)).toEqual({ host: '127.0.0.1', port: 2222 });
});

it.each(['127.0.0.1', '127.0.0.1:0', '127.0.0.1:70000', ':22'])('refuses the malformed target %p', (value) => {
  expect(() => testProbeAddress({ STAGELY_TEST_TCP_TARGET: value, STAGELY_ALLOW_TEST_SEAM: '1' })).toThrow(/must be host:port/);
});
