package rib

import "slices"

// entry holds what each source wants for one key.
type entry struct {
	routes []Route // at most one per source, in no particular order
}

// best returns the winning route by source rank.
func (e *entry) best(rank map[Source]int) *Route {
	var win *Route
	for i := range e.routes {
		if win == nil || rankOf(rank, e.routes[i].Source) < rankOf(rank, win.Source) {
			win = &e.routes[i]
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

// state is the desired RIB; it is owned by RIB.Run and never shared.
type state struct {
	rank    map[Source]int
	entries map[Key]*entry
	dirty   map[Key]struct{}
	order   []Key // dirty keys in the order they became dirty
}

func newState(rank map[Source]int) *state {
	return &state{rank: rank, entries: make(map[Key]*entry), dirty: make(map[Key]struct{})}
}

func (s *state) apply(u Update) {
	for _, rt := range u.Set {
		rt.Source = u.Source
		rt.Prefix = rt.Prefix.Masked()
		s.set(rt)
	}
	for _, k := range u.Del {
		k.Prefix = k.Prefix.Masked()
		s.del(u.Source, k)
	}
}

func (s *state) set(rt Route) {
	e := s.entries[rt.Key]
	if e == nil {
		e = &entry{}
		s.entries[rt.Key] = e
	}
	before := e.best(s.rank)
	i := slices.IndexFunc(e.routes, func(r Route) bool { return r.Source == rt.Source })
	if i >= 0 {
		if e.routes[i].Equal(rt) && e.routes[i].Protocol == rt.Protocol {
			return
		}
		e.routes[i] = rt
	} else {
		e.routes = append(e.routes, rt)
	}
	if before == nil || before.Source == rt.Source || e.best(s.rank).Source == rt.Source {
		s.markDirty(rt.Key)
	}
}

func (s *state) del(src Source, k Key) {
	e := s.entries[k]
	if e == nil {
		return
	}
	i := slices.IndexFunc(e.routes, func(r Route) bool { return r.Source == src })
	if i < 0 {
		return
	}
	wasBest := e.best(s.rank).Source == src
	e.routes = slices.Delete(e.routes, i, i+1)
	if len(e.routes) == 0 {
		delete(s.entries, k)
	}
	if wasBest {
		s.markDirty(k)
	}
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
