/**
 * Registers the search attributes runs set (StagelyEnvironment, InstanceId, InstanceType) with a
 * namespace, so operators can filter runs by them. Idempotent: attributes that exist are left alone.
 * Temporal Cloud namespaces register attributes in the Cloud UI or with tcld instead.
 */
import type { temporal } from '@temporalio/proto';

/** The operator API, as both the client's Connection and the worker's NativeConnection offer it. */
interface HasOperatorService {
  operatorService: Pick<temporal.api.operatorservice.v1.OperatorService, 'listSearchAttributes' | 'addSearchAttributes'>;
}
import { SEARCH_ATTRIBUTES } from '../common/visibility';

/** INDEXED_VALUE_TYPE_KEYWORD in Temporal's API. */
const KEYWORD = 2;
const GRPC_UNIMPLEMENTED = 12;

/**
 * The project's search attributes the namespace lacks, or undefined when the server cannot list them
 * (the time-skipping test server).
 */
export async function missingSearchAttributes(connection: HasOperatorService, namespace: string): Promise<string[] | undefined> {
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    const known = new Set([...Object.keys(existing.customAttributes ?? {}), ...Object.keys(existing.systemAttributes ?? {})]);
    return SEARCH_ATTRIBUTES.map((key) => key.name).filter((name) => !known.has(name));
  } catch (error) {
    if ((error as { code?: unknown }).code === GRPC_UNIMPLEMENTED) return undefined;
    throw error;
  }
}

export async function registerSearchAttributes(connection: HasOperatorService, namespace: string): Promise<string[]> {
  const missing = (await missingSearchAttributes(connection, namespace)) ?? SEARCH_ATTRIBUTES.map((key) => key.name);
  if (missing.length > 0) {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((name) => [name, KEYWORD])),
    });
  }
  return missing;
}

/** `--search-attribute` flags for `temporal server start-dev`. */
export function devServerSearchAttributeFlags(): string[] {
  return SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]);
}
