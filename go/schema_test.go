package provisioner

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"
)

// schema is a JSON Schema object from ../contract, decoded generically.
type schema = map[string]any

// contractSchema reads one schema file of the repository's contract/ folder.
func contractSchema(t *testing.T, file string) schema {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "contract", file))
	if err != nil {
		t.Fatalf("reading the contract schema: %v (run npm run contract)", err)
	}
	var s schema
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return s
}

// schemaCheck validates decoded JSON against the subset of JSON Schema 2020-12 the generated files
// use, and returns one line per violation. Keywords it does not know make it fail, so a schema
// that grows a new rule cannot pass here unchecked.
type schemaCheck struct {
	root     schema
	problems []string
}

var knownKeywords = []string{
	"$schema", "$id", "$defs", "$ref", "title", "description", "default", "type", "enum", "properties", "required",
	"additionalProperties", "items", "pattern", "minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems",
	"uniqueItems", "maxProperties", "propertyNames", "anyOf", "const",
}

func validateAgainst(root schema, value any) []string {
	c := &schemaCheck{root: root}
	c.check(root, value, "(root)")
	return c.problems
}

func (c *schemaCheck) fail(path, format string, args ...any) {
	c.problems = append(c.problems, path+": "+fmt.Sprintf(format, args...))
}

// checked runs check and returns the problems it found.
func (c *schemaCheck) checked(s schema, value any, path string) []string {
	c.check(s, value, path)
	return c.problems
}

func (c *schemaCheck) check(s schema, value any, path string) {
	for keyword := range s {
		if !slices.Contains(knownKeywords, keyword) {
			c.fail(path, "schema keyword %q is not checked by this test", keyword)
		}
	}
	if ref, ok := s["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/$defs/")
		def, found := c.root["$defs"].(map[string]any)[name].(map[string]any)
		if !found {
			c.fail(path, "unresolved $ref %s", ref)
			return
		}
		c.check(def, value, path)
	}
	if branches, ok := s["anyOf"].([]any); ok && !slices.ContainsFunc(branches, func(branch any) bool {
		return len((&schemaCheck{root: c.root}).checked(branch.(map[string]any), value, path)) == 0
	}) {
		c.fail(path, "%v matches none of anyOf", value)
	}
	if constant, ok := s["const"]; ok && value != constant {
		c.fail(path, "%v is not %v", value, constant)
	}
	if t, ok := s["type"]; ok && !matchesType(t, value) {
		c.fail(path, "%v is not of type %v", value, t)
		return
	}
	if enum, ok := s["enum"].([]any); ok && !slices.Contains(enum, value) {
		c.fail(path, "%v is not one of %v", value, enum)
	}
	switch v := value.(type) {
	case string:
		length := float64(utf8.RuneCountInString(v))
		if max, ok := s["maxLength"].(float64); ok && length > max {
			c.fail(path, "longer than %v", max)
		}
		if min, ok := s["minLength"].(float64); ok && length < min {
			c.fail(path, "shorter than %v", min)
		}
		if pattern, ok := s["pattern"].(string); ok && !regexp.MustCompile(pattern).MatchString(v) {
			c.fail(path, "%q does not match %s", v, pattern)
		}
	case float64:
		if max, ok := s["maximum"].(float64); ok && v > max {
			c.fail(path, "%v is over %v", v, max)
		}
		if min, ok := s["minimum"].(float64); ok && v < min {
			c.fail(path, "%v is under %v", v, min)
		}
	case []any:
		if max, ok := s["maxItems"].(float64); ok && float64(len(v)) > max {
			c.fail(path, "more than %v items", max)
		}
		if min, ok := s["minItems"].(float64); ok && float64(len(v)) < min {
			c.fail(path, "fewer than %v items", min)
		}
		for i, item := range v {
			if s["uniqueItems"] == true && slices.Contains(v[:i], item) {
				c.fail(path, "%v is listed twice", item)
			}
			if items, ok := s["items"].(map[string]any); ok {
				c.check(items, item, fmt.Sprintf("%s[%d]", path, i))
			}
		}
	case map[string]any:
		if max, ok := s["maxProperties"].(float64); ok && float64(len(v)) > max {
			c.fail(path, "more than %v properties", max)
		}
		required, _ := s["required"].([]any)
		for _, name := range required {
			if _, ok := v[name.(string)]; !ok {
				c.fail(path, "%s is required", name)
			}
		}
		properties, _ := s["properties"].(map[string]any)
		for key, item := range v {
			if names, ok := s["propertyNames"].(map[string]any); ok {
				c.check(names, key, path+" key "+key)
			}
			if property, ok := properties[key].(map[string]any); ok {
				c.check(property, item, path+"."+key)
				continue
			}
			switch extra := s["additionalProperties"].(type) {
			case bool:
				if !extra {
					c.fail(path, "unknown field %q", key)
				}
			case map[string]any:
				c.check(extra, item, path+"."+key)
			}
		}
	}
}

func matchesType(t any, value any) bool {
	types, ok := t.([]any)
	if !ok {
		types = []any{t}
	}
	for _, name := range types {
		switch v := value.(type) {
		case string:
			if name == "string" {
				return true
			}
		case bool:
			if name == "boolean" {
				return true
			}
		case float64:
			if name == "number" || (name == "integer" && v == float64(int64(v))) {
				return true
			}
		case []any:
			if name == "array" {
				return true
			}
		case map[string]any:
			if name == "object" {
				return true
			}
		case nil:
			if name == "null" {
				return true
			}
		}
	}
	return false
}

// asJSON marshals a Go value and decodes it generically, as the schema sees it.
func asJSON(t *testing.T, value any) any {
	t.Helper()
	data, err := json.Marshal(value)
	if err != nil {
		t.Fatalf("marshal %T: %v", value, err)
	}
	var decoded any
	if err := json.Unmarshal(data, &decoded); err != nil {
		t.Fatalf("unmarshal %T: %v", value, err)
	}
	return decoded
}

// schemaFields lists an object schema's properties and its required ones, sorted.
func schemaFields(s schema) (properties, required []string) {
	props, _ := s["properties"].(map[string]any)
	for name := range props {
		properties = append(properties, name)
	}
	names, _ := s["required"].([]any)
	for _, name := range names {
		required = append(required, name.(string))
	}
	sort.Strings(properties)
	sort.Strings(required)
	return properties, required
}
