package provisioner

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestDifferingFieldsMatchesTheTypeScriptClient runs the pairs of contract/request-differences.json,
// whose answers the TypeScript client's attach check wrote, through the Go check.
func TestDifferingFieldsMatchesTheTypeScriptClient(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "contract", "request-differences.json"))
	if err != nil {
		t.Fatalf("reading the shared cases: %v (run npm run contract)", err)
	}
	var table struct {
		Cases []struct {
			Name      string          `json:"name"`
			Existing  json.RawMessage `json:"existing"`
			Requested json.RawMessage `json:"requested"`
			Fields    []string        `json:"fields"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(data, &table); err != nil {
		t.Fatal(err)
	}
	if len(table.Cases) < 20 {
		t.Fatalf("only %d cases; has the file's layout changed?", len(table.Cases))
	}
	for _, tc := range table.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			if got := differingFields(tc.Existing, tc.Requested); !slices.Equal(got, tc.Fields) {
				t.Errorf("differingFields = %q, the TypeScript client says %q\nexisting  %s\nrequested %s", got, tc.Fields, tc.Existing, tc.Requested)
			}
		})
	}
}

// TestDifferingFieldsOfGoRequests compares requests as StartProvision does: the run's input as the
// worker stored it against a ProvisionRequest marshalled by this package.
func TestDifferingFieldsOfGoRequests(t *testing.T) {
	minimal := ProvisionRequest{Size: SizeSmall, Architecture: ArchitectureARM64}
	spelledOut := minimal
	spelledOut.Region, spelledOut.SpotFallback, spelledOut.RootVolumeGiB = "us-east-1", SpotFallbackOnDemand, 20
	spelledOut.Tags = map[string]string{"Name": "stagely-vm"}
	spelledOut.IPWaitTimeout, spelledOut.PollInterval = Duration(defaultIPWaitTimeout), Duration(defaultPollInterval)
	larger := minimal
	larger.Size, larger.Tags = SizeLarge, map[string]string{"team": "web"}
	for _, tc := range []struct {
		name     string
		existing string
		req      ProvisionRequest
		want     []string
	}{
		{"the worker's defaults spelled out in Go", `{"size":"small","architecture":"arm64"}`, spelledOut, []string{}},
		{"a TypeScript caller's durations", `{"architecture":"arm64","size":"small","ipWaitTimeout":300000,"pollInterval":"5s"}`, minimal, []string{}},
		{"a larger size and a tag", `{"size":"small","architecture":"arm64"}`, larger, []string{"rootVolumeGiB", "size", "tags"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			requested, err := json.Marshal(tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if got := differingFields([]byte(tc.existing), requested); !slices.Equal(got, tc.want) {
				t.Errorf("differingFields = %q, want %q", got, tc.want)
			}
		})
	}
}
