package provisioner

import (
	"encoding/json"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// goFields lists a struct's JSON field names and those without omitempty (always written), sorted.
func goFields(t reflect.Type) (fields, always []string) {
	for i := range t.NumField() {
		name, options, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		fields = append(fields, name)
		if options != "omitempty" {
			always = append(always, name)
		}
	}
	sort.Strings(fields)
	sort.Strings(always)
	return fields, always
}

var launchedAt = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// leasedVM is a lease's VM in the lease samples below.
var leasedVM = ProvisionResult{
	InstanceID: "i-0123456789abcdef0", PublicIP: "203.0.113.10", PrivateIP: "10.0.1.10", InstanceType: "t3.small",
	ImageID: "ami-0123456789abcdef0", Region: "us-east-1", Size: SizeSmall, Architecture: ArchitectureAMD64,
	LaunchedAt: launchedAt, ImageSource: "static", Attempts: []LaunchAttempt{{InstanceType: "t3.small", Outcome: "launched", InstanceID: "i-0123456789abcdef0"}},
}

// Each Go type with a value that sets every field, against the schema that describes it.
var contractTypes = []struct {
	file   string
	def    string // a $defs entry of the file, or "" for its root
	sample any
}{
	{"provision-instance.request.schema.json", "", &ProvisionRequest{
		Size: SizeMedium, Architecture: ArchitectureARM64, Region: "eu-west-1", SpotInstance: true, SpotFallback: SpotFallbackNone,
		ImageID: "ami-0123456789abcdef0", UserData: "#!/bin/bash\necho Zoë 🚀\n", Tags: map[string]string{"team": "web", "Name": "pr-42"},
		SubnetIDs: []string{"subnet-0123456789abcdef0", "subnet-0123abcd"}, SecurityGroupIDs: []string{"sg-0123456789abcdef0"},
		RootVolumeGiB: 100, IPWaitTimeout: Duration(2 * time.Minute), PollInterval: Duration(1500 * time.Millisecond),
	}},
	{"provision-instance.result.schema.json", "", &ProvisionResult{
		InstanceID: "i-0123456789abcdef0", PublicIP: "203.0.113.10", PrivateIP: "10.0.1.10", InstanceType: "t4g.medium",
		ImageID: "ami-0123456789abcdef0", Region: "eu-west-1", Size: SizeMedium, Architecture: ArchitectureARM64, Spot: true,
		LaunchedAt: launchedAt, ImageSource: "parameter", SubnetID: "subnet-0123abcd", FallbackReason: "no spot capacity",
		Attempts: []LaunchAttempt{
			{InstanceType: "t4g.medium", Spot: true, SubnetID: "subnet-0123456789abcdef0", Outcome: "InsufficientInstanceCapacity"},
			{InstanceType: "t4g.medium", Spot: false, SubnetID: "subnet-0123abcd", Outcome: "launched", InstanceID: "i-0123456789abcdef0"},
		},
	}},
	{"provision-instance.result.schema.json", "LaunchAttempt", &LaunchAttempt{InstanceType: "t3.small", Spot: true, SubnetID: "subnet-0123abcd", Outcome: "launched", InstanceID: "i-0123abcd"}},
	{"provision-instance.status.schema.json", "", &ProvisionStatus{Phase: "waiting-for-ip", InstanceID: "i-0123abcd", Polls: 3, Deadline: &launchedAt, LastState: "pending"}},
	{"terminate-instance.request.schema.json", "", &teardownRequest{InstanceID: "i-0123456789abcdef0", Region: "us-west-2"}},
	{"terminate-instance.result.schema.json", "", &TeardownResult{InstanceID: "i-0123456789abcdef0", AlreadyGone: true}},
	{"get-instance-status.request.schema.json", "", &instanceStatusRequest{InstanceID: "i-0123456789abcdef0", Region: "eu-west-1"}},
	{"get-instance-status.result.schema.json", "", &InstanceStatus{
		InstanceID: "i-0123456789abcdef0", State: InstanceStateStopped, EC2State: "stopping", PublicIP: "203.0.113.10", PrivateIP: "10.0.1.10",
		InstanceType: "t4g.small", LaunchedAt: &launchedAt,
	}},
	{"validate-credentials.request.schema.json", "", &credentialsRequest{Region: "eu-central-1"}},
	{"validate-credentials.result.schema.json", "", &CredentialsCheck{Region: "us-east-1", RegionCount: 17}},
	{"failure-details.invalid-spec.schema.json", "", &InvalidSpecDetails{Problems: []SpecProblem{{Field: "size", Message: "is required"}}}},
	{"failure-details.invalid-spec.schema.json", "Problem", &SpecProblem{Field: "tags.aws:x", Message: "reserved"}},
	{"failure-details.insufficient-capacity.schema.json", "", &InsufficientCapacityDetails{Attempts: []LaunchAttempt{{InstanceType: "t3.small", Outcome: "InsufficientInstanceCapacity"}}}},
	{"failure-details.aws-error.schema.json", "", &AWSErrorDetails{AWSErrorCode: "VcpuLimitExceeded", HTTPStatus: 400, RequestID: "req-1"}},
	{"vm-lease.request.schema.json", "", &LeaseRequest{
		Instance: ProvisionRequest{Size: SizeSmall, Architecture: ArchitectureAMD64, Region: "eu-west-1"},
		TTL:      Duration(48 * time.Hour), OnInstanceLost: OnInstanceLostReplace, WatchInterval: Duration(30 * time.Second),
	}},
	{"vm-lease.extend.request.schema.json", "", &extendRequest{TTL: Duration(2 * time.Hour)}},
	{"vm-lease.extend.result.schema.json", "", &ExtendResult{ExpiresAt: launchedAt}},
	{"vm-lease.destroy.request.schema.json", "", &destroyRequest{Reason: "PR closed"}},
	{"vm-lease.status.schema.json", "", &LeaseStatus{
		Phase: LeasePhaseReady, Instance: &leasedVM, ExpiresAt: launchedAt, Replacements: 1,
		Replaced: []LeaseReplacement{{InstanceID: "i-0123abcd", State: "stopped", At: launchedAt}}, InstanceIDs: []string{"i-0123abcd", leasedVM.InstanceID},
		EndedBy: LeaseEndFailed, Reason: "PR closed", Failure: &LeaseFailure{Type: NotReady, Message: "no port 22"},
	}},
	{"vm-lease.status.schema.json", "LeaseReplacement", &LeaseReplacement{InstanceID: "i-0123abcd", State: "not-found", At: launchedAt}},
	{"vm-lease.status.schema.json", "LeaseFailure", &LeaseFailure{Type: InsufficientCapacity, Message: "no capacity"}},
	{"vm-lease.result.schema.json", "", &LeaseResult{
		EndedBy: LeaseEndDestroyed, Instance: &leasedVM, InstanceIDs: []string{leasedVM.InstanceID}, EndedAt: launchedAt,
		Replaced: []LeaseReplacement{{InstanceID: "i-0123abcd", State: "terminated", At: launchedAt}}, Reason: "PR closed",
		Failure: &LeaseFailure{Type: NotReady, Message: "no port 22"},
	}},
}

func TestGoTypesHaveTheSchemasFields(t *testing.T) {
	for _, tc := range contractTypes {
		typ := reflect.TypeOf(tc.sample).Elem()
		t.Run(typ.Name(), func(t *testing.T) {
			s := contractSchema(t, tc.file)
			if tc.def != "" {
				s = s["$defs"].(map[string]any)[tc.def].(map[string]any)
			}
			properties, required := schemaFields(s)
			fields, always := goFields(typ)
			if !slices.Equal(fields, properties) {
				t.Errorf("%s has JSON fields %v; %s has properties %v", typ.Name(), fields, tc.file, properties)
			}
			// A required field must always be written; an optional one must be left out when unset,
			// except booleans and numbers whose zero value the worker treats as their default.
			for _, name := range required {
				if !slices.Contains(always, name) {
					t.Errorf("%s.%s is required by the schema but has omitempty", typ.Name(), name)
				}
			}
			if s["additionalProperties"] != false {
				t.Errorf("%s does not refuse unknown fields", tc.file)
			}
		})
	}
}

func TestJSONRoundTripAgainstSchemas(t *testing.T) {
	for _, tc := range contractTypes {
		typ := reflect.TypeOf(tc.sample).Elem()
		t.Run(typ.Name(), func(t *testing.T) {
			root := contractSchema(t, tc.file)
			target := root
			if tc.def != "" {
				target = root["$defs"].(map[string]any)[tc.def].(map[string]any)
			}
			c := &schemaCheck{root: root}
			c.check(target, asJSON(t, tc.sample), "(root)")
			for _, problem := range c.problems {
				t.Errorf("%s: %s", tc.file, problem)
			}
			data, _ := json.Marshal(tc.sample)
			back := reflect.New(typ).Interface()
			if err := json.Unmarshal(data, back); err != nil {
				t.Fatalf("unmarshal: %v", err)
			}
			if !reflect.DeepEqual(back, tc.sample) {
				t.Errorf("round trip changed the value:\n got %+v\nwant %+v", back, tc.sample)
			}
		})
	}
}

func TestMinimalRequestIsTheSchemasMinimum(t *testing.T) {
	got := asJSON(t, ProvisionRequest{Size: SizeSmall, Architecture: ArchitectureAMD64})
	want := map[string]any{"size": "small", "architecture": "amd64"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("a minimal request marshals as %v, want %v (unset fields must be left out for the worker's defaults)", got, want)
	}
	if problems := validateAgainst(contractSchema(t, "provision-instance.request.schema.json"), got); len(problems) > 0 {
		t.Errorf("schema refuses the minimal request: %v", problems)
	}
}

// enumOf returns the enum of a $defs entry, or of a property when def is "".
func enumOf(t *testing.T, s schema, def, property string) []string {
	t.Helper()
	var node map[string]any
	if def != "" {
		node = s["$defs"].(map[string]any)[def].(map[string]any)
	} else {
		node = s["properties"].(map[string]any)[property].(map[string]any)
	}
	var values []string
	for _, v := range node["enum"].([]any) {
		values = append(values, v.(string))
	}
	return values
}

func TestEnumsAndLimitsMatchTheSchema(t *testing.T) {
	s := contractSchema(t, "provision-instance.request.schema.json")
	properties := s["properties"].(map[string]any)
	property := func(name string) map[string]any { return properties[name].(map[string]any) }
	defs := s["$defs"].(map[string]any)
	for _, tc := range []struct {
		name           string
		inGo, inSchema any
	}{
		{"sizes", asStrings(sizes), enumOf(t, s, "Size", "")},
		{"architectures", asStrings(architectures), enumOf(t, s, "Architecture", "")},
		{"spot fallbacks", spotFallbacks, enumOf(t, s, "", "spotFallback")},
		{"regions", awsRegions, enumOf(t, s, "Region", "")},
		{"user data limit", float64(maxUserDataBytes), property("userData")["maxLength"]},
		{"tag count", float64(maxTags), property("tags")["maxProperties"]},
		{"tag key length", float64(maxTagKeyLength), property("tags")["propertyNames"].(map[string]any)["maxLength"]},
		{"tag value length", float64(maxTagValueLength), defs["TagValue"].(map[string]any)["maxLength"]},
		{"subnets", float64(maxSubnets), property("subnetIds")["maxItems"]},
		{"security groups", float64(maxSecurityGroups), property("securityGroupIds")["maxItems"]},
		{"smallest root volume", float64(minRootVolumeGiB), property("rootVolumeGiB")["minimum"]},
		{"largest root volume", float64(maxRootVolumeGiB), property("rootVolumeGiB")["maximum"]},
		{"image id", imageID.String(), defs["ImageId"].(map[string]any)["pattern"]},
		{"subnet id", subnetID.String(), defs["SubnetId"].(map[string]any)["pattern"]},
		{"security group id", securityGroup.String(), defs["SecurityGroupId"].(map[string]any)["pattern"]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !reflect.DeepEqual(tc.inGo, tc.inSchema) {
				t.Errorf("Go has %v, the schema %v", tc.inGo, tc.inSchema)
			}
		})
	}
}

func asStrings[T ~string](values []T) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return out
}

func TestLeaseResultWithoutAVMWritesNull(t *testing.T) {
	got := asJSON(t, LeaseResult{EndedBy: LeaseEndFailed, InstanceIDs: []string{}, EndedAt: launchedAt, Replaced: []LeaseReplacement{}, Failure: &LeaseFailure{Type: NotReady, Message: "no port 22"}})
	if instance, present := got.(map[string]any)["instance"]; !present || instance != nil {
		t.Errorf("instance is %v (present %v); the schema requires null when no VM became ready", instance, present)
	}
	if problems := validateAgainst(contractSchema(t, "vm-lease.result.schema.json"), got); len(problems) > 0 {
		t.Errorf("schema refuses a lease result without a VM: %v", problems)
	}
}
