// Command example is the Stagely backend's path in one file: dial Temporal with the environment's
// settings and the worker's payload key, start (or attach to) a provision, wait for it, and print
// the result, or the failure type to branch on.
//
//	TEMPORAL_ADDRESS=localhost:7233 STAGELY_PAYLOAD_KEY=... go run ./example -workflow-id pr-42-env-7 -environment pr-42
package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	provisioner "github.com/stagely/provisioner/go"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

func main() {
	workflowID := flag.String("workflow-id", "stagely-example", "the business key: starting again with it attaches instead of launching twice")
	environment := flag.String("environment", "", "the preview environment the VM is for (default: the workflow ID)")
	flag.Parse()

	// The worker's payload key (STAGELY_PAYLOAD_KEY, ..._FILE, ..._OLD_KEYS): without it this program
	// could not read an encrypting worker's results, and would store user data in plain text.
	dataConverter, err := provisioner.DataConverterFromEnv()
	if err != nil {
		log.Fatalf("payload key: %v", err)
	}
	options := client.Options{
		HostPort:      envOr("TEMPORAL_ADDRESS", "localhost:7233"),
		Namespace:     envOr("TEMPORAL_NAMESPACE", "default"),
		DataConverter: dataConverter,
	}
	if apiKey := os.Getenv("TEMPORAL_API_KEY"); apiKey != "" {
		options.Credentials = client.NewAPIKeyStaticCredentials(apiKey)
		options.ConnectionOptions.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	c, err := client.Dial(options)
	if err != nil {
		log.Fatalf("connect to Temporal: %v", err)
	}
	defer c.Close()

	req := provisioner.ProvisionRequest{
		Size:          provisioner.SizeSmall,
		Architecture:  provisioner.ArchitectureARM64,
		UserData:      "#!/bin/bash\necho hello from stagely\n",
		Tags:          map[string]string{"team": "web"},
		IPWaitTimeout: provisioner.Duration(5 * time.Minute),
	}
	if err := provisioner.ValidateRequest(req); err != nil {
		log.Fatal(err)
	}

	ctx := context.Background()
	run, err := provisioner.StartProvision(ctx, c, req, provisioner.StartOptions{WorkflowID: *workflowID, Environment: *environment})
	if err != nil {
		log.Fatalf("start: %v", err)
	}
	result, err := provisioner.GetProvisionResult(ctx, c, run.GetID())
	if err != nil {
		failureType := provisioner.FailureType(err)
		fmt.Printf("provision %s failed: %s\n", run.GetID(), failureType)
		var appErr *temporal.ApplicationError
		if failureType == provisioner.InvalidSpec && errors.As(err, &appErr) {
			var details provisioner.InvalidSpecDetails
			if appErr.Details(&details) == nil {
				for _, p := range details.Problems {
					fmt.Printf("  %s: %s\n", p.Field, p.Message)
				}
			}
		}
		os.Exit(1)
	}
	out, _ := json.MarshalIndent(result, "", "  ")
	fmt.Println(string(out))
}

func envOr(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}
