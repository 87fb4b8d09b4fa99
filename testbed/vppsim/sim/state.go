package sim

import (
	"time"
)

// vpp is everything a VPP process holds in memory. The Server's mutex
// guards it; Restart replaces it whole (new pid, new boot time, empty
// registrations, only the start-up tables and interfaces).
type vpp struct {
	pid     uint32
	booted  time.Time
	version versionInfo

	clients indexPool         // registration pool; index 0 is the listener
	regs    map[uint32]*conn  // live registrations by pool index
	ifaces  []*iface          // by sw_if_index; nil marks a free slot
	ifNames map[string]uint32 // interface name -> sw_if_index
	ifFree  []uint32          // freed sw_if_indexes, most recent last

	// ifEvents are the registrations that want interface events, with
	// the pid they gave.
	ifEvents map[uint32]uint32
	adjs     indexPool // neighbour adjacency (stats) index allocator

	lcp linuxCP

	fibs  [2]fibFamily // [0] IPv4, [1] IPv6
	mpls  mplsFamily
	stats indexPool // stats_index (load-balance index) allocator

	// log records the changes clients make; nil while booting. It is the
	// Server's and outlives a restart.
	log *changeLog
}

// versionInfo is what show_version reports.
type versionInfo struct {
	program, version, buildDate, buildDirectory string
}

// fibFamily holds one address family's tables: a pool whose order is the
// order ip_table_dump walks, and an index by table id.
type fibFamily struct {
	pool []*fibTable // by fib_index; nil marks a free slot
	free indexPool
	byID map[uint32]*fibTable
}

// indexPool hands out small integers like a VPP pool: freed indexes are
// reused, the most recently freed first.
type indexPool struct {
	next uint32
	free []uint32
}

func (p *indexPool) get() uint32 {
	if n := len(p.free); n > 0 {
		i := p.free[n-1]
		p.free = p.free[:n-1]
		return i
	}
	i := p.next
	p.next++
	return i
}

func (p *indexPool) put(i uint32) { p.free = append(p.free, i) }

// newVPP returns the state of a freshly started VPP: local0 and table 0
// of both families.
func newVPP(pid uint32, ver versionInfo, now time.Time) *vpp {
	v := &vpp{
		pid:     pid,
		booted:  now,
		version: ver,
		regs:    make(map[uint32]*conn),
		ifNames: make(map[string]uint32),

		ifEvents: make(map[uint32]uint32),
		lcp:      linuxCP{byPhy: make(map[uint32]*lcpPair)},
	}
	v.clients.get() // pool index 0: the listening socket's registration
	v.stats.next = 1
	v.addLocal0()
	v.createTable(false, 0, "")
	v.createTable(true, 0, "")
	return v
}

// family returns the tables of one address family.
func (v *vpp) family(ip6 bool) *fibFamily {
	if ip6 {
		return &v.fibs[1]
	}
	return &v.fibs[0]
}

// table returns the table (ip6, id), or nil if VPP has none.
func (v *vpp) table(ip6 bool, id uint32) *fibTable {
	return v.family(ip6).byID[id]
}

// createTable is ip_table_create: it makes the table and its special
// entries if it does not exist yet, and names it on first creation.
func (v *vpp) createTable(ip6 bool, id uint32, name string) *fibTable {
	f := v.family(ip6)
	if t := f.byID[id]; t != nil {
		return t
	}
	if f.byID == nil {
		f.byID = make(map[uint32]*fibTable)
	}
	t := &fibTable{
		index:   f.free.get(),
		id:      id,
		ip6:     ip6,
		name:    tableName(ip6, id, name),
		entries: make(map[prefixKey]*fibEntry),
	}
	if int(t.index) == len(f.pool) {
		f.pool = append(f.pool, t)
	} else {
		f.pool[t.index] = t
	}
	f.byID[id] = t

	specials := ip4Specials
	if ip6 {
		specials = ip6Specials
	}
	for _, s := range specials {
		v.specialAdd(t, s.prefix, s.src, specialPath(ip6, s.kind))
	}
	v.log.table(ChangeTableAdd, familyOf(ip6), id)
	return t
}

// familyOf returns the change-log family of an IP table.
func familyOf(ip6 bool) family {
	if ip6 {
		return familyIP6
	}
	return familyIP4
}

// deleteTable is ip_table_delete followed by the table's destruction:
// table 0 is never deleted; a missing table is not an error. Every entry
// goes with the table, releasing what its paths held in other tables.
func (v *vpp) deleteTable(ip6 bool, id uint32) {
	if id == 0 {
		return
	}
	f := v.family(ip6)
	t := f.byID[id]
	if t == nil {
		return
	}
	// Unlink the table first, so releasing its paths' recursive-resolution
	// entries only touches other tables.
	delete(f.byID, id)
	f.pool[t.index] = nil
	f.free.put(t.index)
	v.log.table(ChangeTableDelete, familyOf(ip6), id)
	var held [][]path
	for _, e := range t.entries {
		v.stats.put(e.stats)
		for _, s := range e.srcs {
			if !s.inherit {
				held = append(held, s.paths)
			}
		}
	}
	for _, ps := range held {
		v.unlockPaths(ps)
	}
}

// register adds a client registration and returns its pool index.
func (v *vpp) register(c *conn) uint32 {
	i := v.clients.get()
	v.regs[i] = c
	return i
}

// unregister frees a registration; freeing twice is harmless.
func (v *vpp) unregister(i uint32, c *conn) {
	if v.regs[i] == c {
		delete(v.regs, i)
		delete(v.ifEvents, i)
		v.clients.put(i)
	}
}
