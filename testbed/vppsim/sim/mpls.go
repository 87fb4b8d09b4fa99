package sim

import (
	"cmp"
	"fmt"
	"slices"

	"go.fd.io/govpp/binapi/fib_types"
)

// MPLS FIBs, modelled on src/vnet/fib/mpls_fib.c and src/vnet/mpls. Unlike
// IP, VPP starts without any MPLS table: table 0 too must be added (`mpls
// table add 0`, mpls_table_add_del) before MPLS routes go in or an
// interface is MPLS-enabled.

// maxLabel is the largest MPLS label: labels are 20 bits.
const maxLabel = 1<<20 - 1

// The reserved labels every MPLS table starts with entries for.
const (
	labelIPv4ExplicitNull = 0
	labelRouterAlert      = 1
	labelIPv6ExplicitNull = 2
)

// DPO protocols (dpo_proto_t): an MPLS entry's payload protocol, what
// mpls_route's mr_eos_proto carries.
const (
	dpoProtoIP4  = 0
	dpoProtoIP6  = 1
	dpoProtoMPLS = 2
)

// mplsTable is one MPLS FIB (fib_table_t with its mpls_fib_t).
type mplsTable struct {
	index   uint32 // fib_index: position in the pool
	id      uint32
	name    string
	entries map[mplsKey]*mplsEntry
	// apiLock is the API's single lock (mpls_table_add_del adds it however
	// often it is sent; one delete clears it). locks counts the others:
	// MPLS-enabled interfaces hold table 0, paths hold the table they look
	// up in. VPP destroys the table when no lock remains.
	apiLock bool
	locks   int
}

// mplsKey is what an MPLS FIB is keyed by: label and end-of-stack bit.
type mplsKey struct {
	label uint32
	eos   bool
}

// mplsEntry is a fib_entry_t with an MPLS prefix. The embedded fibEntry
// holds the sources, paths and stats index; its prefix is unused.
type mplsEntry struct {
	fibEntry
	key mplsKey
	// payload is the prefix's payload protocol: mr_eos_proto as first
	// given for an end-of-stack entry, MPLS otherwise.
	payload uint8
}

// mplsFamily holds the MPLS tables: a pool whose order mpls_table_dump
// walks, and an index by table id.
type mplsFamily struct {
	pool []*mplsTable // by fib_index; nil marks a free slot
	free indexPool
	byID map[uint32]*mplsTable
}

// mplsSpecials are the entries mpls_fib_create_with_table_id adds: the
// router alert label is punted, the explicit nulls are looked up in the
// receiving interface's table. All are exclusive paths of protocol MPLS.
var mplsSpecials = []struct {
	key     mplsKey
	payload uint8
}{
	{mplsKey{labelRouterAlert, false}, dpoProtoMPLS},
	{mplsKey{labelRouterAlert, true}, dpoProtoMPLS},
	{mplsKey{labelIPv4ExplicitNull, true}, dpoProtoIP4},
	{mplsKey{labelIPv4ExplicitNull, false}, dpoProtoMPLS},
	{mplsKey{labelIPv6ExplicitNull, true}, dpoProtoIP6},
	{mplsKey{labelIPv6ExplicitNull, false}, dpoProtoMPLS},
}

// mplsPath is a path of protocol MPLS with no next hop: the exclusive
// path of the special entries, or the drop of a recursive-resolution one.
func mplsPath(kind pathKind) path {
	return path{kind: kind, special: specialDrop, proto: fib_types.FIB_API_PATH_NH_PROTO_MPLS,
		weight: 1, swIfIndex: noIndex, tableID: noIndex, rpfID: noIndex}
}

// mplsTable returns the MPLS table with that id, or nil.
func (v *vpp) mplsTable(id uint32) *mplsTable { return v.mpls.byID[id] }

// mplsByIndex returns the MPLS table at a fib index, or nil.
func (v *vpp) mplsByIndex(i uint32) *mplsTable {
	if uint64(i) < uint64(len(v.mpls.pool)) {
		return v.mpls.pool[i]
	}
	return nil
}

// liveMPLS reports whether t is still a table of this VPP.
func (v *vpp) liveMPLS(t *mplsTable) bool { return v.mpls.byID[t.id] == t }

// mplsTableAdd is mpls_table_create: find or create the table and set the
// API's lock. A new table is named as the API says, else "MPLS-VRF:<id>";
// an existing one keeps its name.
func (v *vpp) mplsTableAdd(id uint32, name string) {
	if t := v.mpls.byID[id]; t != nil {
		t.apiLock = true
		return
	}
	f := &v.mpls
	if f.byID == nil {
		f.byID = make(map[uint32]*mplsTable)
	}
	if name == "" {
		name = fmt.Sprintf("MPLS-VRF:%d", id)
	}
	t := &mplsTable{index: f.free.get(), id: id, name: name, entries: make(map[mplsKey]*mplsEntry), apiLock: true}
	if int(t.index) == len(f.pool) {
		f.pool = append(f.pool, t)
	} else {
		f.pool[t.index] = t
	}
	f.byID[id] = t
	for _, s := range mplsSpecials {
		srcSpecialAdd(&v.mplsEntry(t, s.key, s.payload).fibEntry, SourceSpecial, mplsPath(kindExclusive))
	}
	v.log.table(ChangeTableAdd, familyMPLS, id)
}

// mplsTableDelete is mpls_table_delete: clear the API's lock; the table
// goes when nothing else holds it. A missing table is not an error.
func (v *vpp) mplsTableDelete(id uint32) {
	t := v.mpls.byID[id]
	if t == nil || !t.apiLock {
		return
	}
	t.apiLock = false
	v.mplsDestroyIfUnlocked(t)
}

// mplsUnlock releases one non-API lock.
func (v *vpp) mplsUnlock(t *mplsTable) {
	t.locks--
	v.mplsDestroyIfUnlocked(t)
}

// mplsDestroyIfUnlocked is fib_table_unlock's last step. VPP's
// mpls_fib_table_destroy removes only the special entries and leaves any
// others dangling; vppsim takes every entry with the table, as it does
// for IP, releasing what their paths held.
func (v *vpp) mplsDestroyIfUnlocked(t *mplsTable) {
	if t.apiLock || t.locks > 0 || !v.liveMPLS(t) {
		return
	}
	f := &v.mpls
	delete(f.byID, t.id)
	f.pool[t.index] = nil
	f.free.put(t.index)
	var held [][]path
	for _, e := range t.entries {
		v.stats.put(e.stats)
		for _, s := range e.srcs {
			held = append(held, s.paths)
		}
	}
	// An operation on the table may be under way (its last lock went with
	// a route's path): leave it nothing to release twice.
	t.entries = nil
	v.log.table(ChangeTableDelete, familyMPLS, t.id)
	for _, ps := range held {
		v.unlockPaths(ps)
	}
}

// mplsEntry returns the entry for k, creating it with payload protocol
// payload if needed.
func (v *vpp) mplsEntry(t *mplsTable, k mplsKey, payload uint8) *mplsEntry {
	if e := t.entries[k]; e != nil {
		return e
	}
	e := &mplsEntry{key: k, payload: payload}
	e.stats = v.stats.get()
	t.entries[k] = e
	return e
}

// mplsRelease deletes an entry no source holds any more.
func (v *vpp) mplsRelease(t *mplsTable, e *mplsEntry) {
	if len(e.srcs) == 0 && t.entries[e.key] == e {
		delete(t.entries, e.key)
		v.stats.put(e.stats)
	}
}

// mplsRRAdd is the special add an MPLS recursive path makes for its via
// label (end of stack clear): MPLS entries have no cover, so VPP gives the
// recursive-resolution source a drop.
func (v *vpp) mplsRRAdd(t *mplsTable, label uint32) {
	e := v.mplsEntry(t, mplsKey{label: label}, dpoProtoMPLS)
	srcSpecialAdd(&e.fibEntry, SourceRR, mplsPath(kindSpecial))
}

// mplsRRRemove undoes mplsRRAdd.
func (v *vpp) mplsRRRemove(t *mplsTable, label uint32) {
	if e := t.entries[mplsKey{label: label}]; e != nil && srcSpecialRemove(&e.fibEntry, SourceRR) {
		v.mplsRelease(t, e)
	}
}

// sortedEntries returns the table's entries by label, then end of stack:
// the order of fib_entry_cmp_for_sort, which mpls_route_dump sorts by.
func (t *mplsTable) sortedEntries() []*mplsEntry {
	out := make([]*mplsEntry, 0, len(t.entries))
	for _, e := range t.entries {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b *mplsEntry) int {
		if c := cmp.Compare(a.key.label, b.key.label); c != 0 {
			return c
		}
		return cmp.Compare(b2i(a.key.eos), b2i(b.key.eos))
	})
	return out
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// mplsEnable is mpls_sw_interface_enable_disable. VPP counts enables per
// interface in a u8 and acts on the 0<->1 transitions only: the first
// enable locks MPLS table 0, the matching disable unlocks it. A disable of
// an interface that is not enabled wraps the count to 255 in a release
// build (the ASSERT against it is compiled out), so the interface then
// reads as enabled; vppsim counts the same way.
func (v *vpp) mplsEnable(ifc *iface, enable bool) {
	before := ifc.mplsCount != 0
	var unlock *mplsTable
	if enable {
		if ifc.mplsCount++; ifc.mplsCount == 1 {
			ifc.mplsTable = v.mpls.byID[0]
			ifc.mplsTable.locks++
		}
	} else {
		if ifc.mplsCount--; ifc.mplsCount == 0 {
			unlock, ifc.mplsTable = ifc.mplsTable, nil
		}
	}
	if after := ifc.mplsCount != 0; after != before {
		kind := ChangeMPLSDisable
		if after {
			kind = ChangeMPLSEnable
		}
		v.log.iface(kind, ifc.swIfIndex)
	}
	if unlock != nil {
		v.mplsUnlock(unlock) // may destroy the table: logged after the disable
	}
}
