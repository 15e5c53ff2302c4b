package sentryguard

import "testing"

// The debug ID of an ELF build ID, as Sentry's debug file tools compute it
// (the build ID's first 16 bytes as a little-endian GUID); a build ID
// shorter than 16 bytes is padded with zeros.
func TestDebugIDFromBuildID(t *testing.T) {
	for _, tc := range []struct{ buildID, want string }{
		{"f1c3bcc0279865fe3058404b2831d9e64135386c", "c0bcc3f1-9827-fe65-3058-404b2831d9e6"},
		{"0102030405060708", "04030201-0605-0807-0000-000000000000"},
	} {
		got, err := debugID(tc.buildID)
		if err != nil || got != tc.want {
			t.Errorf("debugID(%s) = %q, %v; want %s", tc.buildID, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "xyz", "abc"} {
		if got, err := debugID(bad); err == nil {
			t.Errorf("debugID(%q) = %q, want an error", bad, got)
		}
	}
}
