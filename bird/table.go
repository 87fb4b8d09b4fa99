package bird

import (
	"cmp"
	"slices"

	"github.com/lcpfib/lcpfib/rib"
)

// rtprotBIRD is the rtm_protocol Linux gives BIRD's routes (RTPROT_BIRD).
const rtprotBIRD = 12

// ref names one path: the peer (index into the configured peers) and the
// add-path identifier BIRD gave it.
type ref struct {
	peer uint16
	id   uint32
}

func compareRef(a, b ref) int {
	if c := cmp.Compare(a.peer, b.peer); c != 0 {
		return c
	}
	return cmp.Compare(a.id, b.id)
}

// bpath is one received path as the table keeps it: 16 bytes, its next
// hop an index into the table's interned next hops (a full table has a
// handful of distinct ones).
type bpath struct {
	id   uint32 // add-path identifier
	pref uint32
	hk   uint32 // route kind << 24 | index of the next hop in table.hops
	peer uint16 // index of the peer in the configuration
	gen  uint16 // the peer's session generation that last announced it (wraps)
}

func (p bpath) ref() ref       { return ref{peer: p.peer, id: p.id} }
func (p bpath) kind() rib.Kind { return rib.Kind(p.hk >> 24) }

// table holds every path the peers announced, per key, and turns them into
// the route the bridge wants for the key. Almost every prefix has one
// path, so those live in a map of values; prefixes with several (add-path)
// move to a second map.
type table struct {
	ecmp   bool
	one    rib.Map[bpath] // most keys in 8 bytes: 24 bytes a path
	many   map[rib.Packed][]bpath
	hops   []rib.Path
	hopIdx map[rib.Path]uint32
}

func newTable(ecmp bool) *table {
	return &table{ecmp: ecmp, many: make(map[rib.Packed][]bpath), hopIdx: make(map[rib.Path]uint32)}
}

// path makes a bpath, interning its next hop.
func (t *table) path(r ref, gen uint16, pref uint32, kind rib.Kind, hop rib.Path) bpath {
	i, ok := t.hopIdx[hop]
	if !ok {
		i = uint32(len(t.hops))
		t.hops = append(t.hops, hop)
		t.hopIdx[hop] = i
	}
	return bpath{id: r.id, pref: pref, hk: uint32(kind)<<24 | i, peer: r.peer, gen: gen}
}

func (t *table) hop(p bpath) rib.Path { return t.hops[p.hk&(1<<24-1)] }

// paths returns the key's paths; the slice must not be kept.
func (t *table) paths(pk rib.Packed, buf *[1]bpath) []bpath {
	if p, ok := t.one.Get(pk); ok {
		buf[0] = p
		return buf[:]
	}
	return t.many[pk]
}

// put stores p in place of the path with the same ref, or adds it.
func (t *table) put(pk rib.Packed, p bpath) {
	if o, ok := t.one.Get(pk); ok {
		if o.ref() == p.ref() {
			t.one.Set(pk, p)
			return
		}
		t.one.Delete(pk)
		t.many[pk] = []bpath{o, p}
		return
	}
	ps, ok := t.many[pk]
	if !ok {
		t.one.Set(pk, p)
		return
	}
	for i := range ps {
		if ps[i].ref() == p.ref() {
			ps[i] = p
			return
		}
	}
	t.many[pk] = append(ps, p)
}

// remove drops the path with ref r; it reports whether there was one.
func (t *table) remove(pk rib.Packed, r ref) bool {
	if o, ok := t.one.Get(pk); ok {
		if o.ref() != r {
			return false
		}
		t.one.Delete(pk)
		return true
	}
	ps, ok := t.many[pk]
	if !ok {
		return false
	}
	n := len(ps)
	ps = slices.DeleteFunc(ps, func(p bpath) bool { return p.ref() == r })
	if len(ps) == n {
		return false
	}
	t.setMany(pk, ps)
	return true
}

// setMany stores what is left of a key's several paths: none, one (back
// to the map of values) or several.
func (t *table) setMany(pk rib.Packed, ps []bpath) {
	switch len(ps) {
	case 0:
		delete(t.many, pk)
	case 1:
		delete(t.many, pk)
		t.one.Set(pk, ps[0])
	default:
		t.many[pk] = ps
	}
}

// drop removes the paths for which gone returns true and returns the keys
// whose paths changed.
func (t *table) drop(gone func(pk rib.Packed, p bpath) bool) []rib.Packed {
	var changed []rib.Packed
	for pk, p := range t.one.All() {
		if gone(pk, p) {
			t.one.Delete(pk)
			changed = append(changed, pk)
		}
	}
	for pk, ps := range t.many {
		if slices.ContainsFunc(ps, func(p bpath) bool { return gone(pk, p) }) {
			changed = append(changed, pk)
		}
	}
	for _, pk := range changed {
		ps, ok := t.many[pk]
		if !ok {
			continue
		}
		t.setMany(pk, slices.DeleteFunc(ps, func(p bpath) bool { return gone(pk, p) }))
	}
	return changed
}

// len returns how many keys have at least one path.
func (t *table) len() int { return t.one.Len() + len(t.many) }

// paths counts every path.
func (t *table) pathCount() int {
	n := t.one.Len()
	for _, ps := range t.many {
		n += len(ps)
	}
	return n
}

// route returns the route the bridge wants for pk, or false when no path
// is left. The highest preference wins; among equals the lowest ref, or,
// with ECMP, every unicast one.
func (t *table) route(pk rib.Packed) (rib.Route, bool) {
	var buf [1]bpath
	ps := t.paths(pk, &buf)
	if len(ps) == 0 {
		return rib.Route{}, false
	}
	best := ps[0]
	for _, p := range ps[1:] {
		if p.pref > best.pref || (p.pref == best.pref && compareRef(p.ref(), best.ref()) < 0) {
			best = p
		}
	}
	r := rib.Route{Key: pk.Key(), Kind: best.kind(), Source: rib.SourceBIRD, Protocol: rtprotBIRD}
	if best.kind() != rib.Unicast {
		return r, true
	}
	r.Paths = []rib.Path{t.hop(best)}
	if !t.ecmp {
		return r, true
	}
	for _, p := range ps {
		if p.ref() == best.ref() || p.pref != best.pref || p.kind() != rib.Unicast {
			continue
		}
		if h := t.hop(p); !slices.Contains(r.Paths, h) {
			r.Paths = append(r.Paths, h)
		}
	}
	return r, true
}
