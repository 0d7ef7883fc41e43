package provisioner

import (
	"errors"

	"go.temporal.io/sdk/temporal"
)

// Failure types: the Type of the application errors a provision (or teardown, or reaper run) ends
// with. The worker's src/common/failures.ts is the source; the README's failure table explains them.
const (
	// InvalidSpec: the request was malformed; nothing was sent to AWS.
	InvalidSpec = "InvalidSpec"
	// InvalidCredentials: AWS rejected the worker's credentials or their permissions.
	InvalidCredentials = "InvalidCredentials"
	// QuotaExceeded: an account limit (instances, vCPUs, spot requests, addresses) is reached.
	QuotaExceeded = "QuotaExceeded"
	// InsufficientCapacity: AWS has no capacity for this instance type (or spot price) right now.
	InsufficientCapacity = "InsufficientCapacity"
	// InvalidConfiguration: EC2 rejected a launch parameter (instance type, AMI, subnet, security group).
	InvalidConfiguration = "InvalidConfiguration"
	// PublicIpTimeout: no public IP appeared before the deadline; the instance was terminated.
	PublicIpTimeout = "PublicIpTimeout"
	// InstanceLost: the instance stopped or terminated before it had a public IP; it was terminated.
	InstanceLost = "InstanceLost"
	// NotReady: the readiness checks did not pass in time; the instance was terminated.
	NotReady = "NotReady"
	// LeaseEnded: a lease's waitReady update found the lease ended (destroyed, expired, lost) before
	// it had a ready VM.
	LeaseEnded = "LeaseEnded"
	// InstanceNotFound: GetInstanceStatus asked about an id EC2 does not know in that region (never
	// launched there, terminated long ago, or launched a moment ago and not yet visible).
	InstanceNotFound = "InstanceNotFound"
	// TerminationUnconfirmed: EC2 accepted a termination but never reported the instance shutting down.
	TerminationUnconfirmed = "TerminationUnconfirmed"
	// NamespaceIdUnknown: the reaper's worker does not know its namespace's ID, so it judged nothing.
	NamespaceIdUnknown = "NamespaceIdUnknown"
	// Ec2Throttled: EC2 kept throttling an activity until its retries ran out.
	Ec2Throttled = "Ec2Throttled"
	// Ec2Unavailable: EC2 kept answering with server errors until the retries ran out.
	Ec2Unavailable = "Ec2Unavailable"
	// Ec2Unreachable: EC2 could not be reached until the retries ran out.
	Ec2Unreachable = "Ec2Unreachable"
	// CredentialsUnavailable: the worker could not fetch or refresh its AWS credentials (or they had
	// expired) until the retries ran out.
	CredentialsUnavailable = "CredentialsUnavailable"
	// ProvisionConflict: a start named the workflow ID of a run that has (or had) a different request;
	// StartProvision returns a *ProvisionConflictError and starts nothing.
	ProvisionConflict = "ProvisionConflict"
)

// FailureType returns the Type of the outermost application error in err's chain (a workflow,
// activity or local activity failure wraps it), ProvisionConflict for a *ProvisionConflictError,
// or "" when there is neither (a cancellation, a time-out, a connection error).
func FailureType(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Type()
	}
	var conflict *ProvisionConflictError
	if errors.As(err, &conflict) {
		return ProvisionConflict
	}
	return ""
}
