/**
 * The ID of the worker's Temporal namespace. Names are not unique across clusters (every dev server
 * and most self-hosted clusters have a `default`); the ID is. Launches are tagged with it so that
 * reapers of two clusters sharing an AWS account judge only their own instances.
 */
import type { temporal } from '@temporalio/proto';

/** The workflow API, as both the client's Connection and the worker's NativeConnection offer it. */
interface HasWorkflowService {
  workflowService: Pick<temporal.api.workflowservice.v1.WorkflowService, 'describeNamespace'>;
}

export async function namespaceId(connection: HasWorkflowService, namespace: string): Promise<string> {
  const described = await connection.workflowService.describeNamespace({ namespace });
  const id = described.namespaceInfo?.id;
  if (!id) throw new Error(`Temporal did not say the ID of namespace ${namespace}`);
  return id;
}
