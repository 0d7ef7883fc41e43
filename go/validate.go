package provisioner

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"go.temporal.io/sdk/temporal"
)

// The limits of contract/provision-instance.request.schema.json and the worker's validator
// (src/common/validate-provision-request.ts); the tests check them against the schema file.
const (
	maxUserDataBytes  = 16 * 1024
	maxTags           = 45
	maxTagKeyLength   = 128
	maxTagValueLength = 256
	maxSubnets        = 6
	maxSecurityGroups = 16
	minRootVolumeGiB  = 8
	maxRootVolumeGiB  = 1024
	defaultNameTag    = "Name"
	reservedTagPrefix = "stagely:"
	awsTagPrefix      = "aws:"
	minIPWaitTimeout  = 10 * time.Second
	maxIPWaitTimeout  = time.Hour
	minPollInterval   = time.Second
	maxPollInterval   = time.Minute
)

var (
	sizes         = []Size{SizeSmall, SizeMedium, SizeLarge}
	architectures = []Architecture{ArchitectureAMD64, ArchitectureARM64}
	spotFallbacks = []string{SpotFallbackOnDemand, SpotFallbackNone}
	imageID       = regexp.MustCompile(`^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$`)
	subnetID      = regexp.MustCompile(`^subnet-(?:[0-9a-f]{8}|[0-9a-f]{17})$`)
	securityGroup = regexp.MustCompile(`^sg-(?:[0-9a-f]{8}|[0-9a-f]{17})$`)
	// awsRegions are the regions the worker knows (src/common/regions.ts; the schema's Region enum).
	awsRegions = []string{
		"us-east-1", "us-east-2", "us-west-1", "us-west-2",
		"ca-central-1", "ca-west-1", "mx-central-1", "sa-east-1",
		"eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3",
		"eu-south-1", "eu-south-2", "eu-north-1",
		"il-central-1", "me-south-1", "me-central-1", "af-south-1",
		"ap-east-1", "ap-east-2", "ap-south-1", "ap-south-2",
		"ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
		"ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
		"us-gov-east-1", "us-gov-west-1", "cn-north-1", "cn-northwest-1",
	}
)

// ValidateRequest checks a request against the contract's rules before a workflow is started: the
// enums, id formats, limits and duration bounds the worker enforces. It returns nil, or a
// non-retryable *temporal.ApplicationError of type InvalidSpec whose details are InvalidSpecDetails,
// the same shape the worker fails with; FailureType reads either. The worker stays the authority.
func ValidateRequest(req ProvisionRequest) error {
	var problems []SpecProblem
	problem := func(field, format string, args ...any) {
		problems = append(problems, SpecProblem{Field: field, Message: fmt.Sprintf(format, args...)})
	}

	if req.Size == "" {
		problem("size", "is required; one of %s", quoted(sizes))
	} else if !slices.Contains(sizes, req.Size) {
		problem("size", "must be one of %s (got %q)", quoted(sizes), req.Size)
	}
	if req.Architecture == "" {
		problem("architecture", "is required; one of %s", quoted(architectures))
	} else if !slices.Contains(architectures, req.Architecture) {
		problem("architecture", "must be one of %s (got %q)", quoted(architectures), req.Architecture)
	}
	if req.Region != "" && !slices.Contains(awsRegions, req.Region) {
		problem("region", "%q is not an AWS region; use a region code like %q", req.Region, defaultRegion)
	}
	if req.SpotFallback != "" && !slices.Contains(spotFallbacks, req.SpotFallback) {
		problem("spotFallback", "must be one of %s (got %q)", quoted(spotFallbacks), req.SpotFallback)
	}
	if req.ImageID != "" && !imageID.MatchString(req.ImageID) {
		problem("imageId", "must be an id like \"ami-0123456789abcdef0\" (got %q)", req.ImageID)
	}
	if len(req.UserData) > maxUserDataBytes {
		problem("userData", "is %d bytes; EC2 accepts at most %d bytes (16 KiB)", len(req.UserData), maxUserDataBytes)
	}
	checkTags(req.Tags, problem)
	if req.SubnetID != "" && !subnetID.MatchString(req.SubnetID) {
		problem("subnetId", "must be an id like \"subnet-0123456789abcdef0\" (got %q)", req.SubnetID)
	}
	if req.SubnetID != "" && len(req.SubnetIDs) > 0 {
		problem("subnetIds", "give either subnetId or subnetIds, not both")
	}
	checkIDList(req.SubnetIDs, "subnetIds", subnetID, "subnet-0123456789abcdef0", maxSubnets, problem)
	checkIDList(req.SecurityGroupIDs, "securityGroupIds", securityGroup, "sg-0123456789abcdef0", maxSecurityGroups, problem)
	if req.RootVolumeGiB != 0 && (req.RootVolumeGiB < minRootVolumeGiB || req.RootVolumeGiB > maxRootVolumeGiB) {
		problem("rootVolumeGiB", "must be a whole number of GiB from %d to %d (got %d)", minRootVolumeGiB, maxRootVolumeGiB, req.RootVolumeGiB)
	}
	checkDuration(req.IPWaitTimeout, "ipWaitTimeout", minIPWaitTimeout, maxIPWaitTimeout, problem)
	checkDuration(req.PollInterval, "pollInterval", minPollInterval, maxPollInterval, problem)
	checkReadiness(req.Readiness, problem)

	if len(problems) == 0 {
		return nil
	}
	list := make([]string, len(problems))
	for i, p := range problems {
		list[i] = p.Field + ": " + p.Message
	}
	plural := "s"
	if len(problems) == 1 {
		plural = ""
	}
	message := fmt.Sprintf("Invalid provision request (%d problem%s): %s. Fix the request; nothing was started.", len(problems), plural, strings.Join(list, "; "))
	return temporal.NewNonRetryableApplicationError(message, InvalidSpec, nil, InvalidSpecDetails{Problems: problems})
}

type report func(field, format string, args ...any)

// Readiness bounds and addresses (src/common/readiness.ts).
const (
	minReadinessTimeout     = 30 * time.Second
	maxReadinessTimeout     = time.Hour
	defaultReadinessTimeout = 10 * time.Minute
	maxTCPPort              = 65535
)

var readinessAddresses = []string{"public", "private"}

// checkReadiness checks the optional readiness block: at least one check, a port in range, a known
// address, a timeout within bounds.
func checkReadiness(r *Readiness, problem report) {
	if r == nil {
		return
	}
	if !r.StatusChecks && r.TCPPort == 0 {
		problem("readiness", "asks for no check; set \"statusChecks\": true and/or a \"tcpPort\"")
	}
	if r.TCPPort != 0 && (r.TCPPort < 1 || r.TCPPort > maxTCPPort) {
		problem("readiness.tcpPort", "must be a whole number from 1 to %d (got %d)", maxTCPPort, r.TCPPort)
	}
	if r.Address != "" && !slices.Contains(readinessAddresses, r.Address) {
		problem("readiness.address", "must be one of %s (got %q)", quoted(readinessAddresses), r.Address)
	}
	checkDuration(r.Timeout, "readiness.timeout", minReadinessTimeout, maxReadinessTimeout, problem)
}

func checkTags(tags map[string]string, problem report) {
	count := len(tags)
	if _, named := tags[defaultNameTag]; !named {
		count++ // the worker adds Name = "stagely-vm"
	}
	for key, value := range tags {
		field := "tags." + key
		lower := strings.ToLower(key)
		switch keyLength := utf8.RuneCountInString(key); {
		case keyLength < 1 || keyLength > maxTagKeyLength:
			problem(field, "tag keys must be 1 to %d characters (got %d)", maxTagKeyLength, keyLength)
		case strings.HasPrefix(lower, awsTagPrefix):
			problem(field, "tag keys starting with %q are reserved by AWS", awsTagPrefix)
		case strings.HasPrefix(lower, reservedTagPrefix):
			problem(field, "tag keys starting with %q are reserved for Stagely's own tags", reservedTagPrefix)
		}
		if valueLength := utf8.RuneCountInString(value); valueLength > maxTagValueLength {
			problem(field, "tag values must be at most %d characters (got %d)", maxTagValueLength, valueLength)
		}
	}
	if count > maxTags {
		problem("tags", "an instance may carry at most %d tags including \"Name\" (got %d)", maxTags, count)
	}
}

func checkIDList(ids []string, field string, pattern *regexp.Regexp, example string, max int, problem report) {
	if len(ids) > max {
		problem(field, "at most %d (got %d)", max, len(ids))
		return
	}
	for i, id := range ids {
		itemField := fmt.Sprintf("%s[%d]", field, i)
		if !pattern.MatchString(id) {
			problem(itemField, "must be an id like %q (got %q)", example, id)
		} else if slices.Contains(ids[:i], id) {
			problem(itemField, "%s is listed twice", id)
		}
	}
}

func checkDuration(d Duration, field string, min, max time.Duration, problem report) {
	if d != 0 && (time.Duration(d) < min || time.Duration(d) > max) {
		problem(field, "must be between %s and %s (got %s)", min, max, d)
	}
}

func quoted[T ~string](values []T) string {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(parts, ", ")
}
