// Command cgoguard-symbolize names the native frames of cgoguard incidents
// offline, for programs that run stripped. It is the same command as
// `cgoguard symbolize` (see github.com/cgoguard/cgoguard/cmd/cgoguard), kept
// under its former name:
//
//	cgoguard-symbolize -dir ./dist -dir /usr/lib/debug incidents.log
package main

import (
	"os"

	"github.com/cgoguard/cgoguard/internal/symbolize"
)

func main() { os.Exit(symbolize.Main("cgoguard-symbolize", os.Args[1:])) }
