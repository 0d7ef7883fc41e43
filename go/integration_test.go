package provisioner

// Integration tests against the local stack the e2e suite uses: Temporal's dev server, moto and a
// real worker process. test/e2e/go-package.test.ts starts them and runs `go test` with the
// STAGELY_GO_TEST_* variables below; without them these tests skip, so `go test ./...` alone runs
// the unit tests only.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
)

// stack is where the e2e setup's servers and workers are.
type stack struct {
	address        string
	taskQueue      string // a worker without a payload key
	encryptedQueue string // a worker with STAGELY_PAYLOAD_KEY = payloadKey
	payloadKey     string
	privateSubnet  string // a subnet that gives instances no public IP
}

func localStack(t *testing.T) stack {
	t.Helper()
	s := stack{
		address:        os.Getenv("STAGELY_GO_TEST_TEMPORAL_ADDRESS"),
		taskQueue:      os.Getenv("STAGELY_GO_TEST_TASK_QUEUE"),
		encryptedQueue: os.Getenv("STAGELY_GO_TEST_ENCRYPTED_TASK_QUEUE"),
		payloadKey:     os.Getenv("STAGELY_GO_TEST_PAYLOAD_KEY"),
		privateSubnet:  os.Getenv("STAGELY_GO_TEST_PRIVATE_SUBNET"),
	}
	if s.address == "" || s.taskQueue == "" || s.encryptedQueue == "" || s.payloadKey == "" || s.privateSubnet == "" {
		t.Skip("no local stack: run through test/e2e/go-package.test.ts (npx jest test/e2e/go-package.test.ts), which sets STAGELY_GO_TEST_*")
	}
	// A key in the developer's shell must not change what the plain-text tests see.
	t.Setenv("STAGELY_PAYLOAD_KEY", "")
	t.Setenv("STAGELY_PAYLOAD_KEY_FILE", "")
	t.Setenv("STAGELY_PAYLOAD_OLD_KEYS", "")
	t.Setenv("STAGELY_TASK_QUEUE", s.taskQueue)
	return s
}

func dial(t *testing.T, address string, dataConverter converter.DataConverter) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: address, Namespace: "default", DataConverter: dataConverter})
	if err != nil {
		t.Fatalf("dial %s: %v", address, err)
	}
	t.Cleanup(c.Close)
	return c
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func uniqueName(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%x", prefix, b)
}

// rawHistoryHolds says whether any byte Temporal stored for the run contains text, read with a
// client that has no codec.
func rawHistoryHolds(t *testing.T, address, workflowID, text string) bool {
	t.Helper()
	raw := dial(t, address, converter.GetDefaultDataConverter())
	events := raw.GetWorkflowHistory(testContext(t), workflowID, "", false, 0)
	seen := 0
	for events.HasNext() {
		event, err := events.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", workflowID, err)
		}
		seen++
		data, err := proto.Marshal(event)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte(text)) {
			return true
		}
	}
	if seen == 0 {
		t.Fatalf("no history for %s", workflowID)
	}
	return false
}

func TestIntegrationProvisionWithUserDataAndTags(t *testing.T) {
	s := localStack(t)
	c := dial(t, s.address, nil)
	ctx := testContext(t)
	marker := uniqueName("MARKER")
	workflowID := uniqueName("go-provision")
	req := ProvisionRequest{
		Size: SizeSmall, Architecture: ArchitectureARM64, UserData: "#!/bin/bash\necho token=" + marker + "\n",
		Tags: map[string]string{"e2e": marker}, PollInterval: Duration(time.Second),
	}
	if err := ValidateRequest(req); err != nil {
		t.Fatal(err)
	}
	run, err := StartProvision(ctx, c, req, StartOptions{WorkflowID: workflowID, Environment: "pr-go"})
	if err != nil {
		t.Fatalf("StartProvision: %v", err)
	}
	result, err := GetProvisionResult(ctx, c, workflowID)
	if err != nil {
		t.Fatalf("GetProvisionResult: %v (failure type %q)", err, FailureType(err))
	}
	if !strings.HasPrefix(result.InstanceID, "i-") || result.PublicIP == "" || result.Size != SizeSmall || result.Architecture != ArchitectureARM64 ||
		result.Region != "us-east-1" || result.LaunchedAt.IsZero() || len(result.Attempts) == 0 || result.Attempts[len(result.Attempts)-1].Outcome != "launched" {
		t.Errorf("result not decoded in full: %+v", result)
	}

	// Starting again after the run succeeded returns that run: a retrying caller never gets a second VM.
	again, err := StartProvision(ctx, c, req, StartOptions{WorkflowID: workflowID, Environment: "pr-go"})
	if err != nil || again.GetRunID() != run.GetRunID() {
		t.Errorf("a start after the successful run: %v (run %s, want %s)", err, again.GetRunID(), run.GetRunID())
	}
	status, err := GetProvisionStatus(ctx, c, workflowID)
	if err != nil || status.Phase != "succeeded" || status.InstanceID != result.InstanceID {
		t.Errorf("status %+v, %v; want succeeded with %s", status, err, result.InstanceID)
	}
	description, err := c.DescribeWorkflow(ctx, workflowID, run.GetRunID())
	if err != nil {
		t.Fatal(err)
	}
	summary, _ := description.GetStaticSummary()
	environment, _ := description.TypedSearchAttributes.GetKeyword(StagelyEnvironment)
	if summary != "small/arm64 on-demand in us-east-1 for pr-go" || environment != "pr-go" {
		t.Errorf("summary %q and StagelyEnvironment %q; want the TypeScript client's", summary, environment)
	}
	// The control for the encryption test: without a key, the user data is in the history.
	if !rawHistoryHolds(t, s.address, workflowID, marker) {
		t.Error("the plain-text history does not hold the user data; the encryption test's check would prove nothing")
	}

	teardown, err := TerminateInstance(ctx, c, result.InstanceID, "")
	if err != nil || teardown.InstanceID != result.InstanceID || teardown.AlreadyGone {
		t.Errorf("TerminateInstance = %+v, %v", teardown, err)
	}
}

func TestIntegrationGetInstanceStatus(t *testing.T) {
	s := localStack(t)
	c := dial(t, s.address, nil)
	ctx := testContext(t)
	workflowID := uniqueName("go-status")
	req := ProvisionRequest{Size: SizeSmall, Architecture: ArchitectureAMD64, PollInterval: Duration(time.Second)}
	if _, err := StartProvision(ctx, c, req, StartOptions{WorkflowID: workflowID}); err != nil {
		t.Fatalf("StartProvision: %v", err)
	}
	result, err := GetProvisionResult(ctx, c, workflowID)
	if err != nil {
		t.Fatalf("GetProvisionResult: %v", err)
	}

	status, err := GetInstanceStatus(ctx, c, result.InstanceID, "")
	if err != nil {
		t.Fatalf("GetInstanceStatus: %v (failure type %q)", err, FailureType(err))
	}
	if status.InstanceID != result.InstanceID || status.State != InstanceStateRunning || status.EC2State != "running" ||
		status.PublicIP != result.PublicIP || status.PrivateIP != result.PrivateIP || status.InstanceType != result.InstanceType ||
		status.LaunchedAt == nil || !status.LaunchedAt.Equal(result.LaunchedAt) {
		t.Errorf("GetInstanceStatus = %+v; want the provisioned instance %+v, running", status, result)
	}

	if _, err := TerminateInstance(ctx, c, result.InstanceID, "us-east-1"); err != nil {
		t.Fatalf("TerminateInstance: %v", err)
	}
	status, err = GetInstanceStatus(ctx, c, result.InstanceID, "us-east-1")
	if err != nil || status.State != InstanceStateTerminated {
		t.Errorf("after the teardown: %+v, %v; want terminated", status, err)
	}

	_, err = GetInstanceStatus(ctx, c, "i-0123456789abcdef0", "")
	if FailureType(err) != InstanceNotFound {
		t.Errorf("an unknown id: FailureType = %q (%v), want InstanceNotFound", FailureType(err), err)
	}
	_, err = GetInstanceStatus(ctx, c, "i-nope", "")
	if FailureType(err) != InvalidSpec {
		t.Errorf("a malformed id: FailureType = %q (%v), want InvalidSpec", FailureType(err), err)
	}
}

func TestIntegrationBadRequestFailsWithInvalidSpec(t *testing.T) {
	s := localStack(t)
	c := dial(t, s.address, nil)
	ctx := testContext(t)
	// Sent without ValidateRequest: the worker is the authority and refuses it itself.
	req := ProvisionRequest{Size: "huge", Architecture: ArchitectureAMD64, Tags: map[string]string{"aws:owner": "me"}}
	run, err := StartProvision(ctx, c, req, StartOptions{WorkflowID: uniqueName("go-invalid")})
	if err != nil {
		t.Fatalf("StartProvision: %v", err)
	}
	var result ProvisionResult
	err = run.Get(ctx, &result)
	if FailureType(err) != InvalidSpec {
		t.Fatalf("FailureType = %q (%v), want InvalidSpec", FailureType(err), err)
	}
	var workflowErr *temporal.WorkflowExecutionError
	var appErr *temporal.ApplicationError
	if !errors.As(err, &workflowErr) || !errors.As(err, &appErr) {
		t.Fatalf("want a workflow execution error wrapping an application error, got %T", err)
	}
	var details InvalidSpecDetails
	if err := appErr.Details(&details); err != nil {
		t.Fatalf("details: %v", err)
	}
	var fields []string
	for _, p := range details.Problems {
		fields = append(fields, p.Field)
	}
	if fmt.Sprint(fields) != "[size tags.aws:owner]" {
		t.Errorf("problems on %v, want size and tags.aws:owner", fields)
	}
	// ValidateRequest refuses the same request before any workflow, with the same failure type.
	if FailureType(ValidateRequest(req)) != InvalidSpec {
		t.Error("ValidateRequest lets the request through")
	}
}

func TestIntegrationPrivateSubnetFailsWithPublicIpTimeout(t *testing.T) {
	s := localStack(t)
	c := dial(t, s.address, nil)
	ctx := testContext(t)
	req := ProvisionRequest{
		Size: SizeSmall, Architecture: ArchitectureAMD64, SubnetID: s.privateSubnet,
		IPWaitTimeout: Duration(10 * time.Second), PollInterval: Duration(time.Second),
	}
	workflowID := uniqueName("go-no-ip")
	if _, err := StartProvision(ctx, c, req, StartOptions{WorkflowID: workflowID}); err != nil {
		t.Fatalf("StartProvision: %v", err)
	}
	_, err := GetProvisionResult(ctx, c, workflowID)
	if FailureType(err) != PublicIpTimeout {
		t.Fatalf("FailureType = %q (%v), want PublicIpTimeout", FailureType(err), err)
	}
	if status, err := GetProvisionStatus(ctx, c, workflowID); err != nil || status.Phase != "failed" || status.Deadline == nil {
		t.Errorf("status %+v, %v; want failed with a deadline", status, err)
	}
}

func TestIntegrationSecondStartAttaches(t *testing.T) {
	s := localStack(t)
	c := dial(t, s.address, nil)
	ctx := testContext(t)
	// No public IP and an hour to wait for one: the run stays open until cancelled.
	req := ProvisionRequest{Size: SizeSmall, Architecture: ArchitectureARM64, SubnetID: s.privateSubnet, IPWaitTimeout: Duration(time.Hour), PollInterval: Duration(time.Second)}
	opts := StartOptions{WorkflowID: uniqueName("go-attach")}
	first, err := StartProvision(ctx, c, req, opts)
	if err != nil {
		t.Fatalf("first StartProvision: %v", err)
	}
	second, err := StartProvision(ctx, c, req, opts)
	if err != nil {
		t.Fatalf("second StartProvision: %v", err)
	}
	if second.GetRunID() != first.GetRunID() {
		t.Errorf("the second start began run %s instead of attaching to %s", second.GetRunID(), first.GetRunID())
	}
	if err := CancelProvision(ctx, c, opts.WorkflowID); err != nil {
		t.Fatalf("CancelProvision: %v", err)
	}
	_, err = GetProvisionResult(ctx, c, opts.WorkflowID)
	var canceled *temporal.CanceledError
	if !errors.As(err, &canceled) || FailureType(err) != "" {
		t.Errorf("after cancelling: %v (failure type %q), want a cancellation", err, FailureType(err))
	}
	// A cancelled run may be retried under the same ID: a new run starts.
	third, err := StartProvision(ctx, c, req, opts)
	if err != nil || third.GetRunID() == first.GetRunID() {
		t.Errorf("a start after the cancelled run: %v (run %s)", err, third.GetRunID())
	}
	if err := CancelProvision(ctx, c, opts.WorkflowID); err != nil {
		t.Errorf("cancel the retry: %v", err)
	}
	_, _ = GetProvisionResult(ctx, c, opts.WorkflowID)
}

func TestIntegrationStartWithAnotherRequestConflicts(t *testing.T) {
	s := localStack(t)
	c := dial(t, s.address, nil)
	ctx := testContext(t)
	// An open run: no public IP and an hour to wait for one.
	req := ProvisionRequest{Size: SizeSmall, Architecture: ArchitectureARM64, SubnetID: s.privateSubnet, IPWaitTimeout: Duration(time.Hour), PollInterval: Duration(time.Second)}
	opts := StartOptions{WorkflowID: uniqueName("go-conflict")}
	first, err := StartProvision(ctx, c, req, opts)
	if err != nil {
		t.Fatalf("first StartProvision: %v", err)
	}
	t.Cleanup(func() {
		_ = CancelProvision(context.Background(), c, opts.WorkflowID)
	})

	// The same request with the worker's defaults spelled out attaches.
	same := req
	same.Region, same.SpotFallback, same.RootVolumeGiB = "us-east-1", SpotFallbackOnDemand, 20
	same.SubnetID, same.SubnetIDs = "", []string{s.privateSubnet}
	attached, err := StartProvision(ctx, c, same, opts)
	if err != nil || attached.GetRunID() != first.GetRunID() {
		t.Fatalf("the same request: %v (run %v, want %s)", err, attached, first.GetRunID())
	}

	other := req
	other.Size, other.Tags = SizeLarge, map[string]string{"team": "web"}
	run, err := StartProvision(ctx, c, other, opts)
	var conflict *ProvisionConflictError
	if run != nil || !errors.As(err, &conflict) {
		t.Fatalf("another request: run %v, error %v; want a *ProvisionConflictError", run, err)
	}
	if FailureType(err) != ProvisionConflict || conflict.WorkflowID != opts.WorkflowID || conflict.RunID != first.GetRunID() ||
		conflict.RunStatus != "RUNNING" || fmt.Sprint(conflict.Fields) != "[rootVolumeGiB size tags]" {
		t.Errorf("conflict %+v (failure type %q); want RUNNING run %s differing in rootVolumeGiB, size, tags", conflict, FailureType(err), first.GetRunID())
	}
	if !strings.Contains(err.Error(), "(differs in rootVolumeGiB, size, tags); start it with the same request to attach, or use another workflow ID") {
		t.Errorf("message %q does not name the fields and what to do", err)
	}
	// Nothing was started: the open run is still the ID's only run.
	description, err := c.DescribeWorkflow(ctx, opts.WorkflowID, "")
	if err != nil || description.WorkflowExecution.RunID != first.GetRunID() {
		t.Errorf("the ID's current run: %+v, %v; want %s", description, err, first.GetRunID())
	}
}

func TestIntegrationEncryptingWorker(t *testing.T) {
	s := localStack(t)
	t.Setenv("STAGELY_PAYLOAD_KEY", s.payloadKey)
	dataConverter, err := DataConverterFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, s.address, dataConverter)
	ctx := testContext(t)
	marker := uniqueName("MARKER")
	workflowID := uniqueName("go-encrypted")
	req := ProvisionRequest{Size: SizeSmall, Architecture: ArchitectureARM64, UserData: "#!/bin/bash\necho token=" + marker + "\n", PollInterval: Duration(time.Second)}
	run, err := StartProvision(ctx, c, req, StartOptions{WorkflowID: workflowID, TaskQueue: s.encryptedQueue})
	if err != nil {
		t.Fatalf("StartProvision: %v", err)
	}
	result, err := GetProvisionResult(ctx, c, workflowID)
	if err != nil || !strings.HasPrefix(result.InstanceID, "i-") || result.PublicIP == "" {
		t.Fatalf("GetProvisionResult = %+v, %v", result, err)
	}
	// A second start reads the run's encrypted request with the key (DataConverterFromEnv) to compare.
	again, err := StartProvision(ctx, c, req, StartOptions{WorkflowID: workflowID, TaskQueue: s.encryptedQueue})
	if err != nil || again.GetRunID() != run.GetRunID() {
		t.Errorf("a second start of the encrypted run: %v; want run %s", err, run.GetRunID())
	}
	if rawHistoryHolds(t, s.address, workflowID, marker) {
		t.Error("the history holds the user data in plain text")
	}
	key, _ := base64.StdEncoding.DecodeString(s.payloadKey)
	if !rawHistoryHolds(t, s.address, workflowID, PayloadKeyID(key)) {
		t.Error("the history names no payload key id: nothing was encrypted with the worker's key")
	}
	// Without the key, the result cannot be read.
	plain := dial(t, s.address, nil)
	if _, err := GetProvisionResult(ctx, plain, workflowID); err == nil {
		t.Error("a client without the key read the encrypted result")
	}
	t.Setenv("STAGELY_TASK_QUEUE", s.encryptedQueue)
	if _, err := TerminateInstance(ctx, c, result.InstanceID, "us-east-1"); err != nil {
		t.Errorf("TerminateInstance: %v", err)
	}
}

func TestIntegrationLease(t *testing.T) {
	s := localStack(t)
	c := dial(t, s.address, nil)
	ctx := testContext(t)
	leaseID := uniqueName("go-lease")
	req := LeaseRequest{Instance: ProvisionRequest{Size: SizeSmall, Architecture: ArchitectureAMD64, PollInterval: Duration(time.Second)}, TTL: Duration(time.Hour)}
	run, err := StartLease(ctx, c, req, StartOptions{WorkflowID: leaseID, Environment: "pr-go-lease"})
	if err != nil {
		t.Fatalf("StartLease: %v", err)
	}
	// A second start while the lease is open attaches to it rather than holding a second VM.
	again, err := StartLease(ctx, c, req, StartOptions{WorkflowID: leaseID, Environment: "pr-go-lease"})
	if err != nil || again.GetRunID() != run.GetRunID() {
		t.Errorf("a second start: %v (run %s, want %s)", err, again.GetRunID(), run.GetRunID())
	}

	description, err := c.DescribeWorkflow(ctx, leaseID, run.GetRunID())
	if err != nil {
		t.Fatal(err)
	}
	summary, _ := description.GetStaticSummary()
	environment, _ := description.TypedSearchAttributes.GetKeyword(StagelyEnvironment)
	if summary != "Lease for pr-go-lease: small/amd64 on-demand in us-east-1, ttl 1h0m0s" || environment != "pr-go-lease" {
		t.Errorf("summary %q and StagelyEnvironment %q; want the TypeScript client's", summary, environment)
	}

	vm, err := WaitLeaseReady(ctx, c, leaseID)
	if err != nil {
		t.Fatalf("WaitLeaseReady: %v (failure type %q)", err, FailureType(err))
	}
	if !strings.HasPrefix(vm.InstanceID, "i-") || vm.PublicIP == "" || vm.Size != SizeSmall {
		t.Errorf("WaitLeaseReady = %+v; want a ready small VM", vm)
	}
	status, err := GetLeaseStatus(ctx, c, leaseID)
	if err != nil || status.Phase != LeasePhaseReady || status.Instance == nil || status.Instance.InstanceID != vm.InstanceID ||
		!slices.Equal(status.InstanceIDs, []string{vm.InstanceID}) || status.ExpiresAt.IsZero() {
		t.Fatalf("GetLeaseStatus = %+v, %v; want ready with %s", status, err, vm.InstanceID)
	}

	expiresAt, err := ExtendLease(ctx, c, leaseID, Duration(3*time.Hour))
	if err != nil || !expiresAt.After(status.ExpiresAt.Add(time.Hour)) {
		t.Errorf("ExtendLease = %v, %v; want about 3h from now, after %v", expiresAt, err, status.ExpiresAt)
	}
	if extended, err := GetLeaseStatus(ctx, c, leaseID); err != nil || !extended.ExpiresAt.Equal(expiresAt) {
		t.Errorf("the status after the extension says %v (%v); want %v", extended.ExpiresAt, err, expiresAt)
	}
	if _, err := ExtendLease(ctx, c, leaseID, Duration(31*24*time.Hour)); err == nil {
		t.Error("an extension past 30 days was accepted")
	}

	result, err := DestroyLease(ctx, c, leaseID, "PR closed")
	if err != nil || result.EndedBy != LeaseEndDestroyed || result.Reason != "PR closed" || result.Instance == nil ||
		result.Instance.InstanceID != vm.InstanceID || result.EndedAt.IsZero() {
		t.Fatalf("DestroyLease = %+v, %v; want destroyed with %s", result, err, vm.InstanceID)
	}
	instance, err := GetInstanceStatus(ctx, c, vm.InstanceID, "")
	if err != nil || instance.State != InstanceStateTerminated {
		t.Errorf("the lease's VM after DestroyLease: %+v, %v; want terminated", instance, err)
	}
	// Destroying a completed lease returns its result again.
	if second, err := DestroyLease(ctx, c, leaseID, ""); err != nil || second.EndedBy != LeaseEndDestroyed || !second.EndedAt.Equal(result.EndedAt) {
		t.Errorf("a second DestroyLease = %+v, %v; want the lease's result", second, err)
	}
	if ended, err := GetLeaseStatus(ctx, c, leaseID); err != nil || ended.Phase != LeasePhaseEnded || ended.EndedBy != LeaseEndDestroyed {
		t.Errorf("the status of the ended lease: %+v, %v", ended, err)
	}
}
