package wallet

import (
	"context"
	"errors"
	"fmt"

	"chainlab/chain"
)

// DefaultGap is how many consecutive unused addresses end a rescan of a branch (BIP-44's gap
// limit).
const DefaultGap = 20

// RescanResult says how far each branch was found in use.
type RescanResult struct {
	Receive uint32 `json:"receive"` // receive keys now derived
	Change  uint32 `json:"change"`  // change keys now derived
	Added   int    `json:"added"`   // addresses added to the wallet
	// Validators is the number of validator keys recovered (their stake or unbonding outputs
	// were found on the wallet's addresses).
	Validators int `json:"validators"`
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
	bonded := map[[32]byte]bool{} // validator keys of stake/unbonding outputs found
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
				if u.Lock.Kind != chain.LockPay {
					bonded[u.Lock.Key] = true
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
	// Validator keys: derive them in order until gap keys in a row bond nothing found.
	last := int64(len(w.pub.Validators)) - 1
	for i := uint32(len(w.pub.Validators)); len(bonded) > 0 && int64(i) <= last+int64(gap); i++ {
		k, err := w.kc.key(BranchValidator, i)
		if err != nil {
			return res, err
		}
		if bonded[XOnly(k)] {
			last = int64(i)
		}
	}
	for int64(len(w.pub.Validators)) <= last {
		if _, _, err := w.NewValidatorKey(c.cfg.Now()); err != nil {
			return res, err
		}
		res.Validators++
	}
	res.Receive, res.Change = w.pub.Receive, w.pub.Change
	return res, nil
}
