/**
 * Tags Stagely puts on every instance (and its volumes) it launches. They make a launch findable
 * without EC2's cooperation: a retried launch looks for its token before launching again, and the
 * orphan reaper finds managed instances whose provisioning run did not succeed.
 *
 * Callers may not set keys under the `stagely:` prefix; the validator refuses them.
 */

/** "true" on every instance Stagely launched; the reaper only ever looks at these. */
export const MANAGED_TAG = 'stagely:managed';
/** The launch attempt's idempotency token (the same string sent as ClientToken). */
export const PROVISION_TOKEN_TAG = 'stagely:provision-token';
/** The provisioning run that launched the instance. */
export const WORKFLOW_ID_TAG = 'stagely:workflow-id';
export const RUN_ID_TAG = 'stagely:run-id';
/**
 * The Temporal namespace of that run. Two deployments (staging, production) may share an AWS account;
 * each reaper judges only instances from its own namespace, where it can look the run up.
 */
export const NAMESPACE_TAG = 'stagely:namespace';

/** Prefix reserved for the tags above. */
export const RESERVED_TAG_PREFIX = 'stagely:';

/** EC2's limit on a tag value; workflow IDs longer than this are cut (the run ID still identifies the run). */
const MAX_TAG_VALUE = 256;

export interface Provenance {
  namespace: string;
  workflowId: string;
  runId: string;
  /** The launch attempt's ClientToken. */
  token: string;
}

/** The tags that tie an instance to the run and launch attempt that made it. */
export function provenanceTags(provenance: Provenance): Record<string, string> {
  return {
    [MANAGED_TAG]: 'true',
    [PROVISION_TOKEN_TAG]: provenance.token,
    [WORKFLOW_ID_TAG]: provenance.workflowId.slice(0, MAX_TAG_VALUE),
    [RUN_ID_TAG]: provenance.runId,
    [NAMESPACE_TAG]: provenance.namespace,
  };
}
