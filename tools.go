//go:build tools

// This file pins modules that packages adopt over time, so concurrent work on separate
// packages never races on go.mod. It is excluded from every build by its tag.
package chainlab

import (
	_ "github.com/BurntSushi/toml"
	_ "github.com/gorilla/websocket"
	_ "github.com/syndtr/goleveldb/leveldb"
	_ "golang.org/x/crypto/chacha20poly1305"
	_ "golang.org/x/crypto/scrypt"
	_ "golang.org/x/sync/errgroup"
	_ "golang.org/x/term"
	_ "gonum.org/v1/plot"
)
