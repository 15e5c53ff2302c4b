package incident

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"strings"
)

// NewID returns a fresh ID for an incident of fingerprint: its IDPrefix, a
// dash and 16 lowercase hex digits (64 random bits from crypto/rand), as in
// "4952b62a-9f1c03de5a71b2c4". It is safe to show to clients and to search
// for in logs.
//
// The prefix makes every ID findable in the logs, also when the log budget
// kept its incident's record out: the records of that fingerprint hold the
// prefix (it is the start of their fingerprint), and the summary record
// that counts the suppressed incidents names it as incident_id_prefix. It
// tells a client no more than which of its failed requests failed at the
// same site.
func NewID(fingerprint string) string {
	var b [8]byte
	rand.Read(b[:]) // never returns an error (crypto/rand, Go 1.24+)
	return IDPrefix(fingerprint) + "-" + hex.EncodeToString(b[:])
}

// IDPrefix is the first part of the IDs of fingerprint's incidents: the
// fingerprint's first 8 hex digits (after "pc-" for an early fault's
// FaultKey). A fingerprint of another form is hashed (FNV-32a) into 8.
func IDPrefix(fingerprint string) string {
	digits := strings.TrimPrefix(fingerprint, "pc-")
	if len(digits) >= 8 && isLowerHex(digits[:8]) {
		return digits[:8]
	}
	h := fnv.New32a()
	h.Write([]byte(fingerprint))
	return fmt.Sprintf("%08x", h.Sum32())
}

func isLowerHex(s string) bool {
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
