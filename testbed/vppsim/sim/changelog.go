package sim

import (
	"net/netip"
	"strconv"
	"time"
)

// The change log records, in order, every change the sim applies to VPP's
// state on a client's request, so tests can assert on what a client did
// and did not do. A request that changes nothing (the same route added
// again, a delete of what is not there) is not a change and is not logged;
// requests are counted separately, no-ops and failures included.
//
// The log is test equipment, not VPP state: it survives Restart (which is
// logged) and is guarded by the Server's mutex. It keeps at most its limit
// of changes, dropping the oldest beyond that and counting them.

// ChangeKind says what a change did.
type ChangeKind uint8

const (
	// ChangeAdd: the source had no paths for the route; now it has.
	ChangeAdd ChangeKind = iota + 1
	// ChangeReplace: an add without is_multipath changed the route's paths.
	ChangeReplace
	// ChangeAppend: a multipath add added paths (or changed their labels).
	ChangeAppend
	// ChangeRemovePath: a multipath delete removed paths; some remain.
	ChangeRemovePath
	// ChangeDelete: the source's route is gone, by a delete or by a
	// multipath delete of its last path.
	ChangeDelete
	// ChangeTableAdd and ChangeTableDelete: a table was created or
	// destroyed (adding an existing table is no change).
	ChangeTableAdd
	ChangeTableDelete
	// ChangeMPLSEnable and ChangeMPLSDisable: an interface became MPLS
	// enabled or disabled.
	ChangeMPLSEnable
	ChangeMPLSDisable
	// ChangeRestart: Restart replaced the whole state.
	ChangeRestart
	// ChangeAdminUp and ChangeAdminDown: an interface's admin state
	// changed (its link follows in the sim).
	ChangeAdminUp
	ChangeAdminDown
	// ChangeMTU: an interface's MTUs changed; Detail lists them as
	// "link L3/IP4/IP6/MPLS".
	ChangeMTU
	// ChangeIfAdd and ChangeIfDelete: an interface was created (a
	// sub-interface, a linux-cp tap) or deleted; Detail is its name.
	ChangeIfAdd
	ChangeIfDelete
	// ChangeAddrAdd and ChangeAddrDelete: an interface address was added
	// or removed; Prefix is the address.
	ChangeAddrAdd
	ChangeAddrDelete
	// ChangeNeighborAdd, ChangeNeighborUpdate and ChangeNeighborDelete: a
	// neighbour was created, changed (MAC or flags) or removed; Prefix is
	// its address as a host prefix, Detail its MAC and flags.
	ChangeNeighborAdd
	ChangeNeighborUpdate
	ChangeNeighborDelete
	// ChangePairAdd and ChangePairDelete: a linux-cp pair was created or
	// removed; SwIfIndex is the phy, Detail "host <sw_if_index> <name>
	// netns <ns>".
	ChangePairAdd
	ChangePairDelete
	// ChangeDefaultNS: lcp_default_ns_set changed the default netns;
	// Detail is the new one.
	ChangeDefaultNS
)

var changeKindNames = [...]string{
	ChangeAdd:         "add",
	ChangeReplace:     "replace",
	ChangeAppend:      "append",
	ChangeRemovePath:  "remove-path",
	ChangeDelete:      "delete",
	ChangeTableAdd:    "table-add",
	ChangeTableDelete: "table-delete",
	ChangeMPLSEnable:  "mpls-enable",
	ChangeMPLSDisable: "mpls-disable",
	ChangeRestart:     "restart",
	ChangeAdminUp:     "admin-up",
	ChangeAdminDown:   "admin-down",
	ChangeMTU:         "mtu",
	ChangeIfAdd:       "if-add",
	ChangeIfDelete:    "if-delete",
	ChangeAddrAdd:     "addr-add",
	ChangeAddrDelete:  "addr-delete",

	ChangeNeighborAdd:    "neighbor-add",
	ChangeNeighborUpdate: "neighbor-update",
	ChangeNeighborDelete: "neighbor-delete",
	ChangePairAdd:        "pair-add",
	ChangePairDelete:     "pair-delete",
	ChangeDefaultNS:      "default-ns",
}

// String returns the kind's name ("add", "remove-path", ...).
func (k ChangeKind) String() string {
	if int(k) < len(changeKindNames) && changeKindNames[k] != "" {
		return changeKindNames[k]
	}
	return "change-" + strconv.Itoa(int(k))
}

// Change is one logged change.
type Change struct {
	Seq    uint64    // 1 for the first change; never reused, not even by ResetLog
	Time   time.Time // when it was applied
	Client uint32    // client_index of the request (0 for a restart)
	Msg    string    // the request's message name, e.g. "ip_route_add_del" ("" for a restart)
	Kind   ChangeKind

	// Route and table changes: the table, and whether it is an IPv6 or
	// an MPLS table (neither: IPv4).
	Table uint32
	IP6   bool
	MPLS  bool

	// IP route changes: the prefix as the request gave it (host bits
	// kept) and masked, and the FIB source (API unless
	// ip_route_add_del_v2 named another).
	Prefix netip.Prefix
	Masked netip.Prefix
	Source Source

	// MPLS route changes: the local label and end-of-stack bit.
	Label uint32
	EOS   bool

	// Interface, address, neighbour and pair changes: the interface.
	// Address and neighbour changes also set Prefix (and IP6).
	SwIfIndex uint32

	// Detail says more about interface, neighbour, pair and namespace
	// changes (see the kinds).
	Detail string

	// Route changes: the source's paths after the change in canonical
	// form (see pathstring.go); "" when none remain.
	Paths string
}

// IsRoute reports whether c changed an IP or MPLS route.
func (c Change) IsRoute() bool { return c.Kind >= ChangeAdd && c.Kind <= ChangeDelete }

// IsInterface reports whether c changed an interface, its addresses,
// neighbours or linux-cp pair.
func (c Change) IsInterface() bool { return isIfaceKind(c.Kind) }

func isIfaceKind(k ChangeKind) bool {
	return k == ChangeMPLSEnable || k == ChangeMPLSDisable || (k >= ChangeAdminUp && k <= ChangePairDelete)
}

// String renders the change on one line, for test failures.
func (c Change) String() string {
	b := strconv.AppendUint(append([]byte(nil), '#'), c.Seq, 10)
	b = append(b, ' ')
	b = append(b, c.Kind.String()...)
	if c.Msg != "" {
		b = append(b, " by "...)
		b = append(b, c.Msg...)
	}
	switch {
	case c.IsInterface():
		b = strconv.AppendUint(append(b, " sw_if_index "...), uint64(c.SwIfIndex), 10)
		if c.Prefix.IsValid() {
			b = append(b, ' ')
			b = c.Prefix.AppendTo(b)
		}
		if c.Detail != "" {
			b = append(append(b, ' '), c.Detail...)
		}
	case c.Kind == ChangeDefaultNS:
		b = append(append(b, " netns "...), strconv.Quote(c.Detail)...)
	case c.Kind == ChangeRestart:
	default:
		fam := " ip4"
		if c.IP6 {
			fam = " ip6"
		} else if c.MPLS {
			fam = " mpls"
		}
		b = strconv.AppendUint(append(append(b, fam...), " table "...), uint64(c.Table), 10)
	}
	if c.IsRoute() && c.MPLS {
		b = strconv.AppendUint(append(b, " label "...), uint64(c.Label), 10)
		if c.EOS {
			b = append(b, " eos"...)
		} else {
			b = append(b, " neos"...)
		}
	} else if c.IsRoute() {
		b = append(b, ' ')
		b = c.Prefix.AppendTo(b)
	}
	if c.IsRoute() {
		b = append(b, " ["...)
		b = append(b, c.Paths...)
		b = append(b, ']')
	}
	return string(b)
}

// DefaultChangeLogCap is how many changes the log keeps by default:
// enough for a full Internet table of both families (about 1.3 million
// routes) with room to spare, at 48 bytes a change plus one copy of each
// distinct path list.
const DefaultChangeLogCap = 2 << 20

// family is a table's address family in a change record.
type family uint8

const (
	familyIP4 family = iota
	familyIP6
	familyMPLS
)

// changeRec is a Change as the log keeps it: compact and free of
// pointers, so a log of millions costs the garbage collector nothing; the
// sequence number is implied by its position.
type changeRec struct {
	at     int64    // unix nanoseconds
	addr   [16]byte // IP prefix address (IPv4 in the last 4 bytes)
	client uint32
	table  uint32
	label  uint32 // MPLS label, or sw_if_index for interface changes
	paths  uint32 // index in changeLog.texts: paths, or an interface change's detail
	msg    uint16 // request message id
	bits   uint8  // IP prefix length
	kind   ChangeKind
	src    Source
	fam    family
	eos    bool
}

// origin is the request being served: what the changes it causes are
// attributed to.
type origin struct {
	client uint32
	msg    uint16
}

// chunkLen is how many records one allocation of the log holds (the last
// one may hold fewer, up to the limit); the log grows a chunk at a time
// and never copies what it holds.
const chunkLen = 1 << 14

// changeLog is a ring of change records plus per-message request counts.
type changeLog struct {
	msgs    *msgTable // message ids to names
	limit   int
	chunks  [][]changeRec
	n       int    // records kept: grows to limit
	start   int    // ring position of the oldest record
	first   uint64 // seq of the oldest record kept
	next    uint64 // seq the next change gets
	dropped uint64
	cur     origin
	counts  []uint64 // requests by message id

	// Path lists are stored once each, as text: a table of a million
	// routes through a handful of next hops stores a handful of strings.
	// texts[0] is "" (no paths).
	texts  []string
	textID map[string]uint32
	buf    []byte
	// last is the path list formatted last and lastID its text: routes
	// fed in order mostly share their next hops.
	last   []path
	lastID uint32
}

func newChangeLog(table *msgTable, limit int) *changeLog {
	l := &changeLog{
		msgs:   table,
		limit:  max(limit, 0),
		next:   1,
		counts: make([]uint64, len(table.byID)),
	}
	l.reset()
	return l
}

// request notes that a request is being served: it is counted and the
// changes it causes are attributed to it.
func (l *changeLog) request(r *request) {
	if l == nil {
		return
	}
	if int(r.id) < len(l.counts) {
		l.counts[r.id]++
	}
	l.cur = origin{client: r.clientIndex, msg: r.id}
}

// rec returns the record at ring position pos.
func (l *changeLog) rec(pos int) *changeRec {
	return &l.chunks[pos/chunkLen][pos%chunkLen]
}

// add appends a record, filling in the time and origin.
func (l *changeLog) add(rec changeRec) {
	rec.at = time.Now().UnixNano()
	rec.client, rec.msg = l.cur.client, l.cur.msg
	l.next++
	switch {
	case l.limit == 0:
		l.first = l.next
		l.dropped++
		return
	case l.n < l.limit:
		if l.n == len(l.chunks)*chunkLen {
			l.chunks = append(l.chunks, make([]changeRec, min(chunkLen, l.limit-l.n)))
		}
		*l.rec(l.n) = rec
		l.n++
	default:
		*l.rec(l.start) = rec
		l.start = (l.start + 1) % l.limit
		l.first++
		l.dropped++
	}
}

// route logs an IP route change.
func (l *changeLog) route(kind ChangeKind, src Source, t *fibTable, pfx netip.Prefix, ps []path) {
	if l == nil {
		return
	}
	rec := changeRec{kind: kind, src: src, table: t.id, bits: uint8(pfx.Bits()), paths: l.pathsText(ps)}
	rec.addr = pfx.Addr().As16()
	if t.ip6 {
		rec.fam = familyIP6
	}
	l.add(rec)
}

// mplsRoute logs an MPLS route change.
func (l *changeLog) mplsRoute(kind ChangeKind, src Source, t *mplsTable, k mplsKey, ps []path) {
	if l == nil {
		return
	}
	l.add(changeRec{kind: kind, src: src, fam: familyMPLS, table: t.id, label: k.label, eos: k.eos, paths: l.pathsText(ps)})
}

// table logs a table's creation or destruction.
func (l *changeLog) table(kind ChangeKind, fam family, id uint32) {
	if l == nil {
		return
	}
	l.add(changeRec{kind: kind, fam: fam, table: id})
}

// iface logs an interface change.
func (l *changeLog) iface(kind ChangeKind, swIfIndex uint32) {
	if l == nil {
		return
	}
	l.add(changeRec{kind: kind, fam: familyMPLS, label: swIfIndex, bits: noPrefix})
}

// ifaceDetail logs an interface change with a detail and, if pfx is
// valid, an address.
func (l *changeLog) ifaceDetail(kind ChangeKind, swIfIndex uint32, pfx netip.Prefix, detail string) {
	if l == nil {
		return
	}
	rec := changeRec{kind: kind, label: swIfIndex, paths: l.text(detail)}
	if pfx.IsValid() {
		rec.addr, rec.bits = pfx.Addr().As16(), uint8(pfx.Bits())
		if pfx.Addr().Is6() {
			rec.fam = familyIP6
		}
	} else {
		rec.bits = noPrefix
	}
	l.add(rec)
}

// noPrefix in changeRec.bits marks an interface change without an
// address.
const noPrefix = 0xff

// defaultNS logs a change of linux-cp's default namespace.
func (l *changeLog) defaultNS(ns string) {
	if l == nil {
		return
	}
	l.add(changeRec{kind: ChangeDefaultNS, paths: l.text(ns)})
}

// text returns the index of s in l.texts, adding it if it is new.
func (l *changeLog) text(s string) uint32 {
	if s == "" {
		return 0
	}
	id, ok := l.textID[s]
	if !ok {
		id = uint32(len(l.texts))
		l.texts = append(l.texts, s)
		l.textID[s] = id
	}
	return id
}

// restart logs a restart, which no request caused.
func (l *changeLog) restart() {
	l.cur = origin{}
	l.add(changeRec{kind: ChangeRestart})
}

// pathsText returns the index of the canonical form of ps in l.texts,
// adding it if it is new.
func (l *changeLog) pathsText(ps []path) uint32 {
	if len(ps) == 0 {
		return 0
	}
	if l.last != nil && equalPaths(ps, l.last) {
		return l.lastID
	}
	l.buf = appendPaths(l.buf[:0], ps)
	id, ok := l.textID[string(l.buf)]
	if !ok {
		id = uint32(len(l.texts))
		s := string(l.buf)
		l.texts = append(l.texts, s)
		l.textID[s] = id
	}
	// Path lists are never changed in place, only replaced, so keeping a
	// reference is safe.
	l.last, l.lastID = ps, id
	return id
}

// len returns how many records are kept.
func (l *changeLog) len() int { return l.n }

// nth returns the i-th oldest record kept.
func (l *changeLog) nth(i int) *changeRec {
	return l.rec((l.start + i) % l.limit)
}

// at returns the i-th oldest record kept as a Change.
func (l *changeLog) at(i int) Change {
	r := l.nth(i)
	c := Change{
		Seq:    l.first + uint64(i),
		Time:   time.Unix(0, r.at),
		Client: r.client,
		Kind:   r.kind,
		Table:  r.table,
		IP6:    r.fam == familyIP6,
		MPLS:   r.fam == familyMPLS,
		Paths:  l.texts[r.paths],
	}
	if r.kind != ChangeRestart {
		if h := l.msgs.handler(r.msg); h != nil {
			c.Msg = h.req.GetMessageName()
		}
	}
	switch {
	case r.kind == ChangeMPLSEnable || r.kind == ChangeMPLSDisable:
		c.SwIfIndex = r.label
	case isIfaceKind(r.kind):
		c.SwIfIndex, c.Detail, c.Paths, c.IP6, c.MPLS = r.label, c.Paths, "", false, false
		if r.bits != noPrefix {
			a := netip.AddrFrom16(r.addr)
			if r.fam != familyIP6 {
				a = a.Unmap()
			}
			c.Prefix = netip.PrefixFrom(a, int(r.bits))
			c.Masked, c.IP6 = c.Prefix.Masked(), a.Is6()
		}
	case r.kind == ChangeDefaultNS:
		c.Detail, c.Paths, c.MPLS = c.Paths, "", false
	case !c.IsRoute():
	case r.fam == familyMPLS:
		c.Label, c.EOS, c.Source = r.label, r.eos, r.src
	default:
		a := netip.AddrFrom16(r.addr)
		if r.fam == familyIP4 {
			a = a.Unmap()
		}
		c.Prefix = netip.PrefixFrom(a, int(r.bits))
		c.Masked, c.Source = c.Prefix.Masked(), r.src
	}
	return c
}

// since returns the index of the first record with a sequence number
// above seq.
func (l *changeLog) since(seq uint64) int {
	if seq < l.first {
		return 0
	}
	return int(min(seq-l.first+1, uint64(l.n)))
}

// reset forgets every record, path text and count; sequence numbers go
// on.
func (l *changeLog) reset() {
	l.chunks, l.n, l.start, l.first, l.dropped = nil, 0, 0, l.next, 0
	l.texts, l.textID = []string{""}, make(map[string]uint32)
	l.last, l.lastID = nil, 0
	clear(l.counts)
}
