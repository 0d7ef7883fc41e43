/** The checked-in contract/ schemas, compiled with ajv (draft 2020-12), for the tests that check requests against them. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import { CONTRACT_DIR } from '../../scripts/contract';

export function readContractFile(name: string): unknown {
  return JSON.parse(readFileSync(join(CONTRACT_DIR, name), 'utf8'));
}

/** A validator for one schema file; strict, so a keyword ajv does not know fails the test. */
export function compileContractSchema(file: string): ValidateFunction {
  const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
  return ajv.compile(readContractFile(file) as object);
}
