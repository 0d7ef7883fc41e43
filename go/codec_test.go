package provisioner

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
)

// jsonPayload is a payload in proto3 JSON: metadata values and data in base64.
type jsonPayload struct {
	Metadata map[string]string `json:"metadata,omitempty"`
	Data     string            `json:"data,omitempty"`
}

// codecVector is one case of ../contract/codec-vectors.json (scripts/codec-vectors.ts writes it).
type codecVector struct {
	Name      string      `json:"name"`
	Key       string      `json:"key"`
	OldKeys   []string    `json:"oldKeys"`
	KeyID     string      `json:"keyId"`
	Plaintext jsonPayload `json:"plaintext"`
	Encrypted jsonPayload `json:"encrypted"`
}

func codecVectors(t *testing.T) []codecVector {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "contract", "codec-vectors.json"))
	if err != nil {
		t.Fatalf("reading the codec vectors: %v", err)
	}
	var file struct {
		Vectors []codecVector `json:"vectors"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Vectors) < 4 {
		t.Fatalf("only %d codec vectors", len(file.Vectors))
	}
	return file.Vectors
}

func decodeBase64(t *testing.T, text string) []byte {
	t.Helper()
	data, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		t.Fatalf("base64 %q: %v", text, err)
	}
	return data
}

func toPayload(t *testing.T, p jsonPayload) *commonpb.Payload {
	payload := &commonpb.Payload{Metadata: map[string][]byte{}, Data: decodeBase64(t, p.Data)}
	for key, value := range p.Metadata {
		payload.Metadata[key] = decodeBase64(t, value)
	}
	return payload
}

func fromPayload(p *commonpb.Payload) jsonPayload {
	out := jsonPayload{Metadata: map[string]string{}, Data: base64.StdEncoding.EncodeToString(p.GetData())}
	for key, value := range p.GetMetadata() {
		out.Metadata[key] = base64.StdEncoding.EncodeToString(value)
	}
	return out
}

// vectorCodec is the codec a decoder configured as the vector says would have.
func vectorCodec(t *testing.T, v codecVector) converter.PayloadCodec {
	t.Helper()
	var old [][]byte
	for _, k := range v.OldKeys {
		old = append(old, decodeBase64(t, k))
	}
	codec, err := NewPayloadCodec(decodeBase64(t, v.Key), old...)
	if err != nil {
		t.Fatal(err)
	}
	return codec
}

func samePayload(a, b *commonpb.Payload) bool {
	if !bytes.Equal(a.GetData(), b.GetData()) || len(a.GetMetadata()) != len(b.GetMetadata()) {
		return false
	}
	for key, value := range a.GetMetadata() {
		if !bytes.Equal(value, b.GetMetadata()[key]) {
			return false
		}
	}
	return true
}

func TestCodecDecryptsTheTypeScriptVectors(t *testing.T) {
	for _, v := range codecVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			decoded, err := vectorCodec(t, v).Decode([]*commonpb.Payload{toPayload(t, v.Encrypted)})
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if want := toPayload(t, v.Plaintext); !samePayload(decoded[0], want) {
				t.Errorf("decrypted %v, want %v", decoded[0], want)
			}
		})
	}
}

// TestCodecEncryptsForTheTypeScriptCodec encrypts every vector's plaintext with the key the vector's
// decoder holds. With STAGELY_GO_TEST_OUTPUT_DIR set (test/e2e/go-package.test.ts sets it), it writes
// them to go-encrypted-vectors.json there, for the TypeScript codec to decrypt.
func TestCodecEncryptsForTheTypeScriptCodec(t *testing.T) {
	var written []codecVector
	for _, v := range codecVectors(t) {
		codec := vectorCodec(t, v)
		plain := toPayload(t, v.Plaintext)
		encrypted, err := codec.Encode([]*commonpb.Payload{plain})
		if err != nil {
			t.Fatalf("%s: Encode: %v", v.Name, err)
		}
		keyID := PayloadKeyID(decodeBase64(t, v.Key))
		meta := encrypted[0].GetMetadata()
		if string(meta["encoding"]) != "binary/encrypted" || string(meta["encryption-key-id"]) != keyID || len(meta) != 2 {
			t.Errorf("%s: metadata %v, want encoding binary/encrypted and key id %s only", v.Name, meta, keyID)
		}
		if len(plain.GetData()) > 16 && bytes.Contains(encrypted[0].GetData(), plain.GetData()[:16]) {
			t.Errorf("%s: the encrypted data holds the plain text", v.Name)
		}
		decoded, err := codec.Decode(encrypted)
		if err != nil || !samePayload(decoded[0], plain) {
			t.Errorf("%s: Go does not read back what it wrote: %v", v.Name, err)
		}
		written = append(written, codecVector{Name: v.Name, Key: v.Key, KeyID: keyID, Plaintext: v.Plaintext, Encrypted: fromPayload(encrypted[0])})
	}
	if dir := os.Getenv("STAGELY_GO_TEST_OUTPUT_DIR"); dir != "" {
		data, _ := json.MarshalIndent(map[string]any{"vectors": written}, "", "  ")
		if err := os.WriteFile(filepath.Join(dir, "go-encrypted-vectors.json"), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCodecRefusesWhatItCannotRead(t *testing.T) {
	v := codecVectors(t)[1]
	encrypted := toPayload(t, v.Encrypted)
	tampered := toPayload(t, v.Encrypted)
	tampered.Data[len(tampered.Data)-1] ^= 1
	noKeyID := toPayload(t, v.Encrypted)
	delete(noKeyID.Metadata, "encryption-key-id")
	short := toPayload(t, v.Encrypted)
	short.Data = short.Data[:20]
	other, _ := NewPayloadCodec(bytes.Repeat([]byte{7}, 32))
	for _, tc := range []struct {
		name    string
		codec   converter.PayloadCodec
		payload *commonpb.Payload
		want    string
	}{
		{"another key", other, encrypted, "not configured"},
		{"tampered data", vectorCodec(t, v), tampered, "failed authentication"},
		{"no key id", vectorCodec(t, v), noKeyID, "no encryption-key-id"},
		{"too short", vectorCodec(t, v), short, "too short"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.codec.Decode([]*commonpb.Payload{tc.payload})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Decode error %v, want one containing %q", err, tc.want)
			}
		})
	}
	plain := &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`"hello"`)}
	decoded, err := other.Decode([]*commonpb.Payload{plain})
	if err != nil || decoded[0] != plain {
		t.Errorf("a plain payload must pass through Decode unchanged: %v", err)
	}
}

func TestNewPayloadCodecChecksKeyLength(t *testing.T) {
	if _, err := NewPayloadCodec(make([]byte, 16)); err == nil {
		t.Error("a 16-byte key was accepted")
	}
	if _, err := NewPayloadCodec(make([]byte, 32), make([]byte, 31)); err == nil {
		t.Error("a 31-byte old key was accepted")
	}
	decryptOnly, err := NewPayloadCodec(nil, make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	plain := &commonpb.Payload{Data: []byte("x")}
	if out, _ := decryptOnly.Encode([]*commonpb.Payload{plain}); out[0] != plain {
		t.Error("a codec without a current key must not encrypt")
	}
}

func TestDataConverterFromEnv(t *testing.T) {
	key := bytes.Repeat([]byte{1}, 32)
	old := bytes.Repeat([]byte{2}, 32)
	std := base64.StdEncoding.EncodeToString(key)
	urlSafe := base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 32))
	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte(std+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		key, file string
		oldKeys   string
		encrypts  bool
		err       string
	}{
		{name: "no key: plain text"},
		{name: "a key", key: std, encrypts: true},
		{name: "a key with spaces around it", key: "  " + std + " \n", encrypts: true},
		{name: "a URL-safe key without padding", key: urlSafe, encrypts: true},
		{name: "a key file", file: keyFile, encrypts: true},
		{name: "old keys only: decrypt only", oldKeys: " ," + base64.StdEncoding.EncodeToString(old) + ", ", encrypts: false},
		{name: "both key and file", key: std, file: keyFile, err: "not both"},
		{name: "not base64", key: "not a key!", err: "STAGELY_PAYLOAD_KEY is not base64"},
		{name: "16 bytes", key: base64.StdEncoding.EncodeToString(key[:16]), err: "decodes to 16 bytes"},
		{name: "a bad old key", key: std, oldKeys: "abc", err: "STAGELY_PAYLOAD_OLD_KEYS (entry 1)"},
		{name: "a missing key file", file: filepath.Join(t.TempDir(), "missing"), err: "cannot read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("STAGELY_PAYLOAD_KEY", tc.key)
			t.Setenv("STAGELY_PAYLOAD_KEY_FILE", tc.file)
			t.Setenv("STAGELY_PAYLOAD_OLD_KEYS", tc.oldKeys)
			dc, err := DataConverterFromEnv()
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				if strings.Contains(err.Error(), std) {
					t.Error("the error shows the key")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			payload, err := dc.ToPayload("user data")
			if err != nil {
				t.Fatal(err)
			}
			encrypted := string(payload.GetMetadata()["encoding"]) == "binary/encrypted"
			if encrypted != tc.encrypts {
				t.Errorf("encrypts = %v, want %v", encrypted, tc.encrypts)
			}
			var back string
			if err := dc.FromPayload(payload, &back); err != nil || back != "user data" {
				t.Errorf("reads back %q, %v", back, err)
			}
		})
	}
}
