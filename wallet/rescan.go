package wallet

import (
	"context"
	"errors"
	"fmt"
)

// DefaultGap is how many consecutive unused addresses end a rescan of a branch (BIP-44's gap
// limit).
const DefaultGap = 20

// RescanResult says how far each branch was found in use.
type RescanResult struct {
	Receive uint32 `json:"receive"` // receive keys now derived
	Change  uint32 `json:"change"`  // change keys now derived
	Added   int    `json:"added"`   // addresses added to the wallet
}

// Rescan finds the coins of a restored wallet: for the receive and change branches it derives
// addresses in batches of gap, asks the node for their unspent outputs, and stops after gap
// consecutive addresses without any; every address up to the last one holding coins is then
// added to the wallet. Call Store.Save afterwards. Addresses whose coins were all spent look
// unused to the node (it keeps no history), so a run of more than gap such addresses hides
// what follows them: raise gap in that case.
func (c *Client) Rescan(ctx context.Context, w *Wallet, gap int) (RescanResult, error) {
	if w.kc == nil {
		return RescanResult{}, errors.New("wallet: this wallet has no mnemonic to rescan")
	}
	if gap <= 0 {
		gap = DefaultGap
	}
	p, err := c.cfg.Node.Params(ctx)
	if err != nil {
		return RescanResult{}, err
	}
	if p.Network != w.pub.Network {
		return RescanResult{}, fmt.Errorf("%w: wallet %q is for %q, node runs %q", ErrWrongNetwork, w.pub.Name, w.pub.Network, p.Network)
	}
	var res RescanResult
	for _, b := range []Branch{BranchReceive, BranchChange} {
		used := int64(-1) // highest index with coins
		for start := uint32(0); int64(start) <= used+int64(gap); start += uint32(gap) {
			addrs := make([]string, gap)
			index := make(map[[32]byte]uint32, gap)
			for j := 0; j < gap; j++ {
				k, err := w.kc.key(b, start+uint32(j))
				if err != nil {
					return res, err
				}
				key := XOnly(k)
				if addrs[j], err = EncodeAddress(w.pub.Prefix, key); err != nil {
					return res, err
				}
				index[key] = start + uint32(j)
			}
			utxos, err := c.cfg.Node.ListUnspent(ctx, addrs)
			if err != nil {
				return res, err
			}
			for _, u := range utxos {
				if i, ok := index[u.Lock.SpendKey()]; ok && int64(i) > used {
					used = int64(i)
				}
			}
		}
		next := &w.pub.Receive
		if b == BranchChange {
			next = &w.pub.Change
		}
		for int64(*next) <= used {
			if _, err := w.NewAddress(b); err != nil {
				return res, err
			}
			res.Added++
		}
	}
	res.Receive, res.Change = w.pub.Receive, w.pub.Change
	return res, nil
}
