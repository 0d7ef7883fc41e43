/** The request's `readiness` field, as validateProvisionRequest checks it (common/readiness.ts). */
import type { Problem as SpecProblem } from '../../src/common/field-checks';
import { validateProvisionRequest } from '../../src/common/validate-provision-request';
import type { ReadinessSpec } from '../../src/common/readiness';

const minimal = { size: 'small', architecture: 'amd64' } as const;

function readinessOf(readiness: unknown): ReadinessSpec | undefined {
  const check = validateProvisionRequest({ ...minimal, readiness });
  if (!check.ok) throw new Error(`expected the request to be accepted, got: ${JSON.stringify(check.problems)}`);
  return check.spec.readiness;
}

function problemsOf(readiness: unknown): SpecProblem[] {
  const check = validateProvisionRequest({ ...minimal, readiness });
  if (check.ok) throw new Error(`expected the request to be refused, got: ${JSON.stringify(check.spec)}`);
  return check.problems;
}

describe('readiness: accepted', () => {
  it('is absent from the spec when the request has none', () => {
    const check = validateProvisionRequest(minimal);
    expect(check.ok && check.spec).not.toHaveProperty('readiness');
  });

  it('applies the defaults: public address, 10 minutes', () => {
    expect(readinessOf({ statusChecks: true })).toEqual({ statusChecks: true, address: 'public', timeoutMs: 600_000 });
    expect(readinessOf({ tcpPort: 22 })).toEqual({ statusChecks: false, tcpPort: 22, address: 'public', timeoutMs: 600_000 });
  });

  it('takes every field', () => {
    expect(readinessOf({ statusChecks: true, tcpPort: 8443, address: 'private', timeout: '15m' })).toEqual({
      statusChecks: true,
      tcpPort: 8443,
      address: 'private',
      timeoutMs: 900_000,
    });
  });

  it.each([
    [1, '30s', 30_000],
    [65535, '1h', 3_600_000],
    [22, 45_000, 45_000],
  ])('accepts port %p with timeout %p', (tcpPort, timeout, ms) => {
    expect(readinessOf({ tcpPort, timeout })).toMatchObject({ tcpPort, timeoutMs: ms });
  });
});

describe('readiness: refused, naming the field', () => {
  it.each<[string, unknown, string, string]>([
    ['not an object', true, 'readiness', 'must be an object with "statusChecks" and/or "tcpPort" (got boolean true)'],
    ['an array', [22], 'readiness', 'must be an object with "statusChecks" and/or "tcpPort" (got an array)'],
    ['no check', {}, 'readiness', 'asks for no check; set "statusChecks": true and/or a "tcpPort", or leave readiness out'],
    ['status checks off and no port', { statusChecks: false }, 'readiness', 'asks for no check; set "statusChecks": true and/or a "tcpPort", or leave readiness out'],
    ['statusChecks a string', { statusChecks: 'yes' }, 'readiness.statusChecks', 'must be true or false (got string "yes")'],
    ['port 0', { tcpPort: 0 }, 'readiness.tcpPort', 'must be a whole number from 1 to 65535 (got number 0)'],
    ['port 65536', { tcpPort: 65536 }, 'readiness.tcpPort', 'must be a whole number from 1 to 65535 (got number 65536)'],
    ['port 22.5', { tcpPort: 22.5 }, 'readiness.tcpPort', 'must be a whole number from 1 to 65535 (got number 22.5)'],
    ['port as a string', { tcpPort: '22' }, 'readiness.tcpPort', 'must be a whole number from 1 to 65535 (got string "22")'],
    ['address "Public"', { tcpPort: 22, address: 'Public' }, 'readiness.address', 'must be one of "public", "private" (got "Public")'],
    ['address a number', { tcpPort: 22, address: 4 }, 'readiness.address', 'must be one of "public", "private" (got number 4)'],
    ['timeout "10s"', { tcpPort: 22, timeout: '10s' }, 'readiness.timeout', 'must be between 30s and 1h (got "10s")'],
    ['timeout "2h"', { tcpPort: 22, timeout: '2h' }, 'readiness.timeout', 'must be between 30s and 1h (got "2h")'],
    ['timeout "soon"', { tcpPort: 22, timeout: 'soon' }, 'readiness.timeout', 'must be a duration string like "5s" or "1m30s" (got "soon")'],
    ['unknown field', { tcpPort: 22, port: 22 }, 'readiness.port', 'unknown field; allowed fields are statusChecks, tcpPort, address, timeout'],
    ['field in the wrong case', { tcpPort: 22, TcpPort: 22 }, 'readiness.TcpPort', 'unknown field; field names are case-sensitive, did you mean "tcpPort"?'],
  ])('%s', (_, readiness, field, message) => {
    expect(problemsOf(readiness)).toEqual([{ field, message }]);
  });

  it('reports every problem at once, with the rest of the request', () => {
    const check = validateProvisionRequest({ size: 'tiny', architecture: 'amd64', readiness: { tcpPort: -1, timeout: '1s' } });
    expect(check.ok).toBe(false);
    expect(!check.ok && check.problems.map((p) => p.field)).toEqual(['size', 'readiness.tcpPort', 'readiness.timeout']);
  });
});
