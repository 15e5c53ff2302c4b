// Command nolink uses the binding but not cgoguard: built with the flag, its
// link fails with a message naming the import to add.
package main

import (
	"fmt"

	"example.com/cgobinding"
)

func main() {
	h := cgobinding.Open(1)
	fmt.Println(h.Count())
}
