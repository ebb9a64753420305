package sim

type adversary struct{}

type posAdversary struct{}

func (w *world) setupAdversaries() error { return nil }
