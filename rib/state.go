package rib

import (
	"slices"
	"time"
)

// stored is a source's route with the replay generation that last renewed
// it.
type stored struct {
	Route
	gen uint32
}

// entry holds what each source wants for one key.
type entry struct {
	routes []stored // at most one per source, in no particular order
}

// best returns the winning route by source rank.
func (e *entry) best(rank map[Source]int) *Route {
	var win *Route
	for i := range e.routes {
		if win == nil || rankOf(rank, e.routes[i].Source) < rankOf(rank, win.Source) {
			win = &e.routes[i].Route
		}
	}
	return win
}

func rankOf(rank map[Source]int, s Source) int {
	if r, ok := rank[s]; ok {
		return r
	}
	return len(rank) + int(s)
}

// replay is the resync state of one source.
type replay struct {
	gen     uint32 // current generation; routes with an older one are stale while active
	active  bool
	started time.Time
	tables  map[uint32]bool // tables the current replay renewed a route in
	done    bool            // at least one replay has completed
}

// state is the desired RIB; it is owned by RIB.Run and never shared.
type state struct {
	rank    map[Source]int
	expect  []Source
	renew   bool
	entries map[Key]*entry
	dirty   map[Key]struct{}
	order   []Key // dirty keys in the order they became dirty
	replays map[Source]*replay
	// orphans are keys the dataplane holds on lcpfib's behalf that no
	// source has asked for (yet): what an earlier lcpfib programmed. They
	// are withdrawn once every expected source has completed a replay.
	orphans map[Key]struct{}
	stats   Stats
}

func newState(rank map[Source]int, expect []Source, renew bool) *state {
	return &state{
		rank: rank, expect: expect, renew: renew,
		entries: make(map[Key]*entry), dirty: make(map[Key]struct{}),
		replays: make(map[Source]*replay), orphans: make(map[Key]struct{}),
	}
}

func (s *state) replayOf(src Source) *replay {
	r := s.replays[src]
	if r == nil {
		r = &replay{}
		s.replays[src] = r
	}
	return r
}

func (s *state) apply(u Update, now time.Time) {
	rp := s.replayOf(u.Source)
	if u.Resync == ResyncBegin {
		rp.gen++
		rp.active, rp.started, rp.tables = true, now, make(map[uint32]bool)
		s.stats.Resyncs++
	}
	for _, rt := range u.Set {
		rt.Source = u.Source
		rt.Prefix = rt.Prefix.Masked()
		if rp.active {
			rp.tables[rt.Table] = true
		}
		s.set(rt, rp.gen, rp.active && s.renew)
	}
	for _, k := range u.Del {
		k.Prefix = k.Prefix.Masked()
		s.del(u.Source, k)
	}
	if u.Resync == ResyncEnd && rp.active {
		s.sweep(u.Source, rp)
		rp.active, rp.done = false, true
		s.stats.LastResync = now.Sub(rp.started)
		s.sweepOrphans()
	}
}

// set stores a source's route. An unchanged route is not the dataplane's
// business, unless renew says the dataplane wants to hear of it anyway
// (to tell a replaying daemon it is installed).
func (s *state) set(rt Route, gen uint32, renew bool) {
	delete(s.orphans, rt.Key)
	e := s.entries[rt.Key]
	if e == nil {
		e = &entry{}
		s.entries[rt.Key] = e
	}
	before := e.best(s.rank)
	i := slices.IndexFunc(e.routes, func(r stored) bool { return r.Source == rt.Source })
	if i >= 0 {
		same := e.routes[i].Route.Equal(rt) && e.routes[i].Protocol == rt.Protocol
		e.routes[i] = stored{Route: rt, gen: gen}
		if same {
			if renew && e.best(s.rank).Source == rt.Source {
				s.markDirty(rt.Key)
			}
			return
		}
	} else {
		e.routes = append(e.routes, stored{Route: rt, gen: gen})
	}
	if before == nil || before.Source == rt.Source || e.best(s.rank).Source == rt.Source {
		s.markDirty(rt.Key)
	}
}

func (s *state) del(src Source, k Key) bool {
	e := s.entries[k]
	if e == nil {
		return false
	}
	i := slices.IndexFunc(e.routes, func(r stored) bool { return r.Source == src })
	if i < 0 {
		return false
	}
	wasBest := e.best(s.rank).Source == src
	e.routes = slices.Delete(e.routes, i, i+1)
	if len(e.routes) == 0 {
		delete(s.entries, k)
	}
	if wasBest {
		s.markDirty(k)
	}
	return true
}

// sweep withdraws the source's routes the replay did not renew, in the
// tables the replay touched.
func (s *state) sweep(src Source, rp *replay) {
	var stale []Key
	for k, e := range s.entries {
		if !rp.tables[k.Table] {
			continue
		}
		for _, r := range e.routes {
			if r.Source == src && r.gen != rp.gen {
				stale = append(stale, k)
			}
		}
	}
	for _, k := range stale {
		s.del(src, k)
	}
	s.stats.Swept += uint64(len(stale))
	s.stats.LastSwept = len(stale)
}

// sweepOrphans withdraws, once every expected source has replayed, the
// keys the dataplane held that no source renewed, in the tables some
// replay touched.
func (s *state) sweepOrphans() {
	if len(s.orphans) == 0 {
		return
	}
	tables := map[uint32]bool{}
	for _, src := range s.expect {
		rp := s.replays[src]
		if rp == nil || !rp.done {
			return
		}
		for t := range rp.tables {
			tables[t] = true
		}
	}
	for k := range s.orphans {
		if tables[k.Table] {
			s.markDirty(k)
			delete(s.orphans, k)
			s.stats.Swept++
		}
	}
}

// adopt records keys the dataplane holds; those no source wants become
// orphans.
func (s *state) adopt(keys []Key) {
	for _, k := range keys {
		if _, ok := s.entries[k]; !ok {
			s.orphans[k] = struct{}{}
		}
	}
	s.sweepOrphans()
}

func (s *state) markDirty(k Key) {
	if _, ok := s.dirty[k]; ok {
		return
	}
	s.dirty[k] = struct{}{}
	s.order = append(s.order, k)
}

func (s *state) markAll() {
	for k := range s.entries {
		s.markDirty(k)
	}
}

func (s *state) pending() int { return len(s.order) }

// take removes up to max keys from the dirty set and returns their current
// desired route.
func (s *state) take(max int) []Change {
	n := min(max, len(s.order))
	out := make([]Change, n)
	for i, k := range s.order[:n] {
		delete(s.dirty, k)
		out[i].Key = k
		if e := s.entries[k]; e != nil {
			b := *e.best(s.rank)
			b.Paths = slices.Clone(b.Paths)
			out[i].Route = &b
		}
	}
	s.order = s.order[n:]
	if len(s.order) == 0 {
		s.order = nil // let the backing array go once drained
	}
	return out
}

func (s *state) snapshot() []Route {
	out := make([]Route, 0, len(s.entries))
	for _, e := range s.entries {
		b := *e.best(s.rank)
		b.Paths = slices.Clone(b.Paths)
		out = append(out, b)
	}
	return out
}

func (s *state) statsNow() Stats {
	st := s.stats
	st.Routes = len(s.entries)
	st.Pending = len(s.order)
	st.Orphans = len(s.orphans)
	for _, rp := range s.replays {
		if rp.active {
			st.Replaying++
		}
	}
	return st
}
