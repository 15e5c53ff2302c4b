package crashmonitor

import (
	"strings"
	"testing"
)

// A module's base is where the loader mapped its first segment, even when
// the program has the same file mapped elsewhere too (a symbolizer that
// reads libc's symbol table through mmap).
func TestMappingBaseIgnoresOtherMappingsOfTheFile(t *testing.T) {
	maps := `7f9378547000-7f9378747000 r--p 00000000 fe:00 1234 /usr/lib/x86_64-linux-gnu/libc.so.6
7f93c041e000-7f93c0446000 r--p 00000000 fe:00 1234 /usr/lib/x86_64-linux-gnu/libc.so.6
7f93c0446000-7f93c05ce000 r-xp 00028000 fe:00 1234 /usr/lib/x86_64-linux-gnu/libc.so.6
7f93c05ce000-7f93c061d000 r--p 001b0000 fe:00 1234 /usr/lib/x86_64-linux-gnu/libc.so.6
7f93c0700000-7f93c0900000 r--p 00000000 fe:00 1234 /usr/lib/x86_64-linux-gnu/libc.so.6
`
	got := parseMappings(strings.NewReader(maps))
	if len(got) != 1 || got[0].base != 0x7f93c041e000 {
		t.Fatalf("mappings %+v; want one, based at 0x7f93c041e000", got)
	}
}
