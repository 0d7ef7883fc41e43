/** The short blocks people read by default (--json prints the contract's JSON instead). */
import type { ProvisionResult } from '../common/contract';
import { temporalSettings } from '../config';
import { labelled } from './output';

/** The run's page in the Temporal Web UI, when STAGELY_WEB_UI (or --web-ui) says where that is. */
export function webUiLink(workflowId: string): string | undefined {
  const base = process.env.STAGELY_WEB_UI?.trim().replace(/\/+$/, '');
  if (!base) return undefined;
  return `${base}/namespaces/${encodeURIComponent(temporalSettings().namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

export function describeProvisionResult(result: ProvisionResult, workflowId: string): string {
  return labelled({
    Instance: result.instanceId,
    'Public IP': result.publicIp,
    'Private IP': result.privateIp,
    Type: `${result.instanceType}${result.spot ? ' (spot)' : ''}, ${result.size}/${result.architecture}`,
    Region: result.region,
    Workflow: workflowId,
    'Web UI': webUiLink(workflowId),
  });
}
