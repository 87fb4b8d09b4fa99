package sim

import (
	"net/netip"
	"slices"
)

// The route operations below are VPP's fib_table_entry_* functions as the
// API reaches them. They keep three invariants: an entry exists while it
// has a source; every recursive path holds its next hop's entry in the
// next-hop table under the recursive-resolution source (and every path
// that looks up in an MPLS table holds a lock on it); every entry owns one
// stats index.
//
// The src* functions work on one entry's source, whatever its table; the
// API handlers (routeAddDel, mplsRouteAddDel) find or create the entry
// around them and release it when its last source is gone.

// entry returns the entry for pfx, creating it (with pfx as given, host
// bits included) if needed.
func (v *vpp) entry(t *fibTable, pfx netip.Prefix) *fibEntry {
	key := keyOf(pfx)
	if e := t.entries[key]; e != nil {
		return e
	}
	return v.newEntry(t, key, pfx)
}

// newEntry creates the entry for pfx, whose key is key.
func (v *vpp) newEntry(t *fibTable, key prefixKey, pfx netip.Prefix) *fibEntry {
	e := &fibEntry{prefix: pfx, stats: v.stats.get()}
	t.entries[key] = e
	return e
}

// release deletes an entry that no source holds any more.
func (v *vpp) release(t *fibTable, e *fibEntry) {
	if len(e.srcs) > 0 {
		return
	}
	key := keyOf(e.prefix)
	if t.entries[key] == e {
		delete(t.entries, key)
		v.stats.put(e.stats)
	}
}

// srcPaths returns the paths src gives e, nil if it gives none (or only
// inherits its cover's). e may be nil.
func srcPaths(e *fibEntry, src Source) []path {
	if e == nil {
		return nil
	}
	if s := e.source(src); s != nil && !s.inherit {
		return s.paths
	}
	return nil
}

// srcUpdate is fib_entry_update for one source: its paths become exactly
// ps.
func (v *vpp) srcUpdate(e *fibEntry, src Source, ps []path) {
	sortPaths(ps)
	s := e.source(src)
	if s == nil {
		s = e.addSource(src)
		s.refs = 1
	}
	old := s.paths
	s.paths, s.inherit = ps, false
	v.lockPaths(ps)
	v.unlockPaths(old)
}

// srcPathAdd is fib_entry_path_add: ps join src's paths; a path src
// already has (same type, protocol and next hop, whatever its weight) is
// not added twice. A repeated path that carries labels replaces the
// existing path's labels, as VPP's path extension does; when the weights
// differ that extension matches no path, and the path is left without
// labels.
func (v *vpp) srcPathAdd(e *fibEntry, src Source, ps []path) {
	s := e.source(src)
	if s == nil {
		s = e.addSource(src)
		s.refs = 1
	}
	orig := s.paths
	next := slices.Clone(orig) // same order as orig until the appends
	var added []path
	for _, p := range ps {
		i := slices.IndexFunc(orig, func(o path) bool { return comparePaths(&o, &p) == 0 })
		if i < 0 {
			next = append(next, p)
			added = append(added, p)
			continue
		}
		if len(p.labels) > 0 {
			if next[i].weight == p.weight {
				next[i].labels = p.labels
			} else {
				next[i].labels = nil
			}
		}
	}
	sortPaths(next)
	s.paths, s.inherit = next, false
	v.lockPaths(added)
}

// srcPathRemove is fib_entry_path_remove: each of ps removes the first of
// src's paths that is the same path. It reports whether src is gone (no
// paths remain), after which the caller releases the entry.
func (v *vpp) srcPathRemove(e *fibEntry, src Source, ps []path) bool {
	s := e.source(src)
	if s == nil || s.inherit {
		return false
	}
	next := slices.Clone(s.paths)
	var removed []path
	for _, p := range ps {
		i := slices.IndexFunc(next, func(o path) bool { return comparePaths(&o, &p) == 0 })
		if i >= 0 {
			removed = append(removed, next[i])
			next = slices.Delete(next, i, i+1)
		}
	}
	s.paths = next
	v.unlockPaths(removed)
	if len(next) > 0 {
		return false
	}
	e.removeSource(src)
	return true
}

// srcDelete is fib_entry_delete: src stops contributing to the entry,
// whatever its paths. It reports whether src was there.
func (v *vpp) srcDelete(e *fibEntry, src Source) bool {
	s := e.source(src)
	if s == nil {
		return false
	}
	e.removeSource(src)
	if !s.inherit {
		v.unlockPaths(s.paths)
	}
	return true
}

// srcSpecialAdd is one counted special add by a source that is not the
// API (a table's own entries, recursive resolution): the first add sets
// the source up with paths ps (none: inherit the cover's forwarding).
func srcSpecialAdd(e *fibEntry, src Source, ps ...path) {
	s := e.source(src)
	if s == nil {
		s = e.addSource(src)
		s.paths, s.inherit = ps, len(ps) == 0
	}
	s.refs++
}

// srcSpecialRemove undoes one counted add; it reports whether src is gone.
func srcSpecialRemove(e *fibEntry, src Source) bool {
	s := e.source(src)
	if s == nil {
		return false
	}
	if s.refs--; s.refs > 0 {
		return false
	}
	e.removeSource(src)
	return true
}

// specialAdd is fib_table_entry_special_add with a fixed path.
func (v *vpp) specialAdd(t *fibTable, pfx netip.Prefix, src Source, p path) {
	srcSpecialAdd(v.entry(t, pfx), src, p)
}

// rrAdd is the special add a recursive path makes for its next hop: a
// host entry under the recursive-resolution source, forwarding like its
// cover until something better sources the prefix.
func (v *vpp) rrAdd(t *fibTable, host netip.Prefix) {
	srcSpecialAdd(v.entry(t, host), SourceRR)
}

// specialRemove undoes one counted add of src.
func (v *vpp) specialRemove(t *fibTable, pfx netip.Prefix, src Source) {
	if e := t.lookup(pfx); e != nil && srcSpecialRemove(e, src) {
		v.release(t, e)
	}
}

// lockPaths takes what the paths in ps hold while they exist: the host
// entry of every IP recursive path, the via-label entry of every MPLS
// recursive path and a lock on every MPLS table a path looks up in.
func (v *vpp) lockPaths(ps []path) {
	for i := range ps {
		p := &ps[i]
		if host, t, ok := p.recursiveHost(); ok && v.live(t) {
			v.rrAdd(t, host)
		}
		if t := p.nhMPLS; t != nil && v.liveMPLS(t) {
			t.locks++
			if p.kind == kindRecursive {
				v.mplsRRAdd(t, p.viaLabel)
			}
		}
	}
}

// unlockPaths releases what lockPaths took.
func (v *vpp) unlockPaths(ps []path) {
	for i := range ps {
		p := &ps[i]
		if host, t, ok := p.recursiveHost(); ok && v.live(t) {
			v.specialRemove(t, host, SourceRR)
		}
		if t := p.nhMPLS; t != nil && v.liveMPLS(t) {
			if p.kind == kindRecursive {
				v.mplsRRRemove(t, p.viaLabel)
			}
			v.mplsUnlock(t)
		}
	}
}

// live reports whether t is still a table of this VPP (not deleted since a
// path named it).
func (v *vpp) live(t *fibTable) bool {
	return v.table(t.ip6, t.id) == t
}
