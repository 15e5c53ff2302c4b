package httpguard

import (
	"encoding/json"
	"testing"
)

// The response body is valid JSON whatever the text: plain ASCII takes the
// fast path, anything else is escaped.
func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"internal server error", "0123456789abcdef", "", `a"b\c`, "tab\there", "\x00\x7f", "é ✓", "<&>"} {
		var got string
		if err := json.Unmarshal(appendJSONString(nil, s), &got); err != nil || got != s {
			t.Errorf("%q: %s gives %q, %v", s, appendJSONString(nil, s), got, err)
		}
	}
}
