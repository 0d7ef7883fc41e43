package provisioner

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

// The payload codec's wire format (docs/contract.md): the whole original payload, as protobuf,
// sealed with AES-256-GCM; data = 12-byte IV || ciphertext || 16-byte tag.
const (
	encryptedEncoding = "binary/encrypted"
	keyIDMetadata     = "encryption-key-id"
	keyBytes          = 32
	ivBytes           = 12
	tagBytes          = 16
)

// PayloadKeyID is a key's id as payload metadata names it: the first 16 hex digits of its SHA-256.
func PayloadKeyID(key []byte) string {
	sum := sha256.Sum256(key)
	return hex.EncodeToString(sum[:])[:16]
}

// payloadCodec encrypts with the current key (when there is one) and decrypts with any key it knows.
type payloadCodec struct {
	currentID string
	ciphers   map[string]cipher.AEAD
}

// NewPayloadCodec returns the worker's AES-256-GCM payload codec. key encrypts new payloads and
// decrypts; oldKeys only decrypt, so histories written before a rotation stay readable. A nil key
// makes a decrypt-only codec that passes new payloads through. Every key is 32 bytes.
func NewPayloadCodec(key []byte, oldKeys ...[]byte) (converter.PayloadCodec, error) {
	codec := &payloadCodec{ciphers: map[string]cipher.AEAD{}}
	all := oldKeys
	if key != nil {
		codec.currentID = PayloadKeyID(key)
		all = append([][]byte{key}, oldKeys...)
	}
	for _, k := range all {
		if len(k) != keyBytes {
			return nil, fmt.Errorf("payload key %s is %d bytes; AES-256 needs %d", PayloadKeyID(k), len(k), keyBytes)
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		codec.ciphers[PayloadKeyID(k)] = aead
	}
	return codec, nil
}

// Encode seals each payload under the current key; without one it returns them unchanged.
func (c *payloadCodec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	if c.currentID == "" {
		return payloads, nil
	}
	aead := c.ciphers[c.currentID]
	out := make([]*commonpb.Payload, len(payloads))
	for i, payload := range payloads {
		plain, err := proto.Marshal(payload)
		if err != nil {
			return nil, err
		}
		iv := make([]byte, ivBytes, ivBytes+len(plain)+tagBytes)
		if _, err := rand.Read(iv); err != nil {
			return nil, err
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				converter.MetadataEncoding: []byte(encryptedEncoding),
				keyIDMetadata:              []byte(c.currentID),
			},
			Data: aead.Seal(iv, iv, plain, nil),
		}
	}
	return out, nil
}

// Decode opens each encrypted payload with the key its metadata names; others pass through
// (written before encryption was turned on, or by another codec).
func (c *payloadCodec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, payload := range payloads {
		if string(payload.GetMetadata()[converter.MetadataEncoding]) != encryptedEncoding {
			out[i] = payload
			continue
		}
		keyID, ok := payload.GetMetadata()[keyIDMetadata]
		if !ok {
			return nil, fmt.Errorf("encrypted payload has no %s metadata", keyIDMetadata)
		}
		aead, ok := c.ciphers[string(keyID)]
		if !ok {
			return nil, fmt.Errorf("payload was encrypted with key id %s, which is not configured; add that key to STAGELY_PAYLOAD_OLD_KEYS", keyID)
		}
		data := payload.GetData()
		if len(data) < ivBytes+tagBytes {
			return nil, fmt.Errorf("encrypted payload (key id %s) is too short", keyID)
		}
		plain, err := aead.Open(nil, data[:ivBytes], data[ivBytes:], nil)
		if err != nil {
			return nil, fmt.Errorf("encrypted payload (key id %s) failed authentication: it was altered or corrupted", keyID)
		}
		decoded := &commonpb.Payload{}
		if err := proto.Unmarshal(plain, decoded); err != nil {
			return nil, fmt.Errorf("encrypted payload (key id %s) holds no payload: %w", keyID, err)
		}
		out[i] = decoded
	}
	return out, nil
}

const generateHint = "generate one with: openssl rand -base64 32"

var (
	standardBase64 = regexp.MustCompile(`^[A-Za-z0-9+/]+={0,2}$`)
	urlSafeBase64  = regexp.MustCompile(`^[A-Za-z0-9_-]+={0,2}$`)
)

// DataConverterFromEnv builds the data converter the worker builds from the same variables:
// STAGELY_PAYLOAD_KEY (base64 of 32 random bytes) or STAGELY_PAYLOAD_KEY_FILE (a file holding it),
// not both, and STAGELY_PAYLOAD_OLD_KEYS (comma-separated, decrypt only). Without any key it returns
// the default converter (plain text); whether to warn about that is the caller's choice. Errors name
// the variable and never contain a key.
func DataConverterFromEnv() (converter.DataConverter, error) {
	inline := strings.TrimSpace(os.Getenv("STAGELY_PAYLOAD_KEY"))
	file := strings.TrimSpace(os.Getenv("STAGELY_PAYLOAD_KEY_FILE"))
	if inline != "" && file != "" {
		return nil, errors.New("set STAGELY_PAYLOAD_KEY or STAGELY_PAYLOAD_KEY_FILE, not both")
	}
	var key []byte
	var err error
	switch {
	case inline != "":
		key, err = parsePayloadKey(inline, "STAGELY_PAYLOAD_KEY")
	case file != "":
		text, readErr := os.ReadFile(file)
		if readErr != nil {
			return nil, fmt.Errorf("STAGELY_PAYLOAD_KEY_FILE: cannot read %s: %w", file, readErr)
		}
		key, err = parsePayloadKey(string(text), fmt.Sprintf("STAGELY_PAYLOAD_KEY_FILE (%s)", file))
	}
	if err != nil {
		return nil, err
	}
	var oldKeys [][]byte
	n := 0
	for _, entry := range strings.Split(os.Getenv("STAGELY_PAYLOAD_OLD_KEYS"), ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		n++
		old, err := parsePayloadKey(entry, fmt.Sprintf("STAGELY_PAYLOAD_OLD_KEYS (entry %d)", n))
		if err != nil {
			return nil, err
		}
		oldKeys = append(oldKeys, old)
	}
	if key == nil && len(oldKeys) == 0 {
		return converter.GetDefaultDataConverter(), nil
	}
	codec, err := NewPayloadCodec(key, oldKeys...)
	if err != nil {
		return nil, err
	}
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), codec), nil
}

// parsePayloadKey reads a base64 key (standard or URL-safe alphabet, padding optional) that must
// decode to 32 bytes, as the worker's parsePayloadKey does.
func parsePayloadKey(text, variable string) ([]byte, error) {
	trimmed := strings.TrimSpace(text)
	if !standardBase64.MatchString(trimmed) && !urlSafeBase64.MatchString(trimmed) {
		return nil, fmt.Errorf("%s is not base64; it must be the base64 of exactly %d random bytes (%s)", variable, keyBytes, generateHint)
	}
	unpadded := strings.NewReplacer("-", "+", "_", "/").Replace(strings.TrimRight(trimmed, "="))
	key, err := base64.RawStdEncoding.DecodeString(unpadded)
	if err != nil || len(key) != keyBytes {
		return nil, fmt.Errorf("%s decodes to %d bytes; it must be the base64 of exactly %d random bytes (%s)", variable, len(key), keyBytes, generateHint)
	}
	return key, nil
}
