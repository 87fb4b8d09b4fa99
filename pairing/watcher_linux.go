package pairing

import (
	"context"
	"errors"
	"maps"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.fd.io/govpp/api"
	interfaces "go.fd.io/govpp/binapi/interface"
	"go.fd.io/govpp/binapi/interface_types"
	"go.fd.io/govpp/binapi/ip_neighbor"
)

// PairInfo is one resolved pair.
type PairInfo struct {
	VPP       string // VPP interface name
	SwIfIndex uint32
	Linux     string // host interface name
	Ifindex   uint32 // 0 while the Linux interface does not exist
	Created   bool   // lcpfib created it (in this process's lifetime)
}

type pairTable struct {
	byIfindex map[uint32]uint32
	list      []PairInfo
}

// Watcher mirrors the dataplane namespace's interfaces into VPP: it keeps
// the linux-cp pair table, and copies addresses, admin state, MTU and
// neighbours from each Linux mirror to its VPP interface. One goroutine
// (Run) owns all of its state; SwIfIndex, Pairs and Stats read snapshots.
// It implements vpp.InterfaceSync.
type Watcher struct {
	cfg   Config
	log   logger
	stats *counters
	table atomic.Pointer[pairTable]

	readyOnce sync.Once
	ready     chan struct{} // closed after the first pair table with VPP connected

	events chan nlEvent
	lost   chan uint64
	query  chan func() // read-only inspections (show_linux.go), run by Run

	connected atomic.Bool
	pid       atomic.Uint32

	// Owned by Run's goroutine.
	linux     *linuxState
	vpp       *vppAPI
	vppEvents <-chan api.Message // sw_interface_event; nil while disconnected
	vppIfs    map[uint32]vppInterface
	// pairsStale asks the next flush to re-read VPP's pairs first: a
	// Linux link came or went, or VPP deleted an interface.
	pairsStale bool
	lcps       []lcpPair
	applied    map[uint32]*vppIf // what VPP holds on each paired interface
	created    map[string]string // VPP name -> host name of the pairs lcpfib created
	known      map[string]string // VPP name -> host name of every pair seen, restored after a VPP restart
	restore    bool              // a new VPP: restore known pairs at the next refreshPairs
	dirty      dirtySet
	failed     dirtySet // refused by VPP: retried with backoff
	retry      struct {
		next  time.Time
		delay time.Duration
	}
}

// New returns a Watcher for cfg; call Run.
func New(cfg Config) (*Watcher, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	w := &Watcher{
		cfg:     cfg,
		log:     cfg.Logger,
		stats:   newCounters(),
		ready:   make(chan struct{}),
		events:  make(chan nlEvent, cfg.Events),
		lost:    make(chan uint64),
		query:   make(chan func()),
		linux:   newLinuxState(),
		applied: map[uint32]*vppIf{},
		created: map[string]string{},
		known:   map[string]string{},
		dirty:   newDirtySet(),
		failed:  newDirtySet(),
	}
	w.table.Store(&pairTable{byIfindex: map[uint32]uint32{}})
	return w, nil
}

// SwIfIndex returns the VPP interface paired with a Linux ifindex.
func (w *Watcher) SwIfIndex(ifindex uint32) (uint32, bool) {
	sw, ok := w.table.Load().byIfindex[ifindex]
	return sw, ok
}

// Pairs lists the pairs VPP holds that the Watcher follows.
func (w *Watcher) Pairs() []PairInfo { return slices.Clone(w.table.Load().list) }

// Sync waits (until ctx is done) for the first pair table, so the route
// programmer's first resync sees the pairs. The Watcher keeps its own VPP
// connection; conn is not used. Later changes reach the programmer
// through Config.OnChange.
func (w *Watcher) Sync(ctx context.Context, _ api.Connection) error {
	t := time.NewTimer(w.cfg.ReplyTimeout)
	defer t.Stop()
	select {
	case <-w.ready:
	case <-ctx.Done():
	case <-t.C: // VPP or the pairs are not there yet; OnChange follows
	}
	return nil
}

// Stats returns a snapshot of the counters.
func (w *Watcher) Stats() Stats {
	s := w.stats.snapshot()
	s.Connected = w.connected.Load()
	s.VPPPID = w.pid.Load()
	s.Pairs = len(w.table.Load().byIfindex)
	return s
}

// Run watches Linux and VPP until ctx is done, and returns after every
// goroutine it started has exited. Only a namespace that cannot be opened
// or subscribed to at start is an error; VPP being away is retried.
func (w *Watcher) Run(ctx context.Context) error {
	n, err := openNamespace(w.cfg.Netns, &w.cfg)
	if err != nil {
		return err
	}
	defer n.close()
	var gen uint64 = 1
	sub, err := w.subscribe(n, gen)
	if err != nil {
		return err
	}
	defer func() { sub.stop() }()
	// relist re-dumps Linux after a failed dump, 10 ms later, then twice
	// as long each time up to a second.
	relist := time.NewTimer(0)
	relist.Stop()
	defer relist.Stop()
	relistDelay := time.Duration(0)
	dumpLinux := func() {
		if w.resyncLinux(n) {
			relistDelay = 0
			return
		}
		relistDelay = min(max(2*relistDelay, 10*time.Millisecond), time.Second)
		relist.Reset(relistDelay)
	}
	dumpLinux()
	defer func() {
		if w.vpp != nil {
			w.vpp.close()
		}
	}()

	reconnect := time.NewTimer(0)
	defer reconnect.Stop()
	backoff := w.cfg.RetryMin
	ping := time.NewTicker(w.cfg.PingInterval)
	defer ping.Stop()
	reconcile := time.NewTicker(w.cfg.ReconcileInterval)
	defer reconcile.Stop()
	resub := time.NewTimer(0)
	resub.Stop()
	defer resub.Stop()
	// resubscribe replaces a lost subscription: subscribe again first,
	// then dump, so nothing is missed.
	resubscribe := func() {
		sub.stop()
		gen++
		if sub, err = w.subscribe(n, gen); err != nil {
			w.log.Error("netlink subscribe failed; retrying", "err", err)
			sub = &subscription{done: make(chan struct{})}
			resub.Reset(w.cfg.RetryMax)
			return
		}
		dumpLinux()
		w.flush(ctx)
	}

	reconnecting := true
	for {
		// Whatever dropped the connection (a failed call anywhere), dial
		// again with backoff.
		if w.vpp == nil && !reconnecting {
			reconnecting = true
			reconnect.Reset(backoff)
		}
		select {
		case <-ctx.Done():
			return nil
		case ev := <-w.events:
			w.handle(ev, gen)
			// Take whatever else is queued (up to a bound, so VPP is
			// not starved under a steady stream) before calling VPP: a
			// key that changes many times costs one call.
			for more := maxDrain; more > 0; more-- {
				select {
				case ev := <-w.events:
					w.handle(ev, gen)
				default:
					more = 0
				}
			}
			w.flush(ctx)
		case q := <-w.query:
			q()
		case g := <-w.lost:
			if g == gen {
				resubscribe()
			}
		case <-resub.C:
			resubscribe()
		case m, ok := <-w.vppEvents:
			if !ok {
				w.vppEvents = nil // the watch ended; the reconcile covers the rest
				continue
			}
			if e, ok := m.(*interfaces.SwInterfaceEvent); ok {
				w.vppEvent(e)
				w.flush(ctx)
			}
		case <-reconnect.C:
			reconnecting = false
			if err := w.connect(ctx); err != nil {
				w.log.Warn("VPP not reachable", "err", err, "retry", backoff)
				backoff = min(2*backoff, w.cfg.RetryMax)
				continue
			}
			backoff = w.cfg.RetryMin
		case <-ping.C:
			if w.vpp == nil {
				continue
			}
			pid, err := w.vpp.ping(ctx)
			switch {
			case err != nil:
				w.log.Warn("VPP connection lost", "err", err)
				w.disconnect()
			case pid != w.pid.Load():
				w.log.Warn("VPP restarted", "old_pid", w.pid.Load(), "pid", pid)
				w.disconnect()
			default:
				w.retryFailed(ctx)
			}
		case <-relist.C:
			dumpLinux()
			w.flush(ctx)
		case <-reconcile.C:
			dumpLinux()
			if w.vpp != nil {
				if err := w.resyncVPP(ctx); err != nil {
					w.vppFailed(err)
					continue
				}
			}
			w.flush(ctx)
		}
	}
}

// maxDrain is how many queued netlink events are applied before a flush.
const maxDrain = 1 << 16

type logger = interface {
	Debug(msg string, args ...any)
	Info(msg string, args ...any)
	Warn(msg string, args ...any)
	Error(msg string, args ...any)
}

// handle applies one netlink event to the mirror.
func (w *Watcher) handle(ev nlEvent, gen uint64) {
	if ev.gen != gen {
		return // from a subscription already replaced by a re-dump
	}
	w.stats.events.Add(1)
	switch ev.kind {
	case evLink:
		old, had := w.linux.links[ev.ifindex]
		if ev.deleted {
			w.linux.delLink(ev.ifindex)
		} else {
			w.linux.setLink(ev.link)
		}
		if !had || ev.deleted || old.Name != ev.link.Name {
			w.resolve()
			w.pairsStale = true
		}
		w.dirty.links[ev.ifindex] = true
	case evAddr:
		if w.linux.setAddr(ev.ifindex, ev.prefix, !ev.deleted) {
			w.dirty.addrs[ev.ifindex] = true
		}
	case evNeigh:
		if w.linux.setNeigh(ev.ifindex, ev.ip, ev.mac, ev.state, ev.deleted) {
			w.dirty.neighs[neighKey{ev.ifindex, ev.ip}] = true
		}
	}
}

// retryFailed tries again what VPP refused, first after a second, then
// twice as long each time up to a minute while VPP keeps refusing.
func (w *Watcher) retryFailed(ctx context.Context) {
	if w.failed.empty() {
		w.retry.delay = 0
		return
	}
	now := time.Now()
	if now.Before(w.retry.next) {
		return
	}
	w.retry.delay = min(max(2*w.retry.delay, time.Second), time.Minute)
	w.retry.next = now.Add(w.retry.delay)
	w.dirty.merge(w.failed)
	w.failed = newDirtySet()
	w.flush(ctx)
}

// vppEvent handles an sw_interface_event: a deleted interface makes the
// pairs be read again; an admin state Linux did not ask for is put back.
func (w *Watcher) vppEvent(e *interfaces.SwInterfaceEvent) {
	sw := uint32(e.SwIfIndex)
	if e.Deleted {
		delete(w.applied, sw)
		w.pairsStale = true
		return
	}
	a := w.applied[sw]
	if a == nil {
		return
	}
	a.Up = e.Flags&interface_types.IF_STATUS_API_FLAG_ADMIN_UP != 0
	for ifindex, s := range w.table.Load().byIfindex {
		if s == sw {
			w.dirty.links[int(ifindex)] = true
		}
	}
}

// resyncLinux replaces the mirror with a fresh dump. When the dump fails
// (typically interrupted by changes while the tables are busy) it keeps
// the old mirror and reports false: the caller tries again soon.
func (w *Watcher) resyncLinux(n *nlNamespace) bool {
	w.stats.resyncs.Add(1)
	st, err := n.dump()
	if err != nil {
		w.log.Warn("netlink dump failed; trying again", "err", err)
		return false
	}
	w.linux = st
	w.resolve()
	w.dirty.all = true
	return true
}

// connect dials VPP and restores everything.
func (w *Watcher) connect(ctx context.Context) error {
	v, pid, err := dialVPP(ctx, w.cfg.Socket, w.cfg.ConnectTimeout, w.cfg.ReplyTimeout, w.stats)
	if err != nil {
		return err
	}
	w.stats.connects.Add(1)
	if old := w.pid.Load(); old != 0 && old != pid {
		w.stats.restarts.Add(1)
		w.restore = true
		w.log.Info("new VPP instance: restoring pairs, addresses and neighbours", "pid", pid)
	}
	w.vpp = v
	if w.vppEvents, err = v.watchInterfaces(ctx); err != nil {
		w.vppFailed(err)
		return err
	}
	w.pid.Store(pid)
	w.connected.Store(true)
	w.applied = map[uint32]*vppIf{}
	if err := w.resyncVPP(ctx); err != nil {
		w.vppFailed(err)
		return err
	}
	w.flush(ctx)
	return nil
}

func (w *Watcher) disconnect() {
	if w.vpp != nil {
		w.vpp.close()
		w.vpp = nil
	}
	w.vppEvents = nil
	w.connected.Store(false)
	w.applied = map[uint32]*vppIf{}
}

// vppFailed drops the connection after a failed call that was not a
// refusal (VPP answered with an error); the caller reconnects.
func (w *Watcher) vppFailed(err error) {
	w.log.Warn("VPP call failed; reconnecting", "err", err)
	w.disconnect()
}

// resyncVPP refreshes the pair table (creating missing pairs) and reads
// what VPP holds on every paired interface.
func (w *Watcher) resyncVPP(ctx context.Context) error {
	if err := w.refreshPairs(ctx); err != nil {
		return err
	}
	w.applied = map[uint32]*vppIf{}
	if err := w.loadApplied(ctx); err != nil {
		return err
	}
	w.dirty.all = true
	w.readyOnce.Do(func() { close(w.ready) })
	return nil
}

// loadApplied reads VPP's state of every paired interface not yet known.
func (w *Watcher) loadApplied(ctx context.Context) error {
	var missing []uint32
	for _, sw := range w.table.Load().byIfindex {
		if w.applied[sw] == nil {
			missing = append(missing, sw)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	ifs, err := w.vpp.interfaces(ctx)
	if err != nil {
		return err
	}
	neighs, err := w.vpp.neighs(ctx)
	if err != nil {
		return err
	}
	for _, sw := range missing {
		a := newVppIf()
		a.Up, a.MTU = ifs[sw].Up, ifs[sw].MTU
		if a.Addrs, err = w.vpp.addrs(ctx, sw); err != nil {
			return err
		}
		if neighs[sw] != nil {
			a.Neighs = neighs[sw]
		}
		w.applied[sw] = a
	}
	return nil
}

// neighKey names one neighbour on a Linux interface.
type neighKey struct {
	ifindex int
	ip      netip.Addr
}

// dirtySet is what changed on the Linux side since the last flush.
type dirtySet struct {
	all    bool
	links  map[int]bool
	addrs  map[int]bool
	neighs map[neighKey]bool
}

func newDirtySet() dirtySet {
	return dirtySet{links: map[int]bool{}, addrs: map[int]bool{}, neighs: map[neighKey]bool{}}
}

func (d *dirtySet) merge(o dirtySet) {
	d.all = d.all || o.all
	maps.Copy(d.links, o.links)
	maps.Copy(d.addrs, o.addrs)
	maps.Copy(d.neighs, o.neighs)
}

func (d *dirtySet) empty() bool {
	return !d.all && len(d.links) == 0 && len(d.addrs) == 0 && len(d.neighs) == 0
}

// flush sends VPP what it takes to match Linux for every dirty key. It
// keeps the keys dirty while VPP is away; keys VPP refuses wait for the
// next ping tick.
func (w *Watcher) flush(ctx context.Context) {
	if w.vpp == nil {
		return
	}
	if w.pairsStale {
		w.pairsStale = false
		if err := w.refreshPairs(ctx); err != nil {
			w.vppFailed(err)
			return
		}
	}
	if w.dirty.empty() {
		return
	}
	if err := w.loadApplied(ctx); err != nil {
		w.vppFailed(err)
		return
	}
	d := w.dirty
	w.dirty = newDirtySet()
	t := w.table.Load()
	var batch []neighOp
	for ifindex, sw := range t.byIfindex {
		i := int(ifindex)
		a := w.applied[sw]
		if a == nil {
			continue
		}
		if d.all || d.links[i] {
			if l, ok := w.linux.links[i]; ok && !w.send(ctx, sw, a, diffLink(l, a)) {
				w.failed.links[i] = true
			}
		}
		if d.all || d.addrs[i] || d.links[i] {
			if !w.send(ctx, sw, a, diffAddrs(w.linux.addrs[i], a)) {
				w.failed.addrs[i] = true
			}
		}
		if d.all || d.links[i] {
			for _, o := range diffNeighs(w.linux.neighs[i], a) {
				batch = append(batch, neighOp{neighKey{i, o.IP}, sw, o})
			}
		}
		if w.vpp == nil {
			w.dirty.merge(d)
			return
		}
	}
	if !d.all {
		for k := range d.neighs {
			sw, ok := t.byIfindex[uint32(k.ifindex)]
			if !ok || d.links[k.ifindex] || w.applied[sw] == nil {
				continue
			}
			for _, o := range diffNeigh(k.ip, w.linux.neighs[k.ifindex], w.applied[sw]) {
				batch = append(batch, neighOp{k, sw, o})
			}
		}
	}
	w.sendNeighs(ctx, batch)
	if w.vpp == nil {
		w.dirty.merge(d)
	}
}

// neighOp is one neighbour call of a flush.
type neighOp struct {
	key neighKey
	sw  uint32
	op  op
}

// sendNeighs pipelines the neighbour calls of a flush (they are
// independent of each other).
func (w *Watcher) sendNeighs(ctx context.Context, batch []neighOp) {
	reqs := make([]api.Message, len(batch))
	for i, n := range batch {
		reqs[i] = neighReq(n.sw, n.op)
	}
	err := w.vpp.pipeline(ctx, reqs, func(int) api.Message { return &ip_neighbor.IPNeighborAddDelReply{} }, func(i int, err error) {
		n := batch[i]
		if err = neighResult(n.op, err); err != nil {
			w.log.Warn("VPP refused a neighbour", "err", err, "sw_if_index", n.sw, "op", n.op.Kind.String(), "ip", n.op.IP)
			w.failed.neighs[n.key] = true
			return
		}
		if a := w.applied[n.sw]; a != nil {
			a.apply(n.op)
		}
	})
	if err != nil {
		w.vppFailed(err)
	}
}

// send applies ops in order; it stops at the first failure and reports
// whether all went through. A transport error drops the connection.
func (w *Watcher) send(ctx context.Context, sw uint32, a *vppIf, ops []op) bool {
	for _, o := range ops {
		if w.vpp == nil {
			return false
		}
		err := w.vpp.do(ctx, sw, o)
		if err == nil {
			a.apply(o)
			continue
		}
		var ve api.VPPApiError
		if !errors.As(err, &ve) {
			w.vppFailed(err)
			return false
		}
		w.log.Warn("VPP refused a change", "err", err, "sw_if_index", sw, "op", o.Kind.String(), "prefix", o.Prefix, "ip", o.IP)
		return false
	}
	return true
}
