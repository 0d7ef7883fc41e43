package provisioner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
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
	// DataConverter reads the request of the run a start attaches to; give the one the client was
	// dialled with. It defaults to DataConverterFromEnv(), the worker's own settings.
	DataConverter converter.DataConverter
}

// StartProvision starts a provision, or attaches to the run that already has the workflow ID: while
// a run is open, a second start with the same request returns that run; after a run succeeded, it
// returns that run rather than launching a second VM; only after a failed or cancelled run does it
// start a new one. A start whose request differs from that run's returns a *ProvisionConflictError
// naming the differing fields, and starts nothing. These are the TypeScript client's policies
// (src/client.ts, docs/attaching.md); the requests are compared as the worker normalises them.
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
		// Open run with this ID, or a closed one that did not fail or get cancelled (so a successful
		// provision is never doubled by a caller that retries its start): refused here, then attached
		// to below if it asked for the same VM. FAIL rather than USE_EXISTING, so that only an attach
		// pays for reading the run's request.
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
	}
	run, err := c.ExecuteWorkflow(ctx, options, WorkflowProvisionInstance, req)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if !errors.As(err, &started) {
		return run, err
	}
	return attach(ctx, c, opts, started.RunId, req)
}

// attach returns the run that holds the workflow ID if it was started with the same request.
func attach(ctx context.Context, c client.Client, opts StartOptions, runID string, req ProvisionRequest) (client.WorkflowRun, error) {
	description, err := c.DescribeWorkflowExecution(ctx, opts.WorkflowID, runID)
	if err != nil {
		return nil, err
	}
	info := description.GetWorkflowExecutionInfo()
	runID = info.GetExecution().GetRunId()
	existing, err := startedWith(ctx, c, opts, runID)
	if err != nil {
		return nil, err
	}
	requested, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	if fields := differingFields(existing, requested); len(fields) > 0 {
		// RUNNING, COMPLETED, ...: the status as the TypeScript client's error names it.
		status := strings.TrimPrefix(enumspb.WorkflowExecutionStatus_name[int32(info.GetStatus())], "WORKFLOW_EXECUTION_STATUS_")
		return nil, &ProvisionConflictError{WorkflowID: opts.WorkflowID, RunID: runID, RunStatus: status, Fields: fields}
	}
	return c.GetWorkflow(ctx, opts.WorkflowID, runID), nil
}

// startedWith is the request a run was started with, as JSON: the input of its first history event,
// decoded with the caller's data converter (so it needs the payload key the run was written under,
// as reading its result does). Nil when the run had no input.
func startedWith(ctx context.Context, c client.Client, opts StartOptions, runID string) ([]byte, error) {
	dataConverter := opts.DataConverter
	if dataConverter == nil {
		fromEnv, err := DataConverterFromEnv()
		if err != nil {
			return nil, err
		}
		dataConverter = fromEnv
	}
	events := c.GetWorkflowHistory(ctx, opts.WorkflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	if !events.HasNext() {
		return nil, fmt.Errorf("provisioner: run %s of %s has no history", runID, opts.WorkflowID)
	}
	first, err := events.Next()
	if err != nil {
		return nil, err
	}
	input := first.GetWorkflowExecutionStartedEventAttributes().GetInput()
	if len(input.GetPayloads()) == 0 {
		return nil, nil
	}
	var request json.RawMessage
	if err := dataConverter.FromPayload(input.GetPayloads()[0], &request); err != nil {
		return nil, fmt.Errorf("provisioner: reading the request of run %s of %s: %w", runID, opts.WorkflowID, err)
	}
	return request, nil
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

// GetInstanceStatus reads one instance's state through the worker (which alone holds AWS
// credentials): State folds EC2's six states into four, EC2State is EC2's own. An id EC2 does not
// know in that region fails with FailureType(err) == InstanceNotFound (so does, for a few seconds,
// an instance launched a moment ago: EC2 is eventually consistent), a malformed one with InvalidSpec.
// Concurrent calls for the same instance share one run. An empty region means "us-east-1". It runs
// on STAGELY_TASK_QUEUE, else TaskQueue.
func GetInstanceStatus(ctx context.Context, c client.Client, instanceID, region string) (InstanceStatus, error) {
	if region == "" {
		region = defaultRegion
	}
	var result InstanceStatus
	err := executeOnce(ctx, c, call{
		workflowType: WorkflowGetInstanceStatus,
		workflowID:   fmt.Sprintf("instance-status-%s-%s", region, instanceID),
		summary:      fmt.Sprintf("Status of %s in %s", instanceID, region),
		input:        instanceStatusRequest{InstanceID: instanceID, Region: region},
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
