package node

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"

	"chainlab/chain"
	"chainlab/staking"
)

// posProducer drives staking.Duties from one goroutine: slot ticks, head changes and
// votes go in; blocks, votes and evidence come out and are processed and broadcast.
type posProducer struct {
	n      *Node
	duties *staking.Duties
	prot   *staking.Protection
	forger *voteForger // double-vote / surround-vote adversary; nil when honest

	head  chan struct{}
	votes chan chain.Vote
	keys  chan *btcec.PrivateKey

	mu    sync.Mutex
	local map[[32]byte]bool // keys this node signs with (guarded by mu)
	done  chan struct{}
	wg    sync.WaitGroup
	stopO sync.Once
}

func newDuties(n *Node) (*posProducer, error) {
	prot, err := staking.NewProtection(n.dir.join("slashing-protection.json"))
	if err != nil {
		return nil, fmt.Errorf("node: slashing protection: %w", err)
	}
	p := &posProducer{n: n, prot: prot, head: make(chan struct{}, 1), votes: make(chan chain.Vote, 4096),
		keys: make(chan *btcec.PrivateKey, 16), done: make(chan struct{}), local: map[[32]byte]bool{}}
	for _, k := range n.cfg.ValidatorKeys {
		p.local[chain.XOnlyKey(k)] = true
	}
	if a := n.cfg.Adversary; a == AdvDoubleVote || a == AdvSurroundVote {
		p.forger = newVoteForger(a, n.chain.GenesisHash(), n.cfg.ValidatorKeys)
	}
	p.duties, err = staking.NewDuties(staking.DutiesConfig{
		Engine:     n.pos,
		Keys:       n.cfg.ValidatorKeys,
		Protection: prot,
		PayTo:      n.cfg.MiningAddress,
		Logger:     n.log.With("component", "duties"),
		Template: func(req staking.TemplateRequest) (*chain.Block, error) {
			return n.chain.NewTemplate(n.mempool, chain.TemplateRequest{
				PayTo: req.PayTo, Extra: req.Extra, Votes: req.Votes, Slashings: req.Slashings, Now: req.Now,
			})
		},
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (p *posProducer) start(ctx context.Context) error {
	p.wg.Add(1)
	go p.loop(ctx)
	p.headChanged()
	return nil
}

func (p *posProducer) stop() {
	p.stopO.Do(func() { close(p.done) })
	p.wg.Wait()
}

func (p *posProducer) headChanged() {
	select {
	case p.head <- struct{}{}:
	default:
	}
}

func (p *posProducer) seenVote(v chain.Vote) {
	select {
	case p.votes <- v:
	default: // the duties are behind; a dropped vote only misses one inclusion chance
	}
}

// loop ticks four times per slot so proposals go out early in their slot and votes at
// the middle, and reruns the fork choice on every tick (new votes move the head).
func (p *posProducer) loop(ctx context.Context) {
	defer p.wg.Done()
	slotLen := p.n.cfg.Params.PoS.SlotDuration()
	t := time.NewTicker(slotLen / 4)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.done:
			return
		case <-t.C:
			now := p.n.cfg.Now()
			p.reconsider(now)
			p.step(staking.Tick{Slot: p.n.pos.SlotAt(now), Now: now})
		case <-p.head:
			p.newHead()
		case v := <-p.votes:
			p.step(staking.SeenVote{Vote: v})
		case k := <-p.keys:
			p.step(staking.AddKey{Key: k})
		}
	}
}

func (p *posProducer) reconsider(now time.Time) {
	res, err := p.n.chain.Reconsider(now)
	if err != nil {
		p.n.log.Warn("fork choice", "err", err)
		return
	}
	if res != nil && (len(res.Connected) > 0 || len(res.Disconnected) > 0) {
		p.n.afterResult(res, nil, false)
	}
}

func (p *posProducer) newHead() {
	hash, _ := p.n.chain.Tip()
	hdr := p.n.chain.TipHeader()
	st, ok := p.n.chain.State(hash)
	if !ok || hdr == nil {
		return
	}
	ps, ok := st.(*staking.State)
	if !ok {
		return
	}
	p.step(staking.NewHead{Hash: hash, Header: hdr, State: ps})
}

func (p *posProducer) step(in staking.Input) {
	if err := p.duties.Step(in); err != nil {
		p.n.log.Warn("duties", "input", fmt.Sprintf("%T", in), "err", err)
	}
	p.drain()
}

// drain carries out the duties' outputs.
func (p *posProducer) drain() {
	for {
		rd := p.duties.Ready()
		if rd.Empty() {
			return
		}
		now := p.n.cfg.Now()
		for _, b := range rd.Blocks {
			if p.n.withholds(b) {
				continue
			}
			if _, err := p.n.processBlock(b, now, true); err != nil {
				p.n.log.Warn("proposed block rejected", "hash", b.Hash(), "err", err)
			} else {
				p.n.log.Debug("proposed", "hash", b.Hash(), "slot", b.Header.Seal.Slot)
			}
		}
		for i := range rd.Votes {
			honest, forged := p.forger.forge(rd.Votes[i])
			for j := range honest {
				v := honest[j]
				if err := p.n.votes.AddVote(&v, now); err != nil {
					p.n.log.Debug("own vote", "err", err)
				}
				p.n.p2p.BroadcastVote(&v)
			}
			for j := range forged {
				v := forged[j]
				p.n.log.Info("adversary: slashable vote", "mode", p.forger.mode, "slot", v.Slot,
					"source", v.Source.Epoch, "target", v.Target.Epoch)
				p.n.votes.keepForRelay(&v)
				p.n.p2p.BroadcastVote(&v)
			}
		}
		for i := range rd.Evidence {
			e := rd.Evidence[i]
			_ = p.n.votes.AddEvidence(&e, now)
			p.n.p2p.BroadcastEvidence(&e)
		}
		for _, f := range rd.Finality {
			p.n.log.Info("finality", "justified_epoch", f.Justified.Epoch, "finalized_epoch", f.Finalized.Epoch)
		}
	}
}

// addKey registers a validator key at run time; the duties goroutine picks it up.
func (p *posProducer) addKey(k *btcec.PrivateKey) error {
	x := chain.XOnlyKey(k)
	p.mu.Lock()
	if p.local[x] {
		p.mu.Unlock()
		return nil
	}
	p.local[x] = true
	p.mu.Unlock()
	if p.forger != nil {
		p.forger.addKey(k)
	}
	select {
	case p.keys <- k:
		return nil
	case <-p.done:
		return fmt.Errorf("node is stopping")
	}
}

// localKeys returns the keys this node signs with.
func (p *posProducer) localKeys() map[[32]byte]bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[[32]byte]bool, len(p.local))
	for k := range p.local {
		out[k] = true
	}
	return out
}
