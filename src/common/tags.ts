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
 * The ID (not the name) of that run's Temporal namespace. Deployments may share an AWS account, and
 * two clusters may both call their namespace `default`; each reaper judges only instances with its
 * own namespace's ID, the one place it can look their runs up.
 */
export const NAMESPACE_ID_TAG = 'stagely:namespace-id';
/**
 * The namespace's name, which instances launched before NAMESPACE_ID_TAG carry instead. EC2 allows
 * 50 tags, and callers were promised 45, so the ID took its place rather than joining it.
 */
export const LEGACY_NAMESPACE_TAG = 'stagely:namespace';

/** Prefix reserved for the tags above. */
export const RESERVED_TAG_PREFIX = 'stagely:';

/** EC2's limit on a tag value; workflow IDs longer than this are cut (the run ID still identifies the run). */
const MAX_TAG_VALUE = 256;

export interface Provenance {
  /** The namespace's ID; without it (tests that do not care) the instance carries no namespace tag. */
  namespaceId: string | undefined;
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
    ...(provenance.namespaceId !== undefined && { [NAMESPACE_ID_TAG]: provenance.namespaceId }),
  };
}
