package sim

import (
	"chainlab/chain"
	"chainlab/staking"
)

// newDuties gives a PoS node its duties state machine over its own chain.
func (w *world) newDuties(n *node) error {
	prot, err := staking.NewProtection("")
	if err != nil {
		return err
	}
	n.duties, err = staking.NewDuties(staking.DutiesConfig{
		Engine: n.pos, Keys: n.keys, Protection: prot, PayTo: n.payTo,
		Template: func(req chain.TemplateRequest) (*chain.Block, error) { return n.c.NewTemplate(noTxs{}, req) },
	})
	return err
}

func (w *world) startDuties(n *node) {}
func (w *world) dutiesHead(n *node)  {}
