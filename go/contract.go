package provisioner

import "time"

// TaskQueue is the task queue the worker polls unless configured otherwise (STAGELY_TASK_QUEUE).
const TaskQueue = "stagely-provisioning"

// Workflow type names, as the worker registers them.
const (
	// WorkflowProvisionInstance launches an instance and waits for its public IP.
	WorkflowProvisionInstance = "provisionInstance"
	// WorkflowTerminateInstance terminates an instance and waits until EC2 confirms it.
	WorkflowTerminateInstance = "terminateInstance"
	// WorkflowGetInstanceStatus reads one instance's state through the worker.
	WorkflowGetInstanceStatus = "getInstanceStatus"
	// WorkflowValidateCredentials checks the worker's AWS credentials without launching anything.
	WorkflowValidateCredentials = "validateCredentials"
	// WorkflowReapOrphans is the orphan reaper, normally started by the stagely-reap-orphans schedule.
	WorkflowReapOrphans = "reapOrphans"
	// WorkflowVMLease holds a VM for a preview environment's whole life (docs/leases.md).
	WorkflowVMLease = "vmLease"
)

// StatusQuery is the name of the query that reports a provision's progress.
const StatusQuery = "status"

// Size is an instance size: SizeSmall, SizeMedium or SizeLarge.
type Size string

// The sizes a request may ask for.
const (
	SizeSmall  Size = "small"
	SizeMedium Size = "medium"
	SizeLarge  Size = "large"
)

// Architecture is a CPU architecture: ArchitectureAMD64 or ArchitectureARM64.
type Architecture string

// The architectures a request may ask for.
const (
	ArchitectureAMD64 Architecture = "amd64"
	ArchitectureARM64 Architecture = "arm64"
)

// The values of ProvisionRequest.SpotFallback.
const (
	// SpotFallbackOnDemand launches on-demand when the spot market has no capacity (the default).
	SpotFallbackOnDemand = "on-demand"
	// SpotFallbackNone tries the spot market only.
	SpotFallbackNone = "none"
)

// ProvisionRequest is the input of provisionInstance (contract/provision-instance.request.schema.json).
// Zero values are left out of the JSON, so the worker applies its defaults.
type ProvisionRequest struct {
	Size         Size         `json:"size"`
	Architecture Architecture `json:"architecture"`
	// Region defaults to "us-east-1".
	Region string `json:"region,omitempty"`
	// SpotInstance launches on the spot market.
	SpotInstance bool `json:"spotInstance,omitempty"`
	// SpotFallback is SpotFallbackOnDemand (the default) or SpotFallbackNone.
	SpotFallback string `json:"spotFallback,omitempty"`
	// ImageID launches this image instead of resolving Ubuntu 22.04 for the region.
	ImageID string `json:"imageId,omitempty"`
	// UserData is raw cloud-init user data (the worker base64-encodes it), at most 16384 bytes.
	UserData string `json:"userData,omitempty"`
	// Tags are extra instance tags; Name defaults to "stagely-vm".
	Tags map[string]string `json:"tags,omitempty"`
	// SubnetID is one subnet to launch into; give it or SubnetIDs, not both.
	SubnetID string `json:"subnetId,omitempty"`
	// SubnetIDs are subnets to try in order, one per availability zone.
	SubnetIDs []string `json:"subnetIds,omitempty"`
	// SecurityGroupIDs default to the VPC's default group.
	SecurityGroupIDs []string `json:"securityGroupIds,omitempty"`
	// RootVolumeGiB defaults to 20 (small), 40 (medium) or 80 (large).
	RootVolumeGiB int `json:"rootVolumeGiB,omitempty"`
	// IPWaitTimeout is how long to wait for a public IP after launch, 10s to 1h; default 5m.
	IPWaitTimeout Duration `json:"ipWaitTimeout,omitempty"`
	// PollInterval is how often to look for the public IP (and, with Readiness, to check), 1s to 1m;
	// default 5s.
	PollInterval Duration `json:"pollInterval,omitempty"`
	// Readiness, when set, makes the run wait after the public IP until the VM is usable.
	Readiness *Readiness `json:"readiness,omitempty"`
}

// Readiness is what "ready" means for a provision: each check given must pass within Timeout of the
// public IP, or the run fails with NotReady (docs/readiness.md).
type Readiness struct {
	// StatusChecks waits for EC2's instance and system status checks to be "ok" (minutes on real EC2).
	StatusChecks bool `json:"statusChecks,omitempty"`
	// TCPPort waits until a TCP connection to this port (1-65535) of the instance is accepted.
	TCPPort int `json:"tcpPort,omitempty"`
	// Address is the instance address the TCP check connects to: "public" (the default) or "private".
	Address string `json:"address,omitempty"`
	// Timeout bounds the checks, counted from the public IP, 30s to 1h; default 10m.
	Timeout Duration `json:"timeout,omitempty"`
}

// ReadinessResult is what a ready provision passed (ProvisionResult.Readiness).
type ReadinessResult struct {
	// StatusChecks is "ok" when the request asked for status checks.
	StatusChecks string `json:"statusChecks,omitempty"`
	// TCPPort is the port that accepted a connection, when the request asked for a TCP check.
	TCPPort int `json:"tcpPort,omitempty"`
	// Address is the address the TCP check connected to.
	Address string `json:"address"`
}

// LaunchAttempt is one launch attempt, as ProvisionResult and InsufficientCapacityDetails report it.
type LaunchAttempt struct {
	InstanceType string `json:"instanceType"`
	Spot         bool   `json:"spot"`
	SubnetID     string `json:"subnetId,omitempty"`
	// Outcome is "launched", or the AWS error code that refused the attempt.
	Outcome string `json:"outcome"`
	// InstanceID is the instance the attempt launched.
	InstanceID string `json:"instanceId,omitempty"`
}

// ProvisionResult is the result of a successful provisionInstance (contract/provision-instance.result.schema.json).
type ProvisionResult struct {
	InstanceID   string       `json:"instanceId"`
	PublicIP     string       `json:"publicIp"`
	PrivateIP    string       `json:"privateIp"`
	InstanceType string       `json:"instanceType"`
	ImageID      string       `json:"imageId"`
	Region       string       `json:"region"`
	Size         Size         `json:"size"`
	Architecture Architecture `json:"architecture"`
	Spot         bool         `json:"spot"`
	LaunchedAt   time.Time    `json:"launchedAt"`
	// ImageSource says where ImageID came from: "request", "parameter" (SSM) or "static".
	ImageSource string `json:"imageSource"`
	// SubnetID is the subnet the instance is in, when the request named subnets.
	SubnetID string `json:"subnetId,omitempty"`
	// FallbackReason says why a spot request ended on-demand, when it did.
	FallbackReason string `json:"fallbackReason,omitempty"`
	// Attempts lists every launch attempt in order; the last launched the instance.
	Attempts []LaunchAttempt `json:"attempts"`
	// ReadyAt is when the last readiness check passed, when the request asked for readiness.
	ReadyAt *time.Time `json:"readyAt,omitempty"`
	// Readiness says what was checked, when the request asked for readiness.
	Readiness *ReadinessResult `json:"readiness,omitempty"`
}

// ProvisionStatus is the answer of the status query (contract/provision-instance.status.schema.json).
type ProvisionStatus struct {
	// Phase is one of validating, waiting-for-admission, resolving-image, launching, waiting-for-ip,
	// waiting-for-ready, terminating, succeeded, failed, cancelled.
	Phase string `json:"phase"`
	// InstanceID is set once EC2 has accepted the launch.
	InstanceID string `json:"instanceId,omitempty"`
	// Polls counts the DescribeInstances polls made so far.
	Polls int `json:"polls"`
	// Deadline is when the wait for a public IP gives up; set once launched.
	Deadline *time.Time `json:"deadline,omitempty"`
	// LastState is the instance state the latest poll saw: pending, running, stopped or terminated.
	LastState string `json:"lastState,omitempty"`
	// ReadyDeadline is when the readiness checks give up; set once the wait for them began.
	ReadyDeadline *time.Time `json:"readyDeadline,omitempty"`
}

// teardownRequest is the input of terminateInstance (contract/terminate-instance.request.schema.json).
type teardownRequest struct {
	InstanceID string `json:"instanceId"`
	Region     string `json:"region,omitempty"`
}

// TeardownResult is the result of terminateInstance (contract/terminate-instance.result.schema.json).
type TeardownResult struct {
	InstanceID string `json:"instanceId"`
	// AlreadyGone is true when the instance was terminated (or unknown to EC2) before this run.
	AlreadyGone bool `json:"alreadyGone"`
}

// instanceStatusRequest is the input of getInstanceStatus (contract/get-instance-status.request.schema.json).
type instanceStatusRequest struct {
	InstanceID string `json:"instanceId"`
	Region     string `json:"region,omitempty"`
}

// The values of InstanceStatus.State: EC2's six states folded into four.
const (
	InstanceStatePending    = "pending"
	InstanceStateRunning    = "running"
	InstanceStateStopped    = "stopped"    // EC2's stopping or stopped
	InstanceStateTerminated = "terminated" // EC2's shutting-down or terminated
)

// InstanceStatus is the result of getInstanceStatus (contract/get-instance-status.result.schema.json):
// one instance as EC2 describes it now.
type InstanceStatus struct {
	InstanceID string `json:"instanceId"`
	// State is InstanceStatePending, InstanceStateRunning, InstanceStateStopped or InstanceStateTerminated.
	State string `json:"state"`
	// EC2State is EC2's own state name (pending, running, stopping, stopped, shutting-down,
	// terminated), or "unknown" when EC2 gave none.
	EC2State     string `json:"ec2State"`
	PublicIP     string `json:"publicIp,omitempty"`
	PrivateIP    string `json:"privateIp,omitempty"`
	InstanceType string `json:"instanceType,omitempty"`
	// LaunchedAt is when EC2 last started the instance; nil when EC2 did not say.
	LaunchedAt *time.Time `json:"launchedAt,omitempty"`
}

// credentialsRequest is the input of validateCredentials (contract/validate-credentials.request.schema.json).
type credentialsRequest struct {
	Region string `json:"region,omitempty"`
}

// CredentialsCheck is the result of validateCredentials (contract/validate-credentials.result.schema.json).
type CredentialsCheck struct {
	Region string `json:"region"`
	// RegionCount is how many regions the credentials can see.
	RegionCount int `json:"regionCount"`
}

// SpecProblem is one problem with a request, naming its field as the caller spelled it.
type SpecProblem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// InvalidSpecDetails is the first detail of an InvalidSpec failure of provisionInstance or
// terminateInstance (contract/failure-details.invalid-spec.schema.json); read it with
// ApplicationError.Details.
type InvalidSpecDetails struct {
	Problems []SpecProblem `json:"problems"`
}

// InsufficientCapacityDetails is the first detail of an InsufficientCapacity failure
// (contract/failure-details.insufficient-capacity.schema.json).
type InsufficientCapacityDetails struct {
	Attempts []LaunchAttempt `json:"attempts"`
}

// AWSErrorDetails is the first detail of a failure translated from an AWS error
// (contract/failure-details.aws-error.schema.json).
type AWSErrorDetails struct {
	AWSErrorCode string `json:"awsErrorCode,omitempty"`
	HTTPStatus   int    `json:"httpStatus,omitempty"`
	RequestID    string `json:"requestId,omitempty"`
}

// NotReadyDetails is the first detail of a NotReady failure: what the readiness checks saw last.
type NotReadyDetails struct {
	// StatusChecks holds EC2's last instance and system status, when status checks were asked for.
	StatusChecks *struct {
		Instance string `json:"instance"`
		System   string `json:"system"`
	} `json:"statusChecks,omitempty"`
	// LastTCPError says why the last TCP connection failed, when a TCP check was asked for.
	LastTCPError string `json:"lastTcpError,omitempty"`
	// ConsoleOutputTail is the last 4 KiB of the instance's console output, decoded.
	ConsoleOutputTail string `json:"consoleOutputTail,omitempty"`
}
