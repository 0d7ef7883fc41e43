package provisioner

import (
	"context"
	"errors"
	"fmt"
	"os"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// StagelyEnvironment is the search attribute that names the preview environment a provision is for;
// filter runs in the Web UI with `StagelyEnvironment = "pr-42"`.
var StagelyEnvironment = temporal.NewSearchAttributeKeyKeyword("StagelyEnvironment")

// defaultRegion is the region the worker uses when a request names none.
const defaultRegion = "us-east-1"

// StartOptions says where and under which ID a provision runs.
type StartOptions struct {
	// WorkflowID is the business key, e.g. "stagely-pr-42-env-7"; reusing it attaches instead of
	// launching twice. Required.
	WorkflowID string
	// TaskQueue defaults to STAGELY_TASK_QUEUE, else TaskQueue.
	TaskQueue string
	// Environment is the preview environment the VM is for ("pr-42"): the run's StagelyEnvironment
	// search attribute and the end of its Web UI summary. It defaults to the workflow ID.
	Environment string
}

// StartProvision starts a provision, or attaches to the run that already has the workflow ID: while
// a run is open, a second start returns that run; after a run succeeded, it returns that run rather
// than launching a second VM; only after a failed or cancelled run does it start a new one. These are
// the TypeScript client's policies (src/client.ts).
func StartProvision(ctx context.Context, c client.Client, req ProvisionRequest, opts StartOptions) (client.WorkflowRun, error) {
	if opts.WorkflowID == "" {
		return nil, errors.New("provisioner: StartOptions.WorkflowID is required")
	}
	environment := opts.Environment
	if environment == "" {
		environment = opts.WorkflowID
	}
	options := client.StartWorkflowOptions{
		ID:                    opts.WorkflowID,
		TaskQueue:             taskQueue(opts.TaskQueue),
		StaticSummary:         provisionSummary(req, environment),
		TypedSearchAttributes: temporal.NewSearchAttributes(StagelyEnvironment.ValueSet(environment)),
		// Open run with this ID: attach to it. Closed run: only a failed or cancelled one may be
		// retried, so a successful provision is never doubled by a caller that retries its start.
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		// A start refused by the reuse policy returns the run that holds the ID, not an error.
		WorkflowExecutionErrorWhenAlreadyStarted: false,
	}
	// The TypeScript client is getting a request fingerprint (a memo) and a ProvisionConflict check
	// for a second start with another request under the same ID; they belong here, before the start.
	return c.ExecuteWorkflow(ctx, options, WorkflowProvisionInstance, req)
}

// GetProvisionResult waits for a provision's result. On failure the error's chain holds the
// application error: branch on FailureType(err).
func GetProvisionResult(ctx context.Context, c client.Client, workflowID string) (ProvisionResult, error) {
	var result ProvisionResult
	err := c.GetWorkflow(ctx, workflowID, "").Get(ctx, &result)
	return result, err
}

// GetProvisionStatus asks a provision for its progress (the status query); closed runs answer too.
func GetProvisionStatus(ctx context.Context, c client.Client, workflowID string) (ProvisionStatus, error) {
	var status ProvisionStatus
	answer, err := c.QueryWorkflow(ctx, workflowID, "", StatusQuery)
	if err != nil {
		return status, err
	}
	return status, answer.Get(&status)
}

// CancelProvision asks a provision to stop. The run terminates whatever it launched before it ends
// as cancelled; GetProvisionResult then returns a *temporal.CanceledError in its chain.
func CancelProvision(ctx context.Context, c client.Client, workflowID string) error {
	return c.CancelWorkflow(ctx, workflowID, "")
}

// TerminateInstance terminates an instance through the teardown workflow, which retries until EC2
// confirms. Idempotent: a second call, or a call for an instance that is gone, succeeds with
// AlreadyGone set. An empty region means "us-east-1". It runs on STAGELY_TASK_QUEUE, else TaskQueue.
func TerminateInstance(ctx context.Context, c client.Client, instanceID, region string) (TeardownResult, error) {
	if region == "" {
		region = defaultRegion
	}
	var result TeardownResult
	err := executeOnce(ctx, c, call{
		workflowType: WorkflowTerminateInstance,
		workflowID:   fmt.Sprintf("terminate-%s-%s", region, instanceID),
		summary:      fmt.Sprintf("Terminate %s in %s", instanceID, region),
		input:        teardownRequest{InstanceID: instanceID, Region: region},
	}, &result)
	return result, err
}

// call is one run of a short workflow keyed by what it acts on.
type call struct {
	workflowType string
	workflowID   string
	summary      string
	input        any
}

// executeOnce runs a workflow and waits for its result; a run already open under the same ID (the
// same instance) is waited for instead of started twice.
func executeOnce(ctx context.Context, c client.Client, w call, result any) error {
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       w.workflowID,
		TaskQueue:                taskQueue(""),
		StaticSummary:            w.summary,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, w.workflowType, w.input)
	if err != nil {
		return err
	}
	return run.Get(ctx, result)
}

// taskQueue is the caller's task queue, else STAGELY_TASK_QUEUE, else TaskQueue: the worker's choice.
func taskQueue(chosen string) string {
	if chosen != "" {
		return chosen
	}
	if fromEnv := os.Getenv("STAGELY_TASK_QUEUE"); fromEnv != "" {
		return fromEnv
	}
	return TaskQueue
}

// provisionSummary is the run's one-line Web UI summary, as the TypeScript client writes it:
// "small/arm64 spot in us-east-1 for pr-42".
func provisionSummary(req ProvisionRequest, environment string) string {
	market := "on-demand"
	if req.SpotInstance {
		market = "spot"
	}
	region := req.Region
	if region == "" {
		region = defaultRegion
	}
	return fmt.Sprintf("%s/%s %s in %s for %s", req.Size, req.Architecture, market, region, environment)
}
