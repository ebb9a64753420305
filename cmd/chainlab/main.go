// Command chainlab is the one binary of the chainlab testbed: node, wallet, local networks,
// experiments, simulation, genesis tools and the PoW-vs-PoS comparison.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := newApp().Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "chainlab:", err)
		os.Exit(1)
	}
}
