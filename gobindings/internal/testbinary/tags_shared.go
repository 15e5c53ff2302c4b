//go:build cgoguard_shared || cgoguard_pkgconfig

package testbinary

// buildTags are the cgoguard build tags this binary was built with.
var buildTags = []string{"cgoguard_shared"}
