package rib

import (
	"cmp"
	"context"
	"net/netip"
	"slices"
)

// Filter selects routes for Query. The zero Filter selects every route.
type Filter struct {
	Table  uint32       // 0: every table
	Prefix netip.Prefix // invalid: every prefix; else routes whose prefix overlaps it
	// Limit bounds the answer (0: no bound); Query reports how many matched.
	Limit int
}

func (f Filter) match(k Key) bool {
	if f.Table != 0 && k.Table != f.Table {
		return false
	}
	if f.Prefix.IsValid() && (k.IsLSP() || !k.Prefix.Overlaps(f.Prefix)) {
		return false
	}
	return true
}

// Query returns the winning routes that f selects, sorted by table, then
// prefix (LSPs last, by label), at most f.Limit of them, and how many
// matched in all.
func (r *RIB) Query(ctx context.Context, f Filter) ([]Route, int, error) {
	type answer struct {
		routes  []Route
		matched int
	}
	a, err := inspect(ctx, r, func(s *state) answer {
		var out []Route
		for pk, e := range s.entries.All() {
			k := pk.Key()
			if !f.match(k) {
				continue
			}
			if b := e.best(s.rank); b != nil {
				out = append(out, b.route(k))
			}
		}
		return answer{routes: out, matched: len(out)}
	})
	if err != nil {
		return nil, 0, err
	}
	slices.SortFunc(a.routes, func(x, y Route) int { return CompareKeys(x.Key, y.Key) })
	if f.Limit > 0 && len(a.routes) > f.Limit {
		a.routes = a.routes[:f.Limit]
	}
	return a.routes, a.matched, nil
}

// Lookup returns the winning route of each key, in order; a key with no
// route gives a Route with the zero Key. One visit to the rib's goroutine
// answers them all.
func (r *RIB) Lookup(ctx context.Context, keys []Key) ([]Route, error) {
	return inspect(ctx, r, func(s *state) []Route {
		out := make([]Route, len(keys))
		for i, k := range keys {
			if e, ok := s.entries.Get(k.Pack()); ok {
				if b := e.best(s.rank); b != nil {
					out[i] = b.route(k)
				}
			}
		}
		return out
	})
}

// CompareKeys orders keys by table, then IP prefixes (IPv4 first, by
// address then length) before LSPs (by label).
func CompareKeys(a, b Key) int {
	if c := cmp.Compare(a.Table, b.Table); c != 0 {
		return c
	}
	if a.IsLSP() != b.IsLSP() {
		if a.IsLSP() {
			return 1
		}
		return -1
	}
	if a.IsLSP() {
		return cmp.Compare(a.Label, b.Label)
	}
	if c := a.Prefix.Addr().Compare(b.Prefix.Addr()); c != 0 {
		return c
	}
	return cmp.Compare(a.Prefix.Bits(), b.Prefix.Bits())
}

// TableSource is a (Linux table, source) pair, for counting routes.
type TableSource struct {
	Table  uint32
	Source Source
}

// Counts returns how many routes each source has in each table, winning
// or not (a key two sources announce counts for both).
func (r *RIB) Counts(ctx context.Context) (map[TableSource]int, error) {
	return inspect(ctx, r, func(s *state) map[TableSource]int {
		out := map[TableSource]int{}
		for pk, e := range s.entries.All() {
			if e.first.source != 0 {
				out[TableSource{pk.table, e.first.source}]++
			}
			if e.more != nil {
				for _, m := range *e.more {
					out[TableSource{pk.table, m.source}]++
				}
			}
		}
		return out
	})
}

// inspect runs f on the RIB's goroutine and returns its result. f must
// only read the state.
func inspect[T any](ctx context.Context, r *RIB, f func(*state) T) (T, error) {
	var zero T
	reply := make(chan T, 1)
	q := func(s *state) { reply <- f(s) }
	select {
	case r.query <- q:
	case <-ctx.Done():
		return zero, ctx.Err()
	}
	select {
	case v := <-reply:
		return v, nil
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}
