package provisioner

import (
	"encoding/json"
	"fmt"
	"time"
)

// Duration is a time.Duration whose JSON is Go's duration string ("5m0s"), which the worker reads.
// A bare time.Duration would marshal as nanoseconds, and the worker reads numbers as milliseconds.
type Duration time.Duration

// MarshalJSON writes the duration as a string such as "5m0s".
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a Go duration string, or a number of milliseconds as the worker does.
func (d *Duration) UnmarshalJSON(data []byte) error {
	var text string
	if err := json.Unmarshal(data, &text); err == nil {
		parsed, err := time.ParseDuration(text)
		if err != nil {
			return fmt.Errorf("duration %q: %w", text, err)
		}
		*d = Duration(parsed)
		return nil
	}
	var ms float64
	if err := json.Unmarshal(data, &ms); err != nil {
		return fmt.Errorf("duration must be a string like \"5m0s\" or a number of milliseconds, got %s", data)
	}
	*d = Duration(ms * float64(time.Millisecond))
	return nil
}

// String is the time.Duration form, e.g. "5m0s".
func (d Duration) String() string {
	return time.Duration(d).String()
}
