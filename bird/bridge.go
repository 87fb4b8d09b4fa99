package bird

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/lcpfib/lcpfib/rib"
)

// Sink receives the bridge's changes; *rib.RIB is one.
type Sink interface {
	Apply(ctx context.Context, u rib.Update) error
}

// Bridge is the embedded BGP speaker BIRD exports its routes to. One
// goroutine (Run) owns its state; Status may be called from any.
type Bridge struct {
	o      Options
	sink   Sink
	log    *slog.Logger
	events chan event
	timers chan restartTimeout
	status chan chan Status
}

// New returns a Bridge; nothing listens until Run.
func New(sink Sink, o Options) *Bridge {
	o.defaults()
	return &Bridge{
		o: o, sink: sink, log: o.Logger,
		events: make(chan event, 64),
		timers: make(chan restartTimeout),
		status: make(chan chan Status),
	}
}

// Status is what `lcpfib show bird` prints.
type Status struct {
	Listen    string
	ASN       uint32
	ECMP      bool
	Replaying bool   // the first transfer after start is not complete yet
	Prefixes  int    // keys with at least one path
	Paths     int    // paths held (add-path: several per prefix)
	Updates   uint64 // UPDATE messages received
	Announced uint64 // paths announced
	Withdrawn uint64 // paths withdrawn (by BIRD, a session loss or a stale sweep)
	Invalid   uint64 // paths that broke the route convention (treated as withdrawn)
	Peers     []PeerStatus
}

// PeerStatus describes one configured BIRD peer.
type PeerStatus struct {
	Address    string
	ASN        uint32
	Table      uint32
	State      string // "established", or "active" (waiting for BIRD to connect)
	Since      time.Time
	Restarting bool // graceful restart: its paths are kept as stale
	Families   []string
	EndOfRIB   []string // families whose End-of-RIB arrived in this session
	Paths      int
	Stale      int
}

// Status returns the bridge's state.
func (b *Bridge) Status(ctx context.Context) (Status, error) {
	reply := make(chan Status, 1)
	select {
	case b.status <- reply:
	case <-ctx.Done():
		return Status{}, ctx.Err()
	}
	select {
	case s := <-reply:
		return s, nil
	case <-ctx.Done():
		return Status{}, ctx.Err()
	}
}

type family uint8

const (
	ipv4 family = 1 << iota
	ipv6
)

func familyOf(p netip.Prefix) family {
	if p.Addr().Is4() {
		return ipv4
	}
	return ipv6
}

func (f family) names() []string {
	var out []string
	if f&ipv4 != 0 {
		out = append(out, "ipv4-unicast")
	}
	if f&ipv6 != 0 {
		out = append(out, "ipv6-unicast")
	}
	return out
}

// peer is the bridge's view of one configured peer.
type peer struct {
	cfg        Peer
	idx        uint16
	state      string
	since      time.Time
	gen        uint16 // bumped when a session ends gracefully: older paths are stale
	restarting bool
	timer      *time.Timer
	families   family // negotiated in the current session
	eor        family // End-of-RIB received in the current session
	transfers  int    // complete table transfers (End-of-RIB for every family)
}

// event is what crosses from a session's goroutine to the bridge's loop:
// a session coming up or going down, or one UPDATE's decoded paths.
type event struct {
	peer    uint16 // index of the configured peer
	session *sessionEvent
	paths   []item
	update  bool // an UPDATE message (counted even if it carried nothing)
}

type restartTimeout struct {
	peer uint16
	gen  uint16
}

// run is the state Run owns.
type run struct {
	b      *Bridge
	peers  []*peer
	t      *table
	st     Status
	dirty  map[rib.Packed]struct{}
	replay bool // the rib replay (see Run) is open
	logged int  // invalid-path log lines so far
}

// maxInvalidLogs bounds the log lines about paths that break the
// convention; the Invalid counter keeps counting.
const maxInvalidLogs = 20

// Run starts the BGP speaker and programs what the peers announce until
// ctx is done. The first complete table transfer of every peer is a
// replay for the rib: routes an earlier lcpfib left in the dataplane and
// nobody announces again are swept after it (or after ReplayMax).
func (b *Bridge) Run(ctx context.Context) error {
	if err := b.o.Validate(); err != nil {
		return fmt.Errorf("bird: %w", err)
	}
	sp, err := listenSpeaker(b.o, b.log, b.events)
	if err != nil {
		return fmt.Errorf("bird: %w", err)
	}
	sctx, stopSpeaker := context.WithCancel(ctx)
	served := make(chan struct{})
	go func() { sp.serve(sctx); close(served) }()
	defer func() {
		// Sessions send BIRD a Cease; their last events go nowhere.
		close(sp.stopped)
		stopSpeaker()
		<-served
	}()
	r := &run{b: b, t: newTable(b.o.ECMP), dirty: map[rib.Packed]struct{}{}}
	for i, pc := range b.o.Peers {
		r.peers = append(r.peers, &peer{cfg: pc, idx: uint16(i), state: "active"})
	}
	if err := b.sink.Apply(ctx, rib.Update{Source: rib.SourceBIRD, Resync: rib.ResyncBegin}); err != nil {
		return nil // ctx done
	}
	r.replay = true
	replayMax := time.NewTimer(b.o.ReplayMax)
	defer replayMax.Stop()
	b.log.Info("BGP bridge listening for BIRD", "listen", b.o.Listen, "asn", b.o.ASN, "peers", len(b.o.Peers), "ecmp", b.o.ECMP)
	for {
		select {
		case ev := <-b.events:
			r.event(ctx, ev)
			// Batch what is already queued into one rib update.
		drain:
			for range 16 {
				select {
				case ev := <-b.events:
					r.event(ctx, ev)
				default:
					break drain
				}
			}
		case to := <-b.timers:
			r.restartExpired(to)
		case <-replayMax.C:
			if r.replay {
				b.log.Warn("BIRD's first table transfer did not complete in time; sweeping what an earlier lcpfib left anyway",
					"replay_max", b.o.ReplayMax)
				r.endReplay(ctx)
			}
		case ch := <-b.status:
			ch <- r.status()
		case <-ctx.Done():
			for _, p := range r.peers {
				if p.timer != nil {
					p.timer.Stop()
				}
			}
			return nil
		}
		if err := r.flush(ctx); err != nil {
			return nil // ctx done
		}
	}
}

func (r *run) event(ctx context.Context, ev event) {
	p := r.peers[ev.peer]
	if ev.session != nil {
		r.session(ctx, p, ev.session)
		return
	}
	if ev.update {
		r.st.Updates++
	}
	for i := range ev.paths {
		r.path(ctx, p, &ev.paths[i])
	}
}

// path handles one decoded path (or End-of-RIB marker).
func (r *run) path(ctx context.Context, p *peer, it *item) {
	if it.eor != 0 {
		r.endOfRIB(ctx, p, it.eor)
		return
	}
	rc, err := it.rc, it.err
	if !rc.prefix.IsValid() {
		r.invalid(p, "", err)
		return
	}
	pk := rib.Key{Table: p.cfg.Table, Prefix: rc.prefix}.Pack()
	ref := ref{peer: p.idx, id: rc.id}
	switch {
	case err != nil || rc.withdraw:
		if err != nil {
			// RFC 7606's treat-as-withdraw: a path that cannot be used
			// replaces what the same path said before.
			r.invalid(p, rc.prefix.String(), err)
		}
		if r.t.remove(pk, ref) {
			r.st.Withdrawn++
			r.dirty[pk] = struct{}{}
		}
	default:
		r.st.Announced++
		r.t.put(pk, r.t.path(ref, p.gen, rc.pref, rc.kind, rc.path))
		r.dirty[pk] = struct{}{}
	}
}

func (r *run) invalid(p *peer, prefix string, err error) {
	r.st.Invalid++
	r.logged++
	if r.logged <= maxInvalidLogs {
		r.b.log.Warn("path from BIRD breaks the route convention (contrib/bird/lcpfib.conf); treated as withdrawn",
			"peer", p.cfg.Address, "prefix", prefix, "err", err)
	}
}

// session follows a session coming up or going down.
func (r *run) session(ctx context.Context, p *peer, ev *sessionEvent) {
	if ev.up {
		p.state, p.since, p.eor = "established", time.Now(), 0
		p.families = ev.families
		r.b.log.Info("BIRD session established", "peer", p.cfg.Address, "families", p.families.names(),
			"restarting", p.restarting)
		if p.families == 0 {
			r.transferDone(ctx, p)
		}
		return
	}
	p.state, p.since = "active", time.Now()
	r.sessionLost(ctx, p, ev)
}

// sessionLost keeps the peer's paths as stale when it restarts gracefully
// (until its End-of-RIB or restart time) and withdraws them otherwise.
func (r *run) sessionLost(ctx context.Context, p *peer, ev *sessionEvent) {
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
	if ev.graceful {
		p.gen++
		p.restarting = true
		gen := p.gen
		p.timer = time.AfterFunc(time.Duration(ev.restart)*time.Second, func() {
			select {
			case r.b.timers <- restartTimeout{peer: p.idx, gen: gen}:
			case <-ctx.Done():
			}
		})
		r.b.log.Info("BIRD is restarting gracefully: its routes are kept until it is back",
			"peer", p.cfg.Address, "why", ev.reason, "restart_time", ev.restart, "paths", r.peerPaths(p))
		return
	}
	p.restarting = false
	n := r.dropPeer(p, func(rib.Packed, bpath) bool { return true })
	r.b.log.Info("BIRD session closed: its routes are withdrawn", "peer", p.cfg.Address, "why", ev.reason, "paths", n)
}

func (r *run) restartExpired(to restartTimeout) {
	p := r.peers[to.peer]
	if !p.restarting || p.gen != to.gen {
		return
	}
	p.restarting, p.timer = false, nil
	n := r.dropPeer(p, func(_ rib.Packed, bp bpath) bool { return bp.gen != p.gen })
	r.b.log.Warn("BIRD did not finish its graceful restart in time: its stale routes are withdrawn",
		"peer", p.cfg.Address, "paths", n)
}

// endOfRIB sweeps the family's stale paths of a restarting peer and notes
// a completed transfer.
func (r *run) endOfRIB(ctx context.Context, p *peer, f family) {
	if p.eor&f != 0 {
		return
	}
	p.eor |= f
	if p.restarting {
		n := r.dropPeer(p, func(pk rib.Packed, bp bpath) bool { return bp.gen != p.gen && familyOf(pk.Key().Prefix) == f })
		r.b.log.Info("End-of-RIB from a restarting BIRD: stale routes swept", "peer", p.cfg.Address,
			"family", f.names(), "swept", n)
	}
	if p.families&^p.eor == 0 {
		r.transferDone(ctx, p)
	}
}

func (r *run) transferDone(ctx context.Context, p *peer) {
	if p.restarting {
		p.restarting = false
		if p.timer != nil {
			p.timer.Stop()
			p.timer = nil
		}
		// Anything still stale belongs to a family BIRD no longer sends.
		r.dropPeer(p, func(_ rib.Packed, bp bpath) bool { return bp.gen != p.gen })
	}
	p.transfers++
	r.b.log.Info("BIRD's table transfer complete", "peer", p.cfg.Address, "paths", r.peerPaths(p))
	if r.b.o.Transferred != nil {
		r.b.o.Transferred(p.cfg.Address)
	}
	if !r.replay {
		return
	}
	for _, q := range r.peers {
		if q.transfers == 0 {
			return
		}
	}
	r.endReplay(ctx)
}

func (r *run) endReplay(ctx context.Context) {
	r.replay = false
	// The sweep must see every change made so far.
	if r.flush(ctx) != nil {
		return
	}
	r.b.sink.Apply(ctx, rib.Update{Source: rib.SourceBIRD, Resync: rib.ResyncEnd})
}

// dropPeer removes the peer's paths gone selects and returns how many.
func (r *run) dropPeer(p *peer, gone func(rib.Packed, bpath) bool) int {
	n := 0
	changed := r.t.drop(func(pk rib.Packed, bp bpath) bool {
		if bp.peer == p.idx && gone(pk, bp) {
			n++
			return true
		}
		return false
	})
	for _, pk := range changed {
		r.dirty[pk] = struct{}{}
	}
	r.st.Withdrawn += uint64(n)
	return n
}

// peerCounts counts, in one pass over the table, each peer's paths and of
// those the stale ones (older than the peer's session generation).
func (r *run) peerCounts() (paths, stale []int) {
	paths, stale = make([]int, len(r.peers)), make([]int, len(r.peers))
	count := func(bp bpath) {
		paths[bp.peer]++
		if bp.gen != r.peers[bp.peer].gen {
			stale[bp.peer]++
		}
	}
	for _, bp := range r.t.one.All() {
		count(bp)
	}
	for _, ps := range r.t.many {
		for _, bp := range ps {
			count(bp)
		}
	}
	return paths, stale
}

func (r *run) peerPaths(p *peer) int {
	paths, _ := r.peerCounts()
	return paths[p.idx]
}

// flush hands the changed keys' routes to the sink in one update.
func (r *run) flush(ctx context.Context) error {
	if len(r.dirty) == 0 {
		return nil
	}
	u := rib.Update{Source: rib.SourceBIRD}
	for pk := range r.dirty {
		if rt, ok := r.t.route(pk); ok {
			u.Set = append(u.Set, rt)
		} else {
			u.Del = append(u.Del, pk.Key())
		}
	}
	clear(r.dirty)
	return r.b.sink.Apply(ctx, u)
}

func (r *run) status() Status {
	st := r.st
	st.Listen = r.b.o.Listen.String()
	st.ASN = r.b.o.ASN
	st.ECMP = r.b.o.ECMP
	st.Replaying = r.replay
	st.Prefixes = r.t.len()
	st.Paths = r.t.pathCount()
	paths, stale := r.peerCounts()
	for _, p := range r.peers {
		st.Peers = append(st.Peers, PeerStatus{
			Address: p.cfg.Address.String(), ASN: p.cfg.ASN, Table: p.cfg.Table,
			State: p.state, Since: p.since, Restarting: p.restarting,
			Families: p.families.names(), EndOfRIB: p.eor.names(),
			Paths: paths[p.idx], Stale: stale[p.idx],
		})
	}
	return st
}
