package provisioner

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
)

func manyTags(n int) map[string]string {
	tags := map[string]string{}
	for i := 1; i <= n; i++ {
		tags[fmt.Sprintf("tag-%d", i)] = "v"
	}
	return tags
}

func TestValidateRequest(t *testing.T) {
	minimal := ProvisionRequest{Size: SizeSmall, Architecture: ArchitectureARM64}
	with := func(change func(*ProvisionRequest)) ProvisionRequest {
		req := minimal
		change(&req)
		return req
	}
	for _, tc := range []struct {
		name   string
		req    ProvisionRequest
		fields []string // the fields with problems; none: valid
	}{
		{"minimal", minimal, nil},
		{"every field", *contractTypes[0].sample.(*ProvisionRequest), nil},
		{"16 KiB of user data", with(func(r *ProvisionRequest) { r.UserData = strings.Repeat("a", 16384) }), nil},
		{"44 tags plus Name", with(func(r *ProvisionRequest) { r.Tags = manyTags(44) }), nil},
		{"45 tags, one of them Name", with(func(r *ProvisionRequest) { r.Tags = manyTags(44); r.Tags["Name"] = "mine" }), nil},
		{"tag lengths in code points", with(func(r *ProvisionRequest) {
			r.Tags = map[string]string{strings.Repeat("😀", 128): strings.Repeat("😀", 256)}
		}), nil},
		{"duration bounds", with(func(r *ProvisionRequest) {
			r.IPWaitTimeout = Duration(time.Hour)
			r.PollInterval = Duration(time.Second)
		}), nil},
		{"no size", ProvisionRequest{Architecture: ArchitectureAMD64}, []string{"size"}},
		{"no architecture", ProvisionRequest{Size: SizeLarge}, []string{"architecture"}},
		{"an unknown size", with(func(r *ProvisionRequest) { r.Size = "xl" }), []string{"size"}},
		{"x86_64", with(func(r *ProvisionRequest) { r.Architecture = "x86_64" }), []string{"architecture"}},
		{"an unknown region", with(func(r *ProvisionRequest) { r.Region = "us-east-01" }), []string{"region"}},
		{"readiness that checks nothing", with(func(r *ProvisionRequest) { r.Readiness = &Readiness{Address: "public"} }), []string{"readiness"}},
		{"readiness on port 70000", with(func(r *ProvisionRequest) { r.Readiness = &Readiness{TCPPort: 70000} }), []string{"readiness.tcpPort"}},
		{"readiness to an unknown address", with(func(r *ProvisionRequest) { r.Readiness = &Readiness{TCPPort: 22, Address: "elastic"} }), []string{"readiness.address"}},
		{"readiness for two hours", with(func(r *ProvisionRequest) {
			r.Readiness = &Readiness{StatusChecks: true, Timeout: Duration(2 * time.Hour)}
		}), []string{"readiness.timeout"}},
		{"a spot fallback", with(func(r *ProvisionRequest) { r.SpotFallback = "ondemand" }), []string{"spotFallback"}},
		{"an image id", with(func(r *ProvisionRequest) { r.ImageID = "ami-123" }), []string{"imageId"}},
		{"16 KiB + 1 byte of user data", with(func(r *ProvisionRequest) { r.UserData = strings.Repeat("é", 8192) + "a" }), []string{"userData"}},
		{"45 tags plus Name", with(func(r *ProvisionRequest) { r.Tags = manyTags(45) }), []string{"tags"}},
		{"an aws: tag", with(func(r *ProvisionRequest) { r.Tags = map[string]string{"AWS:owner": "x"} }), []string{"tags.AWS:owner"}},
		{"a stagely: tag", with(func(r *ProvisionRequest) { r.Tags = map[string]string{"stagely:run-id": "x"} }), []string{"tags.stagely:run-id"}},
		{"an empty tag key", with(func(r *ProvisionRequest) { r.Tags = map[string]string{"": "x"} }), []string{"tags."}},
		{"a long tag value", with(func(r *ProvisionRequest) { r.Tags = map[string]string{"k": strings.Repeat("v", 257)} }), []string{"tags.k"}},
		{"subnetId and subnetIds", with(func(r *ProvisionRequest) { r.SubnetID = "subnet-0123abcd"; r.SubnetIDs = []string{"subnet-4567abcd"} }), []string{"subnetIds"}},
		{"a bad subnet id", with(func(r *ProvisionRequest) { r.SubnetID = "subnet-xyz" }), []string{"subnetId"}},
		{"a subnet listed twice", with(func(r *ProvisionRequest) { r.SubnetIDs = []string{"subnet-0123abcd", "subnet-0123abcd"} }), []string{"subnetIds[1]"}},
		{"seven subnets", with(func(r *ProvisionRequest) { r.SubnetIDs = make([]string, 7) }), []string{"subnetIds"}},
		{"a bad security group", with(func(r *ProvisionRequest) { r.SecurityGroupIDs = []string{"sg-0123abcd", "group"} }), []string{"securityGroupIds[1]"}},
		{"a small root volume", with(func(r *ProvisionRequest) { r.RootVolumeGiB = 7 }), []string{"rootVolumeGiB"}},
		{"a short IP wait", with(func(r *ProvisionRequest) { r.IPWaitTimeout = Duration(9 * time.Second) }), []string{"ipWaitTimeout"}},
		{"a long poll interval", with(func(r *ProvisionRequest) { r.PollInterval = Duration(61 * time.Second) }), []string{"pollInterval"}},
		{"several problems", ProvisionRequest{Size: "tiny", Region: "mars-1"}, []string{"size", "architecture", "region"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateRequest(tc.req)
			if tc.fields == nil {
				if err != nil {
					t.Fatalf("refused a valid request: %v", err)
				}
				// What Go lets through, the schema accepts: a valid Go request is never refused on shape.
				if problems := validateAgainst(contractSchema(t, "provision-instance.request.schema.json"), asJSON(t, tc.req)); len(problems) > 0 {
					t.Errorf("the schema refuses it: %v", problems)
				}
				return
			}
			if FailureType(err) != InvalidSpec {
				t.Fatalf("FailureType = %q (%v), want InvalidSpec", FailureType(err), err)
			}
			var appErr *temporal.ApplicationError
			if !errors.As(err, &appErr) || !appErr.NonRetryable() {
				t.Fatal("not a non-retryable application error")
			}
			var details InvalidSpecDetails
			if err := appErr.Details(&details); err != nil {
				t.Fatalf("details: %v", err)
			}
			var fields []string
			for _, p := range details.Problems {
				fields = append(fields, p.Field)
				if !strings.Contains(err.Error(), p.Field+": "+p.Message) {
					t.Errorf("the message does not name %s: %s", p.Field, err)
				}
			}
			if fmt.Sprint(fields) != fmt.Sprint(tc.fields) {
				t.Errorf("problems on %v, want %v (%v)", fields, tc.fields, err)
			}
		})
	}
}
