package incident

import (
	"crypto/rand"
	"encoding/hex"
)

// NewID returns a fresh incident ID: 16 lowercase hex digits (64 random bits
// from crypto/rand), safe to show to clients and to search for in logs.
func NewID() string {
	var b [8]byte
	rand.Read(b[:]) // never returns an error (crypto/rand, Go 1.24+)
	return hex.EncodeToString(b[:])
}
