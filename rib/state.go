package rib

import (
	"slices"
	"time"
)

// sroute is one source's route as the state stores it: 24 bytes, its paths
// interned (see pathSet).
type sroute struct {
	paths    pathSet
	gen      uint32 // the replay generation that last renewed it
	nhid     uint32 // Route.NexthopID
	kind     Kind
	source   Source // 0: none (an empty slot)
	protocol uint8
	// dirty, in an entry's first route only, says the entry's key is
	// queued in state.order for the dataplane. It lives here, in what
	// would be padding, so that an entry takes 32 bytes rather than 40;
	// put and remove keep it in place.
	dirty bool
}

// entry is everything about one key. It is a map value, not a pointer:
// one slot per route and nothing else for the common single-source case.
type entry struct {
	first sroute    // the first source's route, if any
	more  *[]sroute // further sources' routes (two daemons announcing one key)
}

func (e *entry) dirty() bool { return e.first.dirty }

func (e *entry) empty() bool { return e.first.source == 0 && e.more == nil }

// find returns the source's route, or nil.
func (e *entry) find(src Source) *sroute {
	if e.first.source == src {
		return &e.first
	}
	if e.more != nil {
		for i := range *e.more {
			if (*e.more)[i].source == src {
				return &(*e.more)[i]
			}
		}
	}
	return nil
}

// best returns the winning route by source rank, or nil.
func (e *entry) best(rank map[Source]int) *sroute {
	var win *sroute
	consider := func(r *sroute) {
		if r.source != 0 && (win == nil || rankOf(rank, r.source) < rankOf(rank, win.source)) {
			win = r
		}
	}
	consider(&e.first)
	if e.more != nil {
		for i := range *e.more {
			consider(&(*e.more)[i])
		}
	}
	return win
}

// put stores r in place of the same source's route, or adds it.
func (e *entry) put(r sroute) {
	dirty := e.first.dirty
	defer func() { e.first.dirty = dirty }()
	r.dirty = false
	if old := e.find(r.source); old != nil {
		*old = r
		return
	}
	if e.first.source == 0 {
		e.first = r
		return
	}
	if e.more == nil {
		e.more = &[]sroute{}
	}
	*e.more = append(*e.more, r)
}

// remove drops the source's route.
func (e *entry) remove(src Source) {
	dirty := e.first.dirty
	defer func() { e.first.dirty = dirty }()
	if e.first.source == src {
		e.first = sroute{}
		if e.more != nil {
			e.first = (*e.more)[len(*e.more)-1]
			*e.more = (*e.more)[:len(*e.more)-1]
		}
	} else if e.more != nil {
		*e.more = slices.DeleteFunc(*e.more, func(r sroute) bool { return r.source == src })
	}
	if e.more != nil && len(*e.more) == 0 {
		e.more = nil
	}
}

func (r *sroute) route(k Key) Route {
	return Route{Key: k, Kind: r.kind, Source: r.source, Protocol: r.protocol, Paths: r.paths.paths()}
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
//
// Memory is what a full table costs, so the map is keyed by Packed keys
// (no pointers for the collector to scan; mostly 8 bytes, see Map) and
// holds entries by value with interned path sets, and the dirty set is a
// flag in the entry plus a queue of keys.
type state struct {
	rank    map[Source]int
	expect  []Source
	renew   bool
	entries Map[entry]
	routes  int      // entries with at least one route
	order   keyQueue // dirty keys in the order they became dirty
	replays map[Source]*replay
	// orphans are keys the dataplane holds on lcpfib's behalf that no
	// source has asked for (yet): what an earlier lcpfib programmed. They
	// are withdrawn once every expected source has completed a replay.
	orphans  Map[struct{}]
	interner interner
	// held are keys the dataplane held on lcpfib's behalf (orphans) that
	// a source renewed in the middle of its replay: they reach the
	// dataplane only once that replay is complete, so a route that
	// arrives in parts (BIRD's add-path paths of one prefix, one UPDATE
	// each) is not reprogrammed with the first part alone after an
	// lcpfib restart.
	held  Map[Source]
	stats Stats
}

func newState(rank map[Source]int, expect []Source, renew bool) *state {
	return &state{
		rank: rank, expect: expect, renew: renew,
		replays: make(map[Source]*replay),
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
		s.set(rt, rp.gen, rp.active && s.renew, rp.active)
	}
	for _, k := range u.Del {
		k.Prefix = k.Prefix.Masked()
		s.del(u.Source, k.Pack())
	}
	if u.Resync == ResyncEnd && rp.active {
		for pk, src := range s.held.All() {
			if src == u.Source {
				s.held.Delete(pk)
				s.markDirty(pk)
			}
		}
		s.sweep(u.Source, rp)
		rp.active, rp.done = false, true
		s.stats.LastResync = now.Sub(rp.started)
		s.sweepOrphans()
	}
}

// set stores a source's route. An unchanged route is not the dataplane's
// business, unless renew says the dataplane wants to hear of it anyway
// (to tell a replaying daemon it is installed).
func (s *state) set(rt Route, gen uint32, renew, replaying bool) {
	pk := rt.Key.Pack()
	if s.orphans.Len() > 0 {
		if _, orphan := s.orphans.Get(pk); orphan && replaying {
			s.held.Set(pk, rt.Source)
		}
		s.orphans.Delete(pk)
	}
	e, had := s.entries.Ref(pk)
	if !had || e.empty() {
		s.routes++
	}
	nr := sroute{paths: s.interner.intern(rt.Paths), gen: gen, nhid: rt.NexthopID, kind: rt.Kind, source: rt.Source, protocol: rt.Protocol}
	before := e.best(s.rank)
	var beforeSrc Source
	if before != nil {
		beforeSrc = before.source
	}
	old := e.find(rt.Source)
	same := old != nil && old.paths == nr.paths && old.kind == nr.kind && old.protocol == nr.protocol
	e.put(nr)
	winner := e.best(s.rank).source
	held := s.isHeld(pk)
	switch {
	case held: // marked when the replay completes
	case same:
		if renew && winner == rt.Source {
			s.mark(e, pk)
		}
	case beforeSrc == 0 || beforeSrc == rt.Source || winner == rt.Source:
		s.mark(e, pk)
	}
}

// del withdraws a source's route.
func (s *state) del(src Source, pk Packed) bool {
	e, ok := s.entries.Get(pk)
	if !ok || e.find(src) == nil {
		return false
	}
	wasBest := e.best(s.rank).source == src
	e.remove(src)
	if e.empty() {
		s.routes--
	}
	if wasBest && !s.isHeld(pk) {
		s.mark(&e, pk)
	}
	s.store(pk, e)
	return true
}

// store writes e back, or forgets the key once nothing refers to it.
func (s *state) store(pk Packed, e entry) {
	if e.empty() && !e.dirty() {
		s.entries.Delete(pk)
		return
	}
	s.entries.Set(pk, e)
}

// mark queues the key for the dataplane; e is the key's entry in the map,
// or one the caller stores.
func (s *state) mark(e *entry, pk Packed) {
	if e.dirty() {
		return
	}
	e.first.dirty = true
	s.order.push(pk)
}

// markDirty queues a key that may not be in the map.
func (s *state) markDirty(pk Packed) {
	e, _ := s.entries.Ref(pk)
	s.mark(e, pk)
}

// sweep withdraws the source's routes the replay did not renew, in the
// tables the replay touched.
func (s *state) sweep(src Source, rp *replay) {
	var stale []Packed
	for pk, e := range s.entries.All() {
		if !rp.tables[pk.table] {
			continue
		}
		if r := e.find(src); r != nil && r.gen != rp.gen {
			stale = append(stale, pk)
		}
	}
	for _, pk := range stale {
		s.del(src, pk)
	}
	s.stats.Swept += uint64(len(stale))
	s.stats.LastSwept = len(stale)
}

// sweepOrphans withdraws, once every expected source has replayed, the
// keys the dataplane held that no source renewed, in the tables some
// replay touched.
func (s *state) sweepOrphans() {
	if s.orphans.Len() == 0 {
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
	for pk := range s.orphans.All() {
		if tables[pk.table] {
			s.markDirty(pk)
			s.orphans.Delete(pk)
			s.stats.Swept++
		}
	}
}

// adopt records keys the dataplane holds; those no source wants become
// orphans.
func (s *state) adopt(keys []Key) {
	for _, k := range keys {
		pk := k.Pack()
		if e, ok := s.entries.Get(pk); !ok || e.empty() {
			s.orphans.Set(pk, struct{}{})
		}
	}
	s.sweepOrphans()
}

func (s *state) markAll() {
	for pk, e := range s.entries.All() {
		if !e.empty() && !e.dirty() {
			e.first.dirty = true
			s.order.push(pk)
			s.entries.Set(pk, e)
		}
	}
}

func (s *state) pending() int { return s.order.len() }

// take removes up to max keys from the dirty queue and returns their
// current desired route.
func (s *state) take(max int) []Change {
	n := min(max, s.order.len())
	out := make([]Change, n)
	routes := make([]Route, n) // one allocation for the batch's routes
	s.order.pop(n, func(i int, pk Packed) {
		e, _ := s.entries.Ref(pk) // a dirty key is always there
		e.first.dirty = false
		k := pk.Key()
		out[i].Key = k
		if b := e.best(s.rank); b != nil {
			routes[i] = b.route(k)
			out[i].Route = &routes[i]
		}
		if e.empty() {
			s.entries.Delete(pk)
		}
	})
	return out
}

// byNexthop returns the routes of src, set since its current replay
// generation began, that name one of ids.
func (s *state) byNexthop(src Source, ids []uint32) []NexthopRef {
	if len(ids) == 0 {
		return nil
	}
	gen := s.replayOf(src).gen
	var out []NexthopRef
	for pk, e := range s.entries.All() {
		r := e.find(src)
		if r == nil || r.nhid == 0 || r.gen != gen || !slices.Contains(ids, r.nhid) {
			continue
		}
		out = append(out, NexthopRef{Key: pk.Key(), NexthopID: r.nhid, Protocol: r.protocol})
	}
	return out
}

func (s *state) snapshot() []Route {
	out := make([]Route, 0, s.routes)
	for pk, e := range s.entries.All() {
		if b := e.best(s.rank); b != nil {
			out = append(out, b.route(pk.Key()))
		}
	}
	return out
}

func (s *state) statsNow() Stats {
	st := s.stats
	st.Routes = s.routes
	st.Pending = s.order.len()
	st.Orphans = s.orphans.Len()
	for _, rp := range s.replays {
		if rp.active {
			st.Replaying++
		}
	}
	return st
}

func (s *state) isHeld(pk Packed) bool {
	if s.held.Len() == 0 {
		return false
	}
	_, ok := s.held.Get(pk)
	return ok
}
