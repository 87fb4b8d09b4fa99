package zebra

import "github.com/lcpfib/lcpfib/rib"

// batch accumulates changes for one rib.Update, merged per key: the last
// change of a key wins, so a key is never both set and deleted, and a
// DELROUTE followed by a NEWROUTE for the same key becomes one Set.
type batch struct {
	index map[rib.Key]int
	ops   []change
}

type change struct {
	route rib.Route // only Key is meaningful when del
	del   bool
}

func newBatch() batch { return batch{index: make(map[rib.Key]int)} }

func (b *batch) len() int { return len(b.ops) }

func (b *batch) put(c change) {
	if i, ok := b.index[c.route.Key]; ok {
		b.ops[i] = c
		return
	}
	b.index[c.route.Key] = len(b.ops)
	b.ops = append(b.ops, c)
}

func (b *batch) set(r rib.Route) { b.put(change{route: r}) }

func (b *batch) del(k rib.Key) { b.put(change{route: rib.Route{Key: k}, del: true}) }

// take returns the accumulated changes as an Update and empties the batch.
// The Update's slices are new; the batch keeps none of them.
func (b *batch) take() rib.Update {
	u := rib.Update{Source: rib.SourceFRR}
	dels := 0
	for _, c := range b.ops {
		if c.del {
			dels++
		}
	}
	if dels > 0 {
		u.Del = make([]rib.Key, 0, dels)
	}
	if len(b.ops) > dels {
		u.Set = make([]rib.Route, 0, len(b.ops)-dels)
	}
	for _, c := range b.ops {
		if c.del {
			u.Del = append(u.Del, c.route.Key)
		} else {
			u.Set = append(u.Set, c.route)
		}
	}
	clear(b.index)
	clear(b.ops)
	b.ops = b.ops[:0]
	return u
}
