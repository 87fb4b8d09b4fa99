package vpp

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/fib_types"
	"go.fd.io/govpp/binapi/interface_types"
	"go.fd.io/govpp/binapi/mpls"
	"go.fd.io/govpp/core"

	"github.com/lcpfib/lcpfib/rib"
)

// MPLS in VPP.
//
// Label stacks of IP routes travel in ip_route_add_del itself: each path
// carries n_labels and label_stack, outermost label first. VPP sets the
// bottom-of-stack bit itself; lcpfib sends ttl 0 and exp 0 (as FRR does)
// and is_uniform 1, so that VPP copies the TTL of the IP packet into the
// labels it pushes, as Linux does with its default
// net.mpls.ip_ttl_propagate=1 (VPP's pipe mode would write 64 instead).
// On a swap VPP always writes the incoming TTL minus one.
//
// An LSP (rib.LSPKey) is programmed into the MPLS table with
// mpls_route_add_del, twice: Linux keys its MPLS routes by label alone,
// VPP by label and end-of-stack bit, and VPP's linux-cp plugin
// (lcp_router.c) installs both as well. The non-EOS entry forwards labelled
// packets (payload MPLS); the EOS entry carries the payload protocol of
// the first path's next hop (IPv4 or IPv6, mr_eos_proto), which is what a
// pop at the bottom of the stack forwards. Each path swaps to its labels;
// a pop is the implicit-null label 3, which VPP reads as "impose nothing"
// (fib_path_ext_is_imp_null): a non-EOS entry whose path has no label at
// all would contribute nothing to forwarding. Linux table 254 is MPLS
// table 0, the only one FRR uses; the table is created with
// mpls_table_add_del before its first LSP, since VPP starts without any.
//
// MPLS input: VPP drops labelled packets on an interface that is not
// MPLS-enabled. lcpfib enables (sw_interface_set_mpls_enable) every
// interface an LSP or a labelled path leaves by, once per VPP session,
// after reading which ones already are (mpls_interface_dump: VPP counts
// enables per interface in a u8, so enabling again on every connect would
// eventually wrap it). Interfaces are never disabled.
//
// Ownership: mpls_route_dump, unlike ip_route_v2_dump, does not say which
// FIB source an entry has. lcpfib adopts at connect only the label pairs
// it would have written itself: a label of 16 or more with both its EOS
// and non-EOS entry, the same paths in both, and an outgoing label on every
// path. An operator's `mpls local-label add` of that exact shape would be
// taken for lcpfib's; add LSPs by hand in other MPLS tables.
//
// MPLS is optional: a VPP that lacks the messages below is used for IP
// routes alone; LSPs are counted as skipped (MPLSStats.Skipped) and labelled
// IP routes are programmed without enabling any interface.

// mplsMessages are the MPLS messages the programmer uses.
var mplsMessages = []api.Message{
	&mpls.MplsTableAddDel{}, &mpls.MplsTableAddDelReply{},
	&mpls.MplsTableDump{}, &mpls.MplsTableDetails{},
	&mpls.MplsRouteAddDel{}, &mpls.MplsRouteAddDelReply{},
	&mpls.MplsRouteDump{}, &mpls.MplsRouteDetails{},
	&mpls.SwInterfaceSetMplsEnable{}, &mpls.SwInterfaceSetMplsEnableReply{},
	&mpls.MplsInterfaceDump{}, &mpls.MplsInterfaceDetails{},
}

// labelImplicitNull is the pop of an LSP path.
const labelImplicitNull = 3

// errNoMPLS says VPP does not speak the MPLS API.
var errNoMPLS = errors.New("VPP lacks the MPLS API messages")

// MPLSStats count what the programmer did with MPLS.
type MPLSStats struct {
	Supported   bool   // the VPP of the current session speaks the MPLS API
	LSPsAdded   uint64 // LSPs VPP accepted (both entries of the pair)
	LSPsDeleted uint64
	Skipped     uint64 // LSPs not programmed because VPP lacks MPLS
	Tables      int    // MPLS tables VPP has
	Interfaces  int    // interfaces VPP has MPLS-enabled
}

// mplsState is the programmer's MPLS side: counters, and the state of the
// current session.
type mplsState struct {
	added, deleted, skipped atomic.Uint64

	mu   sync.Mutex
	sess *mplsSession
}

// mplsSession is what one VPP session knows of VPP's MPLS state. The feed
// goroutine adds to it; the reply goroutine takes back what VPP refused.
type mplsSession struct {
	ok bool // VPP speaks the MPLS API

	mu      sync.Mutex
	tables  map[uint32]bool // MPLS tables VPP has or was asked to add
	enabled map[uint32]bool // sw_if_index MPLS-enabled, or asked to be
}

func (s *mplsState) session() *mplsSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sess
}

func (s *mplsState) stats() MPLSStats {
	st := MPLSStats{LSPsAdded: s.added.Load(), LSPsDeleted: s.deleted.Load(), Skipped: s.skipped.Load()}
	if ms := s.session(); ms != nil {
		ms.mu.Lock()
		st.Supported, st.Tables, st.Interfaces = ms.ok, len(ms.tables), len(ms.enabled)
		ms.mu.Unlock()
	}
	return st
}

// start begins a session: it checks that VPP speaks MPLS and reads its
// MPLS tables, the LSPs lcpfib owns (added to owned, keyed as the rib keys
// them, with their digests) and the MPLS-enabled interfaces. A VPP without
// MPLS is logged once per connection, not refused.
func (s *mplsState) start(ctx context.Context, conn *core.Connection, timeout time.Duration, owned *rib.Map[uint64], log *slog.Logger) error {
	ms := &mplsSession{tables: map[uint32]bool{}, enabled: map[uint32]bool{}}
	defer func() {
		s.mu.Lock()
		s.sess = ms
		s.mu.Unlock()
	}()
	missing, err := lacksMPLS(conn)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		log.Warn("VPP lacks MPLS API messages: LSPs will not be programmed", "missing", missing)
		return nil
	}
	ms.ok = true
	lsps, err := loadMPLS(ctx, conn, timeout, ms)
	if err != nil {
		return err
	}
	for k, d := range lsps {
		owned.Set(k.Pack(), d)
	}
	log.Info("read VPP's MPLS FIB", "owned_lsps", len(lsps), "tables", len(ms.tables), "mpls_interfaces", len(ms.enabled))
	return nil
}

// lacksMPLS returns the MPLS messages VPP does not know (none: it speaks
// MPLS).
func lacksMPLS(conn *core.Connection) ([]string, error) {
	ch, err := conn.NewAPIChannel()
	if err != nil {
		return nil, fmt.Errorf("opening API channel: %w", err)
	}
	err = ch.CheckCompatiblity(mplsMessages...)
	ch.Close()
	var ce *api.CompatibilityError
	switch {
	case errors.As(err, &ce):
		return ce.IncompatibleMessages, nil
	case err != nil:
		return nil, fmt.Errorf("checking MPLS API compatibility: %w", err)
	}
	return nil, nil
}

// walkMPLS dumps VPP's MPLS tables and calls each with every table's
// entries (dumped with routeTimeout).
func walkMPLS(ctx context.Context, conn api.Connection, timeout, routeTimeout time.Duration, each func(id uint32, routes []mpls.MplsRoute)) error {
	var ids []uint32
	err := Dump(ctx, conn, &mpls.MplsTableDump{}, timeout, func(m api.Message) error {
		if d, ok := m.(*mpls.MplsTableDetails); ok {
			ids = append(ids, d.MtTable.MtTableID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, id := range ids {
		var routes []mpls.MplsRoute
		err := Dump(ctx, conn, &mpls.MplsRouteDump{Table: mpls.MplsTable{MtTableID: id}}, routeTimeout, func(m api.Message) error {
			d, ok := m.(*mpls.MplsRouteDetails)
			if !ok {
				return fmt.Errorf("mpls_route_dump: unexpected %s", m.GetMessageName())
			}
			routes = append(routes, d.MrRoute)
			return nil
		})
		if err != nil {
			return err
		}
		each(id, routes)
	}
	return nil
}

// loadMPLS dumps VPP's MPLS tables, their entries and the MPLS-enabled
// interfaces into ms, and returns the LSPs lcpfib owns with their digests.
func loadMPLS(ctx context.Context, conn api.Connection, timeout time.Duration, ms *mplsSession) (map[rib.Key]uint64, error) {
	err := Dump(ctx, conn, &mpls.MplsInterfaceDump{SwIfIndex: interface_types.InterfaceIndex(invalidIndex)}, timeout,
		func(m api.Message) error {
			if d, ok := m.(*mpls.MplsInterfaceDetails); ok {
				ms.enabled[uint32(d.SwIfIndex)] = true
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	out := map[rib.Key]uint64{}
	err = walkMPLS(ctx, conn, timeout, timeout, func(id uint32, routes []mpls.MplsRoute) {
		ms.tables[id] = true
		for label, d := range ownedLSPs(routes) {
			out[rib.LSPKey(linuxTable(id), label)] = d
		}
	})
	return out, err
}

// ownedLSPs picks, from the entries of one MPLS table, the label pairs
// lcpfib writes (see Ownership above) and returns their digests.
func ownedLSPs(routes []mpls.MplsRoute) map[uint32]uint64 {
	type pair struct{ neos, eos *mpls.MplsRoute }
	pairs := map[uint32]*pair{}
	for i := range routes {
		r := &routes[i]
		if r.MrLabel < 16 || r.MrLabel > rib.MaxLabel {
			continue
		}
		p := pairs[r.MrLabel]
		if p == nil {
			p = &pair{}
			pairs[r.MrLabel] = p
		}
		if r.MrEos != 0 {
			p.eos = r
		} else {
			p.neos = r
		}
	}
	out := map[uint32]uint64{}
	for label, p := range pairs {
		if p.neos == nil || p.eos == nil || len(p.eos.MrPaths) == 0 {
			continue
		}
		dn, de := digest(p.neos.MrPaths), digest(p.eos.MrPaths)
		if dn != de {
			continue
		}
		labelled := true
		for _, fp := range p.eos.MrPaths {
			labelled = labelled && fp.NLabels > 0
		}
		if labelled {
			out[label] = lspDigest(de, p.eos.MrEosProto)
		}
	}
	return out
}

// lspDigest is the digest of an LSP pair: its paths (the same in both
// entries) and the EOS entry's payload protocol.
func lspDigest(paths uint64, eosProto uint8) uint64 {
	var b [9]byte
	binary.BigEndian.PutUint64(b[:], paths)
	b[8] = eosProto
	h := fnv.New64a()
	h.Write(b[:])
	return h.Sum64()
}

// setLabels puts an outgoing label stack on a path (see the comment at
// the top for ttl, exp and is_uniform).
func setLabels(fp *fib_types.FibPath, l rib.Labels) {
	n := l.Len()
	fp.NLabels = uint8(n)
	for i := range n {
		fp.LabelStack[i] = fib_types.FibMplsLabel{IsUniform: 1, Label: l.At(i)}
	}
}

// hasLabels reports whether some path pushes labels.
func hasLabels(paths []fib_types.FibPath) bool {
	for i := range paths {
		if paths[i].NLabels > 0 {
			return true
		}
	}
	return false
}

// lspAdd builds the pair of mpls_route_add_del (non-EOS, then EOS) that
// makes VPP switch the LSP r as it says. Like routeAdd, it leaves out paths
// whose interface has no VPP twin, and returns an *UnresolvedError when
// none is left.
func lspAdd(r *rib.Route, mplsTable uint32, ifs Interfaces) ([2]*mpls.MplsRouteAddDel, error) {
	var out [2]*mpls.MplsRouteAddDel
	if r.Kind != rib.Unicast {
		return out, fmt.Errorf("LSP %s: unsupported kind %s", r.Key, r.Kind)
	}
	var paths []fib_types.FibPath
	var missing []uint32
	for _, p := range r.Paths {
		proto := fib_types.FIB_API_PATH_NH_PROTO_IP4
		if p.Gateway.IsValid() {
			proto = NhProto(p.Gateway)
		}
		fp, ok := unicastPath(p, proto, ifs)
		if !ok {
			missing = append(missing, p.Ifindex)
			continue
		}
		if p.Labels.Len() == 0 {
			fp.NLabels = 1
			fp.LabelStack[0] = fib_types.FibMplsLabel{IsUniform: 1, Label: labelImplicitNull}
		}
		paths = append(paths, fp)
	}
	switch {
	case len(paths) == 0 && len(missing) == 0:
		return out, fmt.Errorf("LSP %s has no paths", r.Key)
	case len(paths) == 0:
		return out, &UnresolvedError{Ifindexes: missing}
	case len(paths) > 255:
		return out, fmt.Errorf("LSP %s: %d paths, VPP takes at most 255", r.Key, len(paths))
	}
	for eos := range 2 {
		m := &mpls.MplsRouteAddDel{MrIsAdd: true}
		m.MrRoute = mpls.MplsRoute{MrTableID: mplsTable, MrLabel: r.Key.Label, MrEos: uint8(eos),
			MrNPaths: uint8(len(paths)), MrPaths: paths}
		if eos == 1 {
			m.MrRoute.MrEosProto = uint8(paths[0].Proto)
		}
		out[eos] = m
	}
	return out, nil
}

// lspDel builds the pair of mpls_route_add_del that removes an LSP.
func lspDel(label, mplsTable uint32) [2]*mpls.MplsRouteAddDel {
	var out [2]*mpls.MplsRouteAddDel
	for eos := range 2 {
		out[eos] = &mpls.MplsRouteAddDel{MrRoute: mpls.MplsRoute{MrTableID: mplsTable, MrLabel: label, MrEos: uint8(eos)}}
	}
	return out
}

// sendLSP programs one LSP change: the MPLS counterpart of send.
func (p *Programmer) sendLSP(ctx context.Context, pl *pipeline, inst *installed, c *rib.Change) error {
	id, ok := TableID(c.Key.Table)
	if !ok {
		p.count.skipped.Add(1)
		return nil
	}
	ms := p.mpls.session()
	if c.Route == nil {
		p.fails.succeeded(c.Key) // no longer wanted: nothing to retry
	}
	if ms == nil || !ms.ok {
		if c.Route != nil {
			p.mpls.skipped.Add(1)
			p.result(c.Route, errNoMPLS)
		}
		return nil
	}
	var adds [2]*mpls.MplsRouteAddDel
	del := c.Route == nil
	if !del {
		var err error
		adds, err = lspAdd(c.Route, id, p.ifs)
		if err != nil {
			var ue *UnresolvedError
			if !errors.As(err, &ue) {
				p.count.errors.Add(1)
				p.log.Error("cannot program LSP", "label", c.Key.Label, "table", c.Key.Table, "err", err)
				p.result(c.Route, err)
				return nil
			}
			p.count.unresolved.Add(1)
			p.log.Debug("LSP left out of VPP", "label", c.Key.Label, "table", c.Key.Table, "err", err)
			p.result(c.Route, err)
			del = true // remove what VPP holds rather than switch along a stale path
		}
	}
	have, isThere := inst.get(c.Key)
	if del {
		if !isThere {
			p.count.unchanged.Add(1)
			return nil
		}
		inst.drop(c.Key)
		for _, m := range lspDel(c.Key.Label, id) {
			if err := pl.send(ctx, inflight{req: m, key: c.Key}); err != nil {
				return err
			}
		}
		return nil
	}
	d := lspDigest(digest(adds[1].MrRoute.MrPaths), adds[1].MrRoute.MrEosProto)
	if isThere && have == d {
		p.count.unchanged.Add(1)
		p.result(c.Route, nil)
		return nil
	}
	if err := ms.prepare(ctx, pl, c.Key, id, adds[1].MrRoute.MrPaths); err != nil {
		return err
	}
	inst.put(c.Key, d)
	for _, m := range adds {
		if err := pl.send(ctx, inflight{req: m, key: c.Key, route: c.Route}); err != nil {
			return err
		}
	}
	return nil
}

// prepareLabelled readies VPP for an IP route whose paths push labels: the
// interfaces they leave by are MPLS-enabled (when VPP speaks MPLS).
func (p *Programmer) prepareLabelled(ctx context.Context, pl *pipeline, key rib.Key, paths []fib_types.FibPath) error {
	ms := p.mpls.session()
	if ms == nil || !ms.ok || !hasLabels(paths) {
		return nil
	}
	return ms.prepare(ctx, pl, key, invalidIndex, paths)
}

// prepare sends, ahead of a route that uses MPLS, what it needs: MPLS table
// table (invalidIndex: none) and table 0, which MPLS-enabling an interface
// needs, and the enabling of every interface of paths not enabled yet.
func (ms *mplsSession) prepare(ctx context.Context, pl *pipeline, key rib.Key, table uint32, paths []fib_types.FibPath) error {
	var reqs []api.Message
	ms.mu.Lock()
	for _, id := range []uint32{0, table} {
		if id != invalidIndex && !ms.tables[id] {
			ms.tables[id] = true
			reqs = append(reqs, &mpls.MplsTableAddDel{MtIsAdd: true, MtTable: mpls.MplsTable{MtTableID: id}})
		}
	}
	for i := range paths {
		sw := paths[i].SwIfIndex
		if sw != invalidIndex && !ms.enabled[sw] {
			ms.enabled[sw] = true
			reqs = append(reqs, &mpls.SwInterfaceSetMplsEnable{SwIfIndex: interface_types.InterfaceIndex(sw), Enable: true})
		}
	}
	ms.mu.Unlock()
	for _, m := range reqs {
		if err := pl.send(ctx, inflight{req: m, key: key}); err != nil {
			return err
		}
	}
	return nil
}

// mplsReply handles the reply to an MPLS request; it reports false for
// other requests.
func (p *Programmer) mplsReply(f inflight, err error) bool {
	ms := p.mpls.session()
	switch req := f.req.(type) {
	case *mpls.MplsRouteAddDel:
		p.mu.Lock()
		inst := p.inst
		p.mu.Unlock()
		if err != nil {
			p.count.errors.Add(1)
			p.log.Error("VPP refused an MPLS route", "label", req.MrRoute.MrLabel, "eos", req.MrRoute.MrEos,
				"table", f.key.Table, "err", err)
			inst.drop(f.key) // not known to be there any more
			p.fails.failed(f.key, err, time.Now())
			return true
		}
		if req.MrRoute.MrEos == 0 {
			return true // the pair is done with its EOS entry
		}
		if !req.MrIsAdd {
			p.mpls.deleted.Add(1)
			p.fails.succeeded(f.key)
			return true
		}
		p.mpls.added.Add(1)
		if _, ok := inst.get(f.key); ok { // else the non-EOS entry failed
			p.fails.succeeded(f.key)
		}
	case *mpls.MplsTableAddDel:
		if err != nil {
			p.count.errors.Add(1)
			p.log.Error("VPP refused an MPLS table", "mpls_table", req.MtTable.MtTableID, "err", err)
			ms.mu.Lock()
			delete(ms.tables, req.MtTable.MtTableID)
			ms.mu.Unlock()
		}
	case *mpls.SwInterfaceSetMplsEnable:
		if err != nil {
			p.count.errors.Add(1)
			p.log.Error("VPP refused to MPLS-enable an interface", "sw_if_index", req.SwIfIndex, "err", err)
			ms.mu.Lock()
			delete(ms.enabled, uint32(req.SwIfIndex))
			ms.mu.Unlock()
		}
	default:
		return false
	}
	return true
}

// mplsRetval is retval for the MPLS replies.
func mplsRetval(m api.Message) (int32, bool) {
	switch r := m.(type) {
	case *mpls.MplsRouteAddDelReply:
		return r.Retval, true
	case *mpls.MplsTableAddDelReply:
		return r.Retval, true
	case *mpls.SwInterfaceSetMplsEnableReply:
		return r.Retval, true
	}
	return 0, false
}
