package vpp

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/fib_types"
	"go.fd.io/govpp/binapi/ip"
	"go.fd.io/govpp/binapi/ip_types"
	"go.fd.io/govpp/binapi/mpls"
	"go.fd.io/govpp/core"

	"github.com/lcpfib/lcpfib/rib"
)

// Causes of a difference between the desired state and VPP's FIB.
const (
	DiffMissing    = "missing"    // wanted; VPP has no entry lcpfib owns
	DiffExtra      = "extra"      // VPP holds an entry for lcpfib that nothing wants
	DiffPaths      = "paths"      // VPP holds other paths than wanted
	DiffFailed     = "failed"     // wanted; VPP refused it (Err is VPP's answer)
	DiffUnresolved = "unresolved" // wanted; no path leads out of a paired interface
)

// Difference is one route on which VPP and the desired state disagree.
type Difference struct {
	Key   rib.Key
	Cause string // one of the Diff* constants
	Want  string // the paths wanted, in VPP's terms ("" for extra)
	Have  string // the paths VPP holds ("" for missing)
	Err   string // VPP's error for failed, the unpaired ifindexes for unresolved
}

// CheckResult is what Check found.
type CheckResult struct {
	Wanted      int  // IP routes wanted in programmed tables
	InVPP       int  // IP entries VPP holds with lcpfib's source (API)
	Tables      int  // VPP IP tables dumped
	LSPs        int  // wanted LSPs
	LSPsInVPP   int  // LSPs lcpfib owns in VPP's MPLS FIB (see Ownership in mpls.go)
	MPLS        bool // LSPs were compared; false: VPP lacks the MPLS API
	Differences []Difference
}

// Check dumps VPP's IP FIB on a connection of its own and compares the
// entries lcpfib owns (source API) with wanted, the rib's desired routes,
// translated through the interface table as the programmer would. Routes
// of tables that are never programmed (local) are left out; LSPs are
// counted, not compared. Failures known to the programmer explain missing
// or different routes. VPP's entries are compared as they stream in, so
// a full table costs a digest per wanted route, not a copy of VPP's FIB.
func (p *Programmer) Check(ctx context.Context, wanted []rib.Route) (CheckResult, error) {
	var res CheckResult
	type want struct {
		i int    // index in wanted
		d uint64 // digest of the paths VPP should hold
	}
	wants := make(map[rib.Packed]want, len(wanted))
	unprogrammable := map[rib.Packed]error{} // routeAdd's error: unresolved, or not programmable
	vppTable := func(r *rib.Route) uint32 { id, _ := TableID(r.Key.Table); return id }
	var lsps []int // indices in wanted
	for i := range wanted {
		r := &wanted[i]
		if r.Key.IsLSP() {
			lsps = append(lsps, i)
			continue
		}
		id, ok := TableID(r.Key.Table)
		if !ok {
			continue
		}
		res.Wanted++
		pk := r.Key.Pack()
		m, err := routeAdd(r, id, p.ifs)
		if err != nil {
			unprogrammable[pk] = err
			wants[pk] = want{i: i}
			continue
		}
		wants[pk] = want{i: i, d: digest(m.Route.Paths)}
	}
	failed := map[rib.Key]string{}
	for _, f := range p.Failures() {
		failed[f.Key] = f.Err
	}
	// explain completes d (Key, Have set) for a wanted route VPP does not
	// hold as wanted.
	explain := func(d Difference, r *rib.Route, pk rib.Packed) Difference {
		if err := unprogrammable[pk]; err != nil {
			var ue *UnresolvedError
			if errors.As(err, &ue) {
				d.Cause, d.Err = DiffUnresolved, ue.Error()
			} else {
				d.Cause, d.Err = DiffFailed, err.Error()
			}
			return d
		}
		if m, err := routeAdd(r, vppTable(r), p.ifs); err == nil {
			d.Want = FormatPaths(m.Route.Paths)
		}
		switch {
		case failed[r.Key] != "":
			d.Cause, d.Err = DiffFailed, failed[r.Key]
		case d.Have == "":
			d.Cause = DiffMissing
		default:
			d.Cause = DiffPaths
		}
		return d
	}
	conn, _, err := dial(ctx, p.cfg.Socket, p.cfg.ConnectTimeout)
	if err != nil {
		return res, err
	}
	defer conn.Disconnect()
	tables, err := p.walkOwned(ctx, conn, func(pk rib.Packed, paths []fib_types.FibPath) error {
		res.InVPP++
		w, ok := wants[pk]
		if !ok {
			res.Differences = append(res.Differences, Difference{Key: pk.Key(), Cause: DiffExtra, Have: FormatPaths(paths)})
			return nil
		}
		delete(wants, pk)
		if unprogrammable[pk] == nil && digest(paths) == w.d {
			return nil
		}
		r := &wanted[w.i]
		res.Differences = append(res.Differences, explain(Difference{Key: r.Key, Have: FormatPaths(paths)}, r, pk))
		return nil
	})
	if err != nil {
		return res, err
	}
	res.Tables = tables
	for pk, w := range wants {
		r := &wanted[w.i]
		res.Differences = append(res.Differences, explain(Difference{Key: r.Key}, r, pk))
	}
	if err := p.checkLSPs(ctx, conn, wanted, lsps, failed, &res); err != nil {
		return res, err
	}
	slices.SortFunc(res.Differences, func(a, b Difference) int { return rib.CompareKeys(a.Key, b.Key) })
	return res, nil
}

// checkLSPs compares the LSPs lcpfib owns in VPP's MPLS FIB (the label
// pairs of lcpfib's shape, see Ownership in mpls.go) with the wanted LSPs
// (wanted[i] for i in idx), the way the programmer would write them.
func (p *Programmer) checkLSPs(ctx context.Context, conn *core.Connection, wanted []rib.Route, idx []int, failed map[rib.Key]string, res *CheckResult) error {
	res.LSPs = len(idx)
	missing, err := lacksMPLS(conn)
	if err != nil || len(missing) > 0 {
		return err // no MPLS: counted, not compared
	}
	res.MPLS = true
	type held struct {
		d     uint64
		paths []fib_types.FibPath
	}
	have := map[rib.Key]held{}
	err = walkMPLS(ctx, conn, p.cfg.ReplyTimeout, dumpTimeout(p.cfg.ReplyTimeout), func(id uint32, routes []mpls.MplsRoute) {
		owned := ownedLSPs(routes)
		for _, r := range routes {
			if d, ok := owned[r.MrLabel]; ok && r.MrEos != 0 {
				have[rib.LSPKey(linuxTable(id), r.MrLabel)] = held{d: d, paths: r.MrPaths}
			}
		}
	})
	if err != nil {
		return err
	}
	res.LSPsInVPP = len(have)
	for _, i := range idx {
		r := &wanted[i]
		id, ok := TableID(r.Key.Table)
		if !ok {
			continue
		}
		h, there := have[r.Key]
		delete(have, r.Key)
		df := Difference{Key: r.Key}
		if there {
			df.Have = FormatPaths(h.paths)
		}
		adds, err := lspAdd(r, id, p.ifs)
		var ue *UnresolvedError
		switch {
		case errors.As(err, &ue):
			df.Cause, df.Err = DiffUnresolved, ue.Error()
		case err != nil:
			df.Cause, df.Err = DiffFailed, err.Error()
		case there && h.d == lspDigest(digest(adds[1].MrRoute.MrPaths), adds[1].MrRoute.MrEosProto):
			continue
		default:
			df.Want = FormatPaths(adds[1].MrRoute.MrPaths)
			switch {
			case failed[r.Key] != "":
				df.Cause, df.Err = DiffFailed, failed[r.Key]
			case !there:
				df.Cause = DiffMissing
			default:
				df.Cause = DiffPaths
			}
		}
		res.Differences = append(res.Differences, df)
	}
	for k, h := range have {
		res.Differences = append(res.Differences, Difference{Key: k, Cause: DiffExtra, Have: FormatPaths(h.paths)})
	}
	return nil
}

// walkOwned calls each for every IP entry lcpfib owns in VPP (source API),
// keyed as the rib keys them; it returns how many tables VPP has.
func (p *Programmer) walkOwned(ctx context.Context, conn api.Connection, each func(rib.Packed, []fib_types.FibPath) error) (int, error) {
	srcs, err := Sources(ctx, conn, p.cfg.ReplyTimeout)
	if err != nil {
		return 0, err
	}
	apiSrc, ok := srcs["API"]
	if !ok {
		return 0, fmt.Errorf("VPP reports no FIB source named API (fib_source_dump: %v)", srcs)
	}
	var tables []tableKey
	err = Dump(ctx, conn, &ip.IPTableDump{}, p.cfg.ReplyTimeout, func(m api.Message) error {
		if d, ok := m.(*ip.IPTableDetails); ok {
			tables = append(tables, tableKey{id: d.Table.TableID, ip6: d.Table.IsIP6})
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, t := range tables {
		err := WalkRoutes(ctx, conn, t.id, t.ip6, dumpTimeout(p.cfg.ReplyTimeout), func(e Entry) error {
			if e.Source != apiSrc {
				return nil
			}
			return each(rib.Key{Table: linuxTable(e.Table), Prefix: e.Prefix}.Pack(), e.Paths)
		})
		if err != nil {
			return 0, err
		}
	}
	return len(tables), nil
}

// Reread dumps VPP's IP FIB again and corrects the programmer's record of
// what VPP holds for lcpfib, then has the rib hand over every route again:
// an entry removed or changed behind lcpfib's back (vppctl, another API
// client) is programmed again, and one added with the API source that no
// daemon wants is removed once the daemons have replayed (as after a
// restart). Run it when the dataplane is idle: a change programmed while
// the dump runs may be sent once more, which is harmless. It returns how
// many entries the record had wrong.
func (p *Programmer) Reread(ctx context.Context) (int, error) {
	conn, _, err := dial(ctx, p.cfg.Socket, p.cfg.ConnectTimeout)
	if err != nil {
		return 0, err
	}
	defer conn.Disconnect()
	have := map[rib.Packed]uint64{}
	_, err = p.walkOwned(ctx, conn, func(pk rib.Packed, paths []fib_types.FibPath) error {
		have[pk] = digest(paths)
		return nil
	})
	if err != nil {
		return 0, err
	}
	p.mu.Lock()
	inst := p.inst
	connected := p.conn
	p.mu.Unlock()
	if inst == nil || !connected {
		return 0, errors.New("not connected to VPP")
	}
	fixed := 0
	var adopt []rib.Key
	inst.mu.Lock()
	for pk, d := range inst.m.All() {
		if pk.Key().IsLSP() {
			continue
		}
		vd, ok := have[pk]
		switch {
		case !ok:
			inst.m.Delete(pk)
			fixed++
		case vd != d:
			inst.m.Set(pk, vd)
			fixed++
		}
	}
	for pk, vd := range have {
		if _, ok := inst.m.Get(pk); !ok {
			inst.m.Set(pk, vd)
			adopt = append(adopt, pk.Key())
			fixed++
		}
	}
	inst.mu.Unlock()
	if len(adopt) > 0 {
		if err := p.desired.Adopt(ctx, adopt); err != nil {
			return fixed, err
		}
	}
	p.desired.Resync()
	p.log.Info("re-read VPP's FIB", "corrected", fixed, "adopted", len(adopt), "owned_routes", len(have))
	return fixed, nil
}

// FormatPaths describes a path set as VPP holds it, sorted: "via 10.0.0.2
// sw_if_index 1", "drop", "weight 2", "labels 100/200".
func FormatPaths(paths []fib_types.FibPath) string {
	out := make([]string, 0, len(paths))
	for _, p := range paths {
		out = append(out, formatPath(p))
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

func formatPath(p fib_types.FibPath) string {
	switch p.Type {
	case fib_types.FIB_API_PATH_TYPE_DROP:
		return "drop"
	case fib_types.FIB_API_PATH_TYPE_ICMP_UNREACH:
		return "unreachable"
	case fib_types.FIB_API_PATH_TYPE_ICMP_PROHIBIT:
		return "prohibit"
	case fib_types.FIB_API_PATH_TYPE_NORMAL:
	default:
		return fmt.Sprintf("type %d", p.Type)
	}
	var parts []string
	var nh []byte
	switch p.Proto {
	case fib_types.FIB_API_PATH_NH_PROTO_IP4:
		nh = p.Nh.Address.XXX_UnionData[:4]
	case fib_types.FIB_API_PATH_NH_PROTO_IP6:
		nh = p.Nh.Address.XXX_UnionData[:]
	}
	if slices.ContainsFunc(nh, func(b byte) bool { return b != 0 }) {
		if len(nh) == 4 {
			parts = append(parts, "via "+FromAddress(ip_types.ADDRESS_IP4, p.Nh.Address).String())
		} else {
			parts = append(parts, "via "+FromAddress(ip_types.ADDRESS_IP6, p.Nh.Address).String())
		}
	}
	if p.SwIfIndex != invalidIndex {
		parts = append(parts, fmt.Sprintf("sw_if_index %d", p.SwIfIndex))
	}
	if p.Weight > 1 {
		parts = append(parts, fmt.Sprintf("weight %d", p.Weight))
	}
	if p.NLabels > 0 {
		ls := make([]string, 0, p.NLabels)
		for _, l := range p.LabelStack[:min(int(p.NLabels), len(p.LabelStack))] {
			ls = append(ls, fmt.Sprint(l.Label))
		}
		parts = append(parts, "labels "+strings.Join(ls, "/"))
	}
	if len(parts) == 0 {
		return "attached"
	}
	return strings.Join(parts, " ")
}
