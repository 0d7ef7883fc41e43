package provisioner

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// Update names of the vmLease workflow (src/common/lease-contract.ts).
const (
	// LeaseUpdateWaitReady returns the lease's ProvisionResult once its VM is ready.
	LeaseUpdateWaitReady = "waitReady"
	// LeaseUpdateExtend moves the lease's expiry to a TTL from now.
	LeaseUpdateExtend = "extend"
	// LeaseUpdateDestroy terminates the lease's VM and ends the lease.
	LeaseUpdateDestroy = "destroy"
)

// StartLease starts a lease (docs/leases.md), or attaches to the open one under the same workflow ID,
// as the TypeScript client's startLease does: it returns at once (WaitLeaseReady blocks until the VM
// is ready), and once a lease has closed its ID starts a new one.
func StartLease(ctx context.Context, c client.Client, req LeaseRequest, opts StartOptions) (client.WorkflowRun, error) {
	if opts.WorkflowID == "" {
		return nil, errors.New("provisioner: StartOptions.WorkflowID is required")
	}
	environment := opts.Environment
	if environment == "" {
		environment = opts.WorkflowID
	}
	return c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                    opts.WorkflowID,
		TaskQueue:             taskQueue(opts.TaskQueue),
		StaticSummary:         leaseSummary(req, environment),
		TypedSearchAttributes: temporal.NewSearchAttributes(StagelyEnvironment.ValueSet(environment)),
		// An open lease under this ID is the caller's lease: attach rather than hold a second VM.
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, WorkflowVMLease, req)
}

// WaitLeaseReady blocks until the lease's VM is ready and returns it (at once if it already is). When
// the lease's provision failed, FailureType(err) is that provision's failure type; when the lease ended
// before a VM was ready, it is LeaseEnded.
func WaitLeaseReady(ctx context.Context, c client.Client, leaseID string) (ProvisionResult, error) {
	var result ProvisionResult
	err := executeUpdate(ctx, c, leaseID, LeaseUpdateWaitReady, &result)
	return result, err
}

// ExtendLease makes the lease expire ttl from now and returns the new expiry. The worker refuses a
// TTL out of bounds, or one that would outlive 30 days from the lease's start.
func ExtendLease(ctx context.Context, c client.Client, leaseID string, ttl Duration) (time.Time, error) {
	var result ExtendResult
	err := executeUpdate(ctx, c, leaseID, LeaseUpdateExtend, &result, extendRequest{TTL: ttl})
	return result.ExpiresAt, err
}

// DestroyLease ends the lease: its VM is terminated, and this returns the lease's result once EC2
// confirms. Idempotent: on a lease that has already completed, it returns that lease's result. An
// empty reason sends none.
func DestroyLease(ctx context.Context, c client.Client, leaseID, reason string) (LeaseResult, error) {
	var result LeaseResult
	err := executeUpdate(ctx, c, leaseID, LeaseUpdateDestroy, &result, destroyRequest{Reason: reason})
	if err == nil {
		return result, nil
	}
	// A closed workflow takes no update; a lease that completed has its result.
	description, describeErr := c.DescribeWorkflowExecution(ctx, leaseID, "")
	if describeErr != nil || description.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		return result, err
	}
	return result, c.GetWorkflow(ctx, leaseID, "").Get(ctx, &result)
}

// GetLeaseStatus asks a lease for its status: phase, current VM, expiry, replacements, how it ended.
// Closed leases answer too.
func GetLeaseStatus(ctx context.Context, c client.Client, leaseID string) (LeaseStatus, error) {
	var status LeaseStatus
	answer, err := c.QueryWorkflow(ctx, leaseID, "", StatusQuery)
	if err != nil {
		return status, err
	}
	return status, answer.Get(&status)
}

// executeUpdate sends an update to the lease's current run and waits for its result.
func executeUpdate(ctx context.Context, c client.Client, leaseID, name string, result any, args ...any) error {
	handle, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   leaseID,
		UpdateName:   name,
		Args:         args,
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return err
	}
	return handle.Get(ctx, result)
}

// leaseSummary is the lease's one-line Web UI summary, as the TypeScript client writes it:
// "Lease for pr-42: small/arm64 on-demand in us-east-1, ttl 24h".
func leaseSummary(req LeaseRequest, environment string) string {
	market := "on-demand"
	if req.Instance.SpotInstance {
		market = "spot"
	}
	region := req.Instance.Region
	if region == "" {
		region = defaultRegion
	}
	ttl := "24h"
	if req.TTL != 0 {
		ttl = req.TTL.String()
	}
	return fmt.Sprintf("Lease for %s: %s/%s %s in %s, ttl %s", environment, req.Instance.Size, req.Instance.Architecture, market, region, ttl)
}
