package provisioner

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"time"
)

// wholeRequest stands for the whole request when the fields cannot be compared one by one.
const wholeRequest = "(request)"

// rootVolumeGiB is the worker's default root volume by size (src/common/instance-types.ts).
var rootVolumeGiB = map[Size]int{SizeSmall: 20, SizeMedium: 40, SizeLarge: 80}

const (
	defaultIPWaitTimeout = 5 * time.Minute
	defaultPollInterval  = 5 * time.Second
	defaultNameTagValue  = "stagely-vm"
)

// zeroAllowed are the fields whose JSON zero value (false, "", [], {}) the worker accepts; any other
// field given as its zero value (an empty region, a 0 volume, "0s") is a request the worker refuses,
// which Go's decoding alone would take for the field left out.
var zeroAllowed = []string{"spotInstance", "userData", "securityGroupIds", "tags"}

// digitsOnly is a duration the worker reads as milliseconds ("5000"), which Go's parser refuses.
var digitsOnly = regexp.MustCompile(`^\d+$`)

// differingFields compares two provision requests as the TypeScript client does before it attaches
// (src/common/request-differences.ts): as the worker normalises them, defaults applied, durations in
// milliseconds, subnetId as a one-subnet subnetIds and the default Name tag merged into tags. It
// returns the differing normalised fields, sorted; none when both ask for the same VM; and
// "(request)" when either is a request the worker would refuse and they differ as JSON.
// contract/request-differences.json holds the TypeScript answers for the same pairs.
func differingFields(existing, requested []byte) []string {
	a, okA := normalise(existing)
	b, okB := normalise(requested)
	if !okA || !okB {
		if okA == okB && canonicalJSON(existing) == canonicalJSON(requested) {
			return []string{}
		}
		return []string{wholeRequest}
	}
	fields := []string{}
	for name := range a {
		if !reflect.DeepEqual(a[name], b[name]) {
			fields = append(fields, name)
		}
	}
	for name := range b {
		if _, both := a[name]; !both {
			fields = append(fields, name)
		}
	}
	sort.Strings(fields)
	return fields
}

// normalise is the worker's normalised spec of a request (validateProvisionRequest's ProvisionSpec),
// each field as canonical JSON, or false when the worker would refuse the request.
func normalise(raw []byte) (map[string]string, bool) {
	var fields map[string]json.RawMessage
	if len(bytes.TrimSpace(raw)) == 0 || json.Unmarshal(raw, &fields) != nil || fields == nil {
		return nil, false
	}
	for name, value := range fields {
		if string(value) == "null" || (!slices.Contains(zeroAllowed, name) && isZeroJSON(value)) {
			return nil, false
		}
		if (name == "ipWaitTimeout" || name == "pollInterval") && !readDuration(fields, name) {
			return nil, false
		}
	}
	withDurations, _ := json.Marshal(fields)
	decoder := json.NewDecoder(bytes.NewReader(withDurations))
	decoder.DisallowUnknownFields()
	var req ProvisionRequest
	if decoder.Decode(&req) != nil || ValidateRequest(req) != nil || (fields["subnetIds"] != nil && len(req.SubnetIDs) == 0) {
		return nil, false
	}

	tags := map[string]string{defaultNameTag: defaultNameTagValue}
	for key, value := range req.Tags {
		tags[key] = value
	}
	subnets := req.SubnetIDs
	if req.SubnetID != "" {
		subnets = []string{req.SubnetID}
	}
	spec := map[string]any{
		"size":             req.Size,
		"architecture":     req.Architecture,
		"region":           orDefault(req.Region, defaultRegion),
		"spotInstance":     req.SpotInstance,
		"spotFallback":     orDefault(req.SpotFallback, SpotFallbackOnDemand),
		"tags":             tags,
		"subnetIds":        orEmpty(subnets),
		"securityGroupIds": orEmpty(req.SecurityGroupIDs),
		"rootVolumeGiB":    orDefault(req.RootVolumeGiB, rootVolumeGiB[req.Size]),
		"ipWaitTimeoutMs":  milliseconds(req.IPWaitTimeout, defaultIPWaitTimeout),
		"pollIntervalMs":   milliseconds(req.PollInterval, defaultPollInterval),
	}
	if req.ImageID != "" {
		spec["imageId"] = req.ImageID
	}
	if req.UserData != "" {
		spec["userData"] = req.UserData
	}
	if r := req.Readiness; r != nil {
		readiness := map[string]any{
			"statusChecks": r.StatusChecks,
			"address":      orDefault(r.Address, "public"),
			"timeoutMs":    milliseconds(r.Timeout, defaultReadinessTimeout),
		}
		if r.TCPPort != 0 {
			readiness["tcpPort"] = r.TCPPort
		}
		spec["readiness"] = readiness
	}
	normalised := make(map[string]string, len(spec))
	for name, value := range spec {
		text, _ := json.Marshal(value) // maps marshal with sorted keys: canonical
		normalised[name] = string(text)
	}
	return normalised, true
}

// readDuration rewrites a duration the worker reads but Duration does not (a string of digits, in
// milliseconds) as a number; false for a duration neither reads, and for a zero one ("0s"), which
// Duration would take for one left out while the worker's bounds refuse it.
func readDuration(fields map[string]json.RawMessage, name string) bool {
	var text string
	if json.Unmarshal(fields[name], &text) == nil && digitsOnly.MatchString(text) {
		ms, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return false
		}
		fields[name], _ = json.Marshal(ms)
	}
	var d Duration
	return json.Unmarshal(fields[name], &d) == nil && d != 0
}

// isZeroJSON reports false, 0, "", [] and {}.
func isZeroJSON(value json.RawMessage) bool {
	var decoded any
	if json.Unmarshal(value, &decoded) != nil {
		return false
	}
	switch v := decoded.(type) {
	case bool:
		return !v
	case float64:
		return v == 0
	case string:
		return v == ""
	case []any:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	}
	return false
}

// canonicalJSON is the value with object keys sorted at every depth, or "undefined" for no value.
func canonicalJSON(raw []byte) string {
	var decoded any
	decoder := json.NewDecoder(bytes.NewReader(raw))
	decoder.UseNumber()
	if len(bytes.TrimSpace(raw)) == 0 || decoder.Decode(&decoded) != nil {
		return "undefined"
	}
	text, _ := json.Marshal(decoded)
	return string(text)
}

func orDefault[T comparable](value, fallback T) T {
	var zero T
	if value == zero {
		return fallback
	}
	return value
}

func orEmpty(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}

// milliseconds is the duration in whole milliseconds, as the worker rounds it, or the default's.
func milliseconds(d Duration, fallback time.Duration) int64 {
	if d == 0 {
		d = Duration(fallback)
	}
	return int64(math.Round(float64(d) / float64(time.Millisecond)))
}
