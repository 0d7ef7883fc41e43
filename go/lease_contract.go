package provisioner

import "time"

// The values of LeaseRequest.OnInstanceLost.
const (
	// OnInstanceLostEnd ends the lease when its VM is stopped or terminated behind its back (the default).
	OnInstanceLostEnd = "end"
	// OnInstanceLostReplace provisions a new VM instead (at most 3 times).
	OnInstanceLostReplace = "replace"
)

// The values of LeaseStatus.Phase.
const (
	LeasePhaseProvisioning = "provisioning"
	LeasePhaseReady        = "ready"
	LeasePhaseReplacing    = "replacing"
	LeasePhaseTearingDown  = "tearing-down"
	LeasePhaseEnded        = "ended"
)

// The values of LeaseResult.EndedBy and LeaseStatus.EndedBy.
const (
	LeaseEndDestroyed = "destroyed"
	LeaseEndExpired   = "expired"
	LeaseEndLost      = "lost"
	LeaseEndFailed    = "failed"
)

// LeaseRequest is the input of vmLease (contract/vm-lease.request.schema.json). Zero values are
// left out of the JSON, so the worker applies its defaults.
type LeaseRequest struct {
	// Instance is the VM to hold, passed to each of the lease's provisions unchanged.
	Instance ProvisionRequest `json:"instance"`
	// TTL is how long the lease lasts from its start, 1m to 720h; default 24h.
	TTL Duration `json:"ttl,omitempty"`
	// OnInstanceLost is OnInstanceLostEnd (the default) or OnInstanceLostReplace.
	OnInstanceLost string `json:"onInstanceLost,omitempty"`
	// WatchInterval is how often the lease checks that its VM is still there, 10s to 1h; default 1m.
	WatchInterval Duration `json:"watchInterval,omitempty"`
}

// extendRequest is the argument of the extend update (contract/vm-lease.extend.request.schema.json).
type extendRequest struct {
	TTL Duration `json:"ttl"`
}

// destroyRequest is the argument of the destroy update (contract/vm-lease.destroy.request.schema.json).
type destroyRequest struct {
	// Reason says why, for the log and the result (at most 500 characters).
	Reason string `json:"reason,omitempty"`
}

// ExtendResult is the result of the extend update (contract/vm-lease.extend.result.schema.json).
type ExtendResult struct {
	// ExpiresAt is the lease's new expiry.
	ExpiresAt time.Time `json:"expiresAt"`
}

// LeaseReplacement is a VM the lease lost and replaced.
type LeaseReplacement struct {
	// InstanceID is the lost instance.
	InstanceID string `json:"instanceId"`
	// State is the state the watch saw it in: "stopped", "terminated" or "not-found".
	State string    `json:"state"`
	At    time.Time `json:"at"`
}

// LeaseFailure is why a lease's provision failed: the child run's failure type and message.
type LeaseFailure struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

// LeaseStatus is the answer of the lease's status query (contract/vm-lease.status.schema.json).
type LeaseStatus struct {
	// Phase is a LeasePhase value: provisioning, ready, replacing, tearing-down or ended.
	Phase string `json:"phase"`
	// Instance is the current VM once it is ready.
	Instance  *ProvisionResult `json:"instance,omitempty"`
	ExpiresAt time.Time        `json:"expiresAt"`
	// Replacements counts the lost VMs that were replaced (at most 3).
	Replacements int `json:"replacements"`
	// Replaced lists each replacement, in order.
	Replaced []LeaseReplacement `json:"replaced"`
	// InstanceIDs lists every instance the lease held, in order.
	InstanceIDs []string `json:"instanceIds"`
	// EndedBy is a LeaseEnd value, once the lease is ending.
	EndedBy string `json:"endedBy,omitempty"`
	// Reason is the destroy reason, when one was given.
	Reason  string        `json:"reason,omitempty"`
	Failure *LeaseFailure `json:"failure,omitempty"`
}

// LeaseResult is the result of vmLease (contract/vm-lease.result.schema.json). Whatever the end,
// every VM of the lease is terminated.
type LeaseResult struct {
	// EndedBy is LeaseEndDestroyed, LeaseEndExpired, LeaseEndLost or LeaseEndFailed.
	EndedBy string `json:"endedBy"`
	// Instance is the last VM the lease held, or nil when none became ready.
	Instance    *ProvisionResult   `json:"instance"`
	InstanceIDs []string           `json:"instanceIds"`
	EndedAt     time.Time          `json:"endedAt"`
	Replaced    []LeaseReplacement `json:"replaced"`
	// Reason is the destroy reason, when one was given.
	Reason string `json:"reason,omitempty"`
	// Failure is the provision's failure, with EndedBy LeaseEndFailed.
	Failure *LeaseFailure `json:"failure,omitempty"`
}
