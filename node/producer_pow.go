package node

import (
	"context"
	"errors"
	"fmt"

	"chainlab/chain"
	"chainlab/miner"
)

// powProducer runs the mining loop when --mine is set, and serves generatetoaddress.
type powProducer struct {
	n *Node
	m *miner.Miner
}

func (n *Node) buildProducer() error {
	switch {
	case n.pow != nil:
		m, err := miner.New(miner.Config{
			Params:   n.cfg.Params,
			Logger:   n.log.With("component", "miner"),
			Threads:  n.cfg.Threads,
			HashRate: n.cfg.HashRate,
			Template: func() (*chain.Block, error) { return n.template(n.cfg.MiningAddress) },
			Submit:   n.submitMined,
			Now:      n.cfg.Now,
		})
		if err != nil {
			return err
		}
		n.producer = &powProducer{n: n, m: m}
	case n.pos != nil: // every PoS node runs the fork-choice loop; duties sign only with its keys
		d, err := newDuties(n)
		if err != nil {
			return err
		}
		n.producer = d
	}
	return nil
}

// template builds a block template on the tip paying payTo.
func (n *Node) template(payTo [32]byte) (*chain.Block, error) {
	return n.chain.NewTemplate(n.mempool, chain.TemplateRequest{
		PayTo: payTo,
		Extra: miner.TemplateExtra([]byte(n.cfg.UserAgent)),
		Now:   n.cfg.Now(),
	})
}

// submitMined connects a locally sealed block and broadcasts it.
func (n *Node) submitMined(b *chain.Block) error {
	if n.withholds(b) {
		return nil
	}
	_, err := n.processBlock(b, n.cfg.Now(), true)
	if err != nil {
		n.log.Warn("mined block rejected", "hash", b.Hash(), "err", err)
	}
	return err
}

func (p *powProducer) start(context.Context) error {
	if p.n.cfg.Mine {
		p.m.Start()
	}
	return nil
}
func (p *powProducer) stop()        { p.m.Stop() }
func (p *powProducer) headChanged() { p.m.Notify() }

// minerControl is rpc's view of the miner.
type minerControl struct{ n *Node }

func (c *minerControl) miner() (*miner.Miner, error) {
	p, ok := c.n.producer.(*powProducer)
	if !ok {
		return nil, errors.New("this node does not mine (proof-of-stake genesis)")
	}
	return p.m, nil
}

func (c *minerControl) SetGenerate(on bool, threads int) error {
	m, err := c.miner()
	if err != nil {
		return err
	}
	if threads > 0 {
		if err := m.SetThreads(threads); err != nil {
			return err
		}
	}
	if on {
		m.Start()
	} else {
		m.Stop()
	}
	return nil
}

func (c *minerControl) Generating() bool {
	m, err := c.miner()
	return err == nil && m.Running()
}

func (c *minerControl) SetHashRate(hps float64) error {
	m, err := c.miner()
	if err != nil {
		return err
	}
	return m.SetHashRate(hps)
}

func (c *minerControl) HashRate() float64 {
	m, err := c.miner()
	if err != nil {
		return 0
	}
	return m.HashRate()
}

// Generate mines n blocks to payTo synchronously (generatetoaddress).
func (c *minerControl) Generate(ctx context.Context, n int, payTo [32]byte, maxTries uint64) ([]chain.Hash, error) {
	if c.n.pow == nil {
		return nil, errors.New("generatetoaddress needs a proof-of-work genesis")
	}
	if n < 0 || n > 1_000_000 {
		return nil, fmt.Errorf("nblocks %d out of range", n)
	}
	return miner.GenerateMaxTries(ctx, n, maxTries,
		func() (*chain.Block, error) { return c.n.template(payTo) },
		func(b *chain.Block) error { _, err := c.n.processBlock(b, c.n.cfg.Now(), true); return err })
}
