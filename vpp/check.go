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
	Wanted      int // IP routes wanted in programmed tables
	InVPP       int // IP entries VPP holds with lcpfib's source (API)
	Tables      int // VPP IP tables dumped
	LSPs        int // wanted LSPs, not compared (mpls_route_dump shows no source)
	Differences []Difference
}

// Check dumps VPP's IP FIB on a connection of its own and compares the
// entries lcpfib owns (source API) with wanted, the rib's desired routes,
// translated through the interface table as the programmer would. Routes
// of tables that are never programmed (local) are left out; LSPs are
// counted, not compared. Failures known to the programmer explain missing
// or different routes.
func (p *Programmer) Check(ctx context.Context, wanted []rib.Route) (CheckResult, error) {
	var res CheckResult
	have, tables, err := p.dumpOwned(ctx)
	if err != nil {
		return res, err
	}
	res.Tables, res.InVPP = tables, len(have)
	failed := map[rib.Key]string{}
	for _, f := range p.Failures() {
		failed[f.Key] = f.Err
	}
	for i := range wanted {
		r := &wanted[i]
		if r.Key.IsLSP() {
			res.LSPs++
			continue
		}
		id, ok := TableID(r.Key.Table)
		if !ok {
			continue
		}
		res.Wanted++
		pk := r.Key.Pack()
		got, inVPP := have[pk]
		delete(have, pk)
		d := Difference{Key: r.Key}
		if inVPP {
			d.Have = FormatPaths(got)
		}
		m, err := routeAdd(r, id, p.ifs)
		if err != nil {
			var ue *UnresolvedError
			if errors.As(err, &ue) {
				d.Cause, d.Err = DiffUnresolved, ue.Error()
			} else {
				d.Cause, d.Err = DiffFailed, err.Error()
			}
			res.Differences = append(res.Differences, d)
			continue
		}
		d.Want = FormatPaths(m.Route.Paths)
		switch {
		case inVPP && digest(got) == digest(m.Route.Paths):
			continue
		case failed[r.Key] != "":
			d.Cause, d.Err = DiffFailed, failed[r.Key]
		case !inVPP:
			d.Cause = DiffMissing
		default:
			d.Cause = DiffPaths
		}
		res.Differences = append(res.Differences, d)
	}
	for pk, paths := range have {
		res.Differences = append(res.Differences, Difference{Key: pk.Key(), Cause: DiffExtra, Have: FormatPaths(paths)})
	}
	slices.SortFunc(res.Differences, func(a, b Difference) int { return rib.CompareKeys(a.Key, b.Key) })
	return res, nil
}

// dumpOwned dials VPP and returns the IP entries lcpfib owns, keyed as the
// rib keys them, and how many tables VPP has.
func (p *Programmer) dumpOwned(ctx context.Context) (map[rib.Packed][]fib_types.FibPath, int, error) {
	conn, _, err := dial(ctx, p.cfg.Socket, p.cfg.ConnectTimeout)
	if err != nil {
		return nil, 0, err
	}
	defer conn.Disconnect()
	srcs, err := Sources(ctx, conn, p.cfg.ReplyTimeout)
	if err != nil {
		return nil, 0, err
	}
	apiSrc, ok := srcs["API"]
	if !ok {
		return nil, 0, fmt.Errorf("VPP reports no FIB source named API (fib_source_dump: %v)", srcs)
	}
	var tables []tableKey
	err = Dump(ctx, conn, &ip.IPTableDump{}, p.cfg.ReplyTimeout, func(m api.Message) error {
		if d, ok := m.(*ip.IPTableDetails); ok {
			tables = append(tables, tableKey{id: d.Table.TableID, ip6: d.Table.IsIP6})
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	out := map[rib.Packed][]fib_types.FibPath{}
	for _, t := range tables {
		err := WalkRoutes(ctx, conn, t.id, t.ip6, dumpTimeout(p.cfg.ReplyTimeout), func(e Entry) error {
			if e.Source == apiSrc {
				out[rib.Key{Table: linuxTable(e.Table), Prefix: e.Prefix}.Pack()] = e.Paths
			}
			return nil
		})
		if err != nil {
			return nil, 0, err
		}
	}
	return out, len(tables), nil
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
	have, _, err := p.dumpOwned(ctx)
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
	for pk, d := range inst.m {
		if pk.Key().IsLSP() {
			continue
		}
		paths, ok := have[pk]
		switch {
		case !ok:
			delete(inst.m, pk)
			fixed++
		case digest(paths) != d:
			inst.m[pk] = digest(paths)
			fixed++
		}
	}
	for pk, paths := range have {
		if _, ok := inst.m[pk]; !ok {
			inst.m[pk] = digest(paths)
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
