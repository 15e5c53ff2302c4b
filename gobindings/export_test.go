package cgoguard

// GuardDepth exposes guardDepth to the external tests.
var GuardDepth = guardDepth
