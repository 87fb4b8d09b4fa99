package sim

import (
	"net/netip"
	"slices"
)

// The route operations below are VPP's fib_table_entry_* functions as the
// API reaches them. They keep three invariants: an entry exists while it
// has a source; every recursive path holds its next hop's host entry in
// the next-hop table under the recursive-resolution source; every entry
// owns one stats index.

// entry returns the entry for pfx, creating it (with pfx as given, host
// bits included) if needed.
func (v *vpp) entry(t *fibTable, pfx netip.Prefix) *fibEntry {
	key := keyOf(pfx)
	if e := t.entries[key]; e != nil {
		return e
	}
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

// routeUpdate is fib_table_entry_update: src's paths become exactly ps.
func (v *vpp) routeUpdate(t *fibTable, pfx netip.Prefix, src Source, ps []path) *fibEntry {
	sortPaths(ps)
	e := v.entry(t, pfx)
	s := e.source(src)
	if s == nil {
		s = e.addSource(src)
		s.refs = 1
	}
	old := s.paths
	s.paths, s.inherit = ps, false
	v.lockPaths(ps)
	v.unlockPaths(old)
	return e
}

// routePathAdd is fib_table_entry_path_add2: ps join src's paths; a path
// src already has (same type, protocol and next hop, whatever its weight)
// is not added twice.
func (v *vpp) routePathAdd(t *fibTable, pfx netip.Prefix, src Source, ps []path) *fibEntry {
	e := v.entry(t, pfx)
	s := e.source(src)
	if s == nil {
		s = e.addSource(src)
		s.refs = 1
	}
	orig := s.paths
	next := slices.Clone(orig)
	var added []path
	for _, p := range ps {
		if slices.ContainsFunc(orig, func(o path) bool { return comparePaths(&o, &p) == 0 }) {
			continue
		}
		next = append(next, p)
		added = append(added, p)
	}
	sortPaths(next)
	s.paths, s.inherit = next, false
	v.lockPaths(added)
	return e
}

// routePathRemove is fib_table_entry_path_remove2: each of ps removes the
// first of src's paths that is the same path; when none remain the source
// goes, and with the last source the entry.
func (v *vpp) routePathRemove(t *fibTable, pfx netip.Prefix, src Source, ps []path) {
	e := t.lookup(pfx)
	if e == nil {
		return
	}
	s := e.source(src)
	if s == nil || s.inherit {
		return
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
	if len(next) == 0 {
		e.removeSource(src)
		v.release(t, e)
	}
}

// sourceDelete is fib_table_entry_delete: src stops contributing to the
// entry, whatever its paths. Deleting what is not there does nothing.
func (v *vpp) sourceDelete(t *fibTable, pfx netip.Prefix, src Source) {
	e := t.lookup(pfx)
	if e == nil {
		return
	}
	s := e.source(src)
	if s == nil {
		return
	}
	e.removeSource(src)
	if !s.inherit {
		v.unlockPaths(s.paths)
	}
	v.release(t, e)
}

// specialAdd is fib_table_entry_special_add with a fixed path: a counted
// add by a source that is not the API (the table's own entries).
func (v *vpp) specialAdd(t *fibTable, pfx netip.Prefix, src Source, p path) {
	e := v.entry(t, pfx)
	s := e.source(src)
	if s == nil {
		s = e.addSource(src)
		s.paths = []path{p}
	}
	s.refs++
}

// rrAdd is the special add a recursive path makes for its next hop: a
// host entry under the recursive-resolution source, forwarding like its
// cover until something better sources the prefix.
func (v *vpp) rrAdd(t *fibTable, host netip.Prefix) {
	e := v.entry(t, host)
	s := e.source(SourceRR)
	if s == nil {
		s = e.addSource(SourceRR)
		s.inherit = true
	}
	s.refs++
}

// specialRemove undoes one counted add of src.
func (v *vpp) specialRemove(t *fibTable, pfx netip.Prefix, src Source) {
	e := t.lookup(pfx)
	if e == nil {
		return
	}
	s := e.source(src)
	if s == nil {
		return
	}
	if s.refs--; s.refs > 0 {
		return
	}
	e.removeSource(src)
	v.release(t, e)
}

// lockPaths makes every recursive path in ps hold its next hop's host
// entry.
func (v *vpp) lockPaths(ps []path) {
	for i := range ps {
		if host, t, ok := ps[i].recursiveHost(); ok && v.live(t) {
			v.rrAdd(t, host)
		}
	}
}

// unlockPaths releases what lockPaths took.
func (v *vpp) unlockPaths(ps []path) {
	for i := range ps {
		if host, t, ok := ps[i].recursiveHost(); ok && v.live(t) {
			v.specialRemove(t, host, SourceRR)
		}
	}
}

// live reports whether t is still a table of this VPP (not deleted since a
// path named it).
func (v *vpp) live(t *fibTable) bool {
	return v.table(t.ip6, t.id) == t
}
