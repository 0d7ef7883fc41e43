// Package provisioner is the Go side of the Stagely provisioner: the workflow names, the JSON
// contract as Go types, the calls the backend makes (start or attach to a provision, wait for its
// result, read its status, cancel it, tear an instance down), the failure types to branch on, and
// the payload codec that reads and writes what an encrypting worker stores in Temporal.
//
// The TypeScript types are the source of truth: they generate the JSON Schema files in the
// repository's contract/ folder, and this package's tests check its types against those files.
package provisioner
