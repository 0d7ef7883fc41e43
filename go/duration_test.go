package provisioner

import (
	"encoding/json"
	"testing"
	"time"
)

func TestDurationJSON(t *testing.T) {
	for _, tc := range []struct {
		duration time.Duration
		json     string
	}{
		{5 * time.Minute, `"5m0s"`},
		{90 * time.Second, `"1m30s"`},
		{time.Hour, `"1h0m0s"`},
		{1500 * time.Millisecond, `"1.5s"`},
		{10 * time.Second, `"10s"`},
	} {
		t.Run(tc.json, func(t *testing.T) {
			data, err := json.Marshal(Duration(tc.duration))
			if err != nil || string(data) != tc.json {
				t.Fatalf("Marshal(%v) = %s, %v; want %s", tc.duration, data, err, tc.json)
			}
			var back Duration
			if err := json.Unmarshal(data, &back); err != nil || time.Duration(back) != tc.duration {
				t.Errorf("Unmarshal(%s) = %v, %v; want %v", data, back, err, tc.duration)
			}
		})
	}
}

func TestDurationReadsMillisecondsLikeTheWorker(t *testing.T) {
	var d Duration
	if err := json.Unmarshal([]byte(`5000`), &d); err != nil || time.Duration(d) != 5*time.Second {
		t.Errorf("Unmarshal(5000) = %v, %v; want 5s (numbers are milliseconds)", d, err)
	}
	for _, bad := range []string{`"5 minutes"`, `true`, `{}`} {
		if err := json.Unmarshal([]byte(bad), &d); err == nil {
			t.Errorf("Unmarshal(%s) accepted it", bad)
		}
	}
}

func TestRequestDurationsAreStringsNotNanoseconds(t *testing.T) {
	data, err := json.Marshal(ProvisionRequest{Size: SizeSmall, Architecture: ArchitectureAMD64, IPWaitTimeout: Duration(5 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"size":"small","architecture":"amd64","ipWaitTimeout":"5m0s"}`; string(data) != want {
		t.Errorf("got %s, want %s", data, want)
	}
}
