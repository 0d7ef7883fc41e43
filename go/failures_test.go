package provisioner

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	"go.temporal.io/sdk/temporal"
)

// applicationFailure is the failure an activity or workflow throws, as the server stores it.
func applicationFailure(failureType string, cause *failurepb.Failure) *failurepb.Failure {
	return &failurepb.Failure{
		Message: failureType + " happened",
		Cause:   cause,
		FailureInfo: &failurepb.Failure_ApplicationFailureInfo{ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{
			Type: failureType, NonRetryable: true,
		}},
	}
}

// activityFailure wraps a cause the way the server reports a failed activity (local ones too).
func activityFailure(cause *failurepb.Failure) *failurepb.Failure {
	return &failurepb.Failure{
		Message: "activity error",
		Cause:   cause,
		FailureInfo: &failurepb.Failure_ActivityFailureInfo{ActivityFailureInfo: &failurepb.ActivityFailureInfo{
			ActivityType: &commonpb.ActivityType{Name: "launchInstance"}, RetryState: enumspb.RETRY_STATE_NON_RETRYABLE_FAILURE,
		}},
	}
}

// asError converts a failure to the error chain the SDK hands callers.
func asError(f *failurepb.Failure) error {
	return temporal.GetDefaultFailureConverter().FailureToError(f)
}

func TestFailureType(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"a plain error", errors.New("connection refused"), ""},
		{"an application error", temporal.NewNonRetryableApplicationError("bad", InvalidSpec, nil), InvalidSpec},
		{"an application error wrapped by the caller", fmt.Errorf("provision pr-42: %w", temporal.NewApplicationError("no ip", PublicIpTimeout)), PublicIpTimeout},
		{"a workflow's application failure", asError(applicationFailure(InstanceLost, nil)), InstanceLost},
		{"an activity's application failure", asError(activityFailure(applicationFailure(QuotaExceeded, nil))), QuotaExceeded},
		{
			"the outermost of two: the contract type, not the AWS error it wraps",
			fmt.Errorf("wrapped: %w", asError(activityFailure(applicationFailure(InsufficientCapacity, applicationFailure("InsufficientInstanceCapacity", nil))))),
			InsufficientCapacity,
		},
		{"a cancellation", temporal.NewCanceledError(), ""},
		{"a provision conflict, wrapped by the caller", fmt.Errorf("start: %w", &ProvisionConflictError{WorkflowID: "pr-42", Fields: []string{"size"}}), ProvisionConflict},
		{"a time-out", temporal.NewTimeoutError(enumspb.TIMEOUT_TYPE_START_TO_CLOSE, nil), ""},
		{"a time-out after an application error", temporal.NewTimeoutError(enumspb.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE, temporal.NewApplicationError("throttled", Ec2Throttled)), Ec2Throttled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := FailureType(tc.err); got != tc.want {
				t.Errorf("FailureType(%v) = %q, want %q", tc.err, got, tc.want)
			}
		})
	}
}

// TestFailureTypesMatchTheWorker checks that every failure type the worker throws
// (src/common/failures.ts) has its constant here, spelled the same.
func TestFailureTypesMatchTheWorker(t *testing.T) {
	source, err := os.ReadFile(filepath.Join("..", "src", "common", "failures.ts"))
	if err != nil {
		t.Fatalf("reading the worker's failure types: %v", err)
	}
	goTypes := []string{
		InvalidSpec, InvalidCredentials, QuotaExceeded, InsufficientCapacity, InvalidConfiguration, PublicIpTimeout,
		InstanceLost, InstanceNotFound, TerminationUnconfirmed, NamespaceIdUnknown, Ec2Throttled, Ec2Unavailable, Ec2Unreachable,
		CredentialsUnavailable, ProvisionConflict, NotReady, LeaseEnded,
	}
	// `Name: 'Name',` entries of the FailureType objects, and `export const X = 'Name';` constants.
	workerTypes := regexp.MustCompile(`(?m)^\s+\w+: '(\w+)',$|^export const \w+ = '(\w+)';$`).FindAllStringSubmatch(string(source), -1)
	if len(workerTypes) < 10 {
		t.Fatalf("found only %d failure types in failures.ts; has its layout changed?", len(workerTypes))
	}
	for _, match := range workerTypes {
		name := match[1] + match[2]
		if !slices.Contains(goTypes, name) {
			t.Errorf("the worker throws failure type %q; add a constant for it", name)
		}
	}
	if len(goTypes) != len(workerTypes) {
		t.Errorf("Go has %d failure types, the worker %d", len(goTypes), len(workerTypes))
	}
}
