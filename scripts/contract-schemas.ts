/**
 * The JSON Schema (2020-12) files of contract/, generated from the TypeScript contract types with
 * ts-json-schema-generator: TSDoc becomes each field's `description` (and its `@pattern`, `@minimum`,
 * ... tags become keywords), interfaces refuse unknown fields (`additionalProperties: false`), as the
 * validators do. `npm run contract` writes them; test/unit/contract-schemas.test.ts fails when one is stale.
 */
import { join } from 'node:path';
import { createGenerator, type Config } from 'ts-json-schema-generator';
import { AWS_REGIONS } from '../src/common/regions';

/** One schema file: the TypeScript type it is generated from, and what it describes. */
export interface ContractSchema {
  file: string;
  type: string;
  title: string;
}

/** Every workflow input and result the project exposes, the status query and the failure details. */
export const CONTRACT_SCHEMAS: readonly ContractSchema[] = [
  { file: 'provision-instance.request.schema.json', type: 'ProvisionRequest', title: 'provisionInstance input' },
  { file: 'provision-instance.result.schema.json', type: 'ProvisionResult', title: 'provisionInstance result' },
  { file: 'provision-instance.status.schema.json', type: 'ProvisionStatus', title: 'provisionInstance status query answer' },
  { file: 'terminate-instance.request.schema.json', type: 'TeardownRequest', title: 'terminateInstance input' },
  { file: 'terminate-instance.result.schema.json', type: 'TeardownResult', title: 'terminateInstance result' },
  { file: 'get-instance-status.request.schema.json', type: 'InstanceStatusRequest', title: 'getInstanceStatus input' },
  { file: 'get-instance-status.result.schema.json', type: 'InstanceStatusResult', title: 'getInstanceStatus result' },
  { file: 'validate-credentials.request.schema.json', type: 'CredentialsRequest', title: 'validateCredentials input' },
  { file: 'validate-credentials.result.schema.json', type: 'CredentialsCheck', title: 'validateCredentials result' },
  { file: 'vm-lease.request.schema.json', type: 'LeaseRequest', title: 'vmLease input' },
  { file: 'vm-lease.result.schema.json', type: 'LeaseResult', title: 'vmLease result' },
  { file: 'vm-lease.status.schema.json', type: 'LeaseStatus', title: 'vmLease status query answer' },
  { file: 'vm-lease.extend.request.schema.json', type: 'ExtendRequest', title: 'vmLease extend update argument' },
  { file: 'vm-lease.extend.result.schema.json', type: 'ExtendResult', title: 'vmLease extend update result' },
  { file: 'vm-lease.destroy.request.schema.json', type: 'DestroyRequest', title: 'vmLease destroy update argument' },
  { file: 'reap-orphans.request.schema.json', type: 'ReapRequest', title: 'reapOrphans input' },
  { file: 'reap-orphans.result.schema.json', type: 'ReapReport', title: 'reapOrphans result' },
  { file: 'failure-details.invalid-spec.schema.json', type: 'InvalidSpecDetails', title: 'InvalidSpec failure details (provisionInstance, terminateInstance)' },
  { file: 'failure-details.reap-invalid-spec.schema.json', type: 'ReapInvalidSpecDetails', title: 'InvalidSpec failure details (reapOrphans)' },
  { file: 'failure-details.insufficient-capacity.schema.json', type: 'InsufficientCapacityDetails', title: 'InsufficientCapacity failure details' },
  { file: 'failure-details.aws-error.schema.json', type: 'AwsErrorDetails', title: 'Failure details of an AWS error' },
  { file: 'failure-details.not-ready.schema.json', type: 'NotReadyDetails', title: 'NotReady failure details' },
];

const ROOT = join(__dirname, '..');
/** The files that declare the contract types (a TeardownResult lives with its workflow, each request with its validator). */
const SOURCES = 'src/{common/contract,common/reaping,common/field-checks,common/validate-teardown-request,common/validate-instance-status-request,common/lease-contract,workflows/terminate-instance}.ts';
const DRAFT_2020_12 = 'https://json-schema.org/draft/2020-12/schema';

/** Each schema file's text, by file name, as `npm run contract` writes it. */
export function generateContractSchemas(): Map<string, string> {
  const config: Config = {
    path: join(ROOT, SOURCES),
    tsconfig: join(ROOT, 'tsconfig.json'),
    expose: 'export',
    topRef: false,
    jsDoc: 'extended',
    additionalProperties: false,
    skipTypeCheck: true,
    sortProps: false,
  };
  const generator = createGenerator(config);
  const files = new Map<string, string>();
  for (const { file, type, title } of CONTRACT_SCHEMAS) {
    const schema = withRegionList(toDraft2020(generator.createSchema(type) as Record<string, unknown>));
    const { $schema: _, definitions: __, ...body } = schema;
    const ordered = { $schema: DRAFT_2020_12, $id: file, title, ...body };
    files.set(file, `${JSON.stringify(ordered, null, 2)}\n`);
  }
  return files;
}

/**
 * The generator writes draft-07: `definitions` and `#/definitions/` references. The schemas this
 * project uses need nothing else from 2020-12 (no tuples), so renaming those is the whole change.
 */
function toDraft2020(schema: Record<string, unknown>): Record<string, unknown> {
  const text = JSON.stringify(schema).split('"#/definitions/').join('"#/$defs/');
  const converted = JSON.parse(text) as Record<string, unknown>;
  const defs = converted.definitions as Record<string, unknown> | undefined;
  return defs !== undefined && Object.keys(defs).length > 0 ? { ...converted, $defs: defs } : converted;
}

/**
 * A region is a string in TypeScript, but the validators accept only the regions of
 * src/common/regions.ts: the schema lists them, so it refuses a misspelt region as the worker does.
 */
function withRegionList(schema: Record<string, unknown>): Record<string, unknown> {
  const defs = schema.$defs as Record<string, Record<string, unknown>> | undefined;
  const region = defs?.Region;
  if (defs === undefined || region === undefined) return schema;
  const { pattern: _, ...rest } = region;
  return { ...schema, $defs: { ...defs, Region: { ...rest, enum: [...AWS_REGIONS] } } };
}
