package provisioner

import (
	"fmt"
	"strings"
)

// ProvisionConflictError is what StartProvision returns instead of attaching to a run that was started
// with a different request under the same workflow ID; nothing is started. Read it with errors.As;
// FailureType(err) returns ProvisionConflict. It is the TypeScript client's ProvisionConflictError
// (docs/attaching.md), raised by the caller's side, never by the worker.
type ProvisionConflictError struct {
	WorkflowID string
	// RunID and RunStatus are the existing run's ID and execution status as the TypeScript client names it (RUNNING, COMPLETED, ...).
	RunID     string
	RunStatus string
	// Fields are the normalised fields that differ (size, tags, ipWaitTimeoutMs, ...), sorted, or
	// "(request)" when a request the worker would refuse can only be compared whole.
	Fields []string
}

// Error names the run and the fields, and says what to do, in the TypeScript client's words.
func (e *ProvisionConflictError) Error() string {
	return fmt.Sprintf("workflow %s already has a %s run (%s) started with a different request (differs in %s); "+
		"start it with the same request to attach, or use another workflow ID",
		e.WorkflowID, e.RunStatus, e.RunID, strings.Join(e.Fields, ", "))
}
