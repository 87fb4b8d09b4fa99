package vpp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/ip"
	"go.fd.io/govpp/core"

	"github.com/lcpfib/lcpfib/rib"
)

// Config configures the programmer.
type Config struct {
	Socket string // VPP API socket; default DefaultSocket
	// Window is how many requests may be in flight at once. Real VPP 25.10
	// takes ~11k routes/s one at a time and ~220k/s with 1024 in flight.
	Window int
	// MaxRate bounds the requests per second sent to VPP (0: no bound),
	// since route programming runs under VPP's worker barrier.
	MaxRate        int
	ReplyTimeout   time.Duration // deadline of every request; default 5 s
	ConnectTimeout time.Duration // default 5 s
	PingInterval   time.Duration // liveness check; default 1 s
	RetryMin       time.Duration // reconnect backoff; default 250 ms
	RetryMax       time.Duration // default 5 s
	// A route VPP refuses is tried again after RouteRetryMin, then after
	// twice as long each time, up to RouteRetryMax. Defaults 1 s and 1 min.
	RouteRetryMin time.Duration
	RouteRetryMax time.Duration
	// PlainSocketClient reads VPP's FIB and programs routes through
	// GoVPP's core and socketclient, which makes a write(2) for every
	// request, on the one connection to VPP, rather than through a
	// directStream on a second connection, whose client writes the
	// requests queued meanwhile together (see sockClient, directStream).
	PlainSocketClient bool
	// Results, when set, hears what became of every route the rib handed
	// on: nil when VPP holds it (programmed now or already), or why not.
	// It must not block.
	Results Results
	// Latency, when set, hears for every request VPP answered how long
	// it took from the rib handing the change over to VPP's reply. It is
	// called from the reply path and must not block.
	Latency func(time.Duration)
}

// Results hears what the dataplane did with routes.
type Results interface {
	Result(r *rib.Route, err error)
}

func (c *Config) setDefaults() {
	if c.Socket == "" {
		c.Socket = DefaultSocket
	}
	if c.Window <= 0 {
		c.Window = 1024
	}
	if c.ReplyTimeout <= 0 {
		c.ReplyTimeout = 5 * time.Second
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = 5 * time.Second
	}
	if c.PingInterval <= 0 {
		c.PingInterval = time.Second
	}
	if c.RetryMin <= 0 {
		c.RetryMin = 250 * time.Millisecond
	}
	if c.RetryMax <= 0 {
		c.RetryMax = 5 * time.Second
	}
	if c.RouteRetryMin <= 0 {
		c.RouteRetryMin = time.Second
	}
	if c.RouteRetryMax < c.RouteRetryMin {
		c.RouteRetryMax = max(time.Minute, c.RouteRetryMin)
	}
}

// Desired is the rib side the programmer pulls from.
type Desired interface {
	Next(ctx context.Context, max int) ([]rib.Change, error)
	Resync()
	Adopt(ctx context.Context, keys []rib.Key) error
	Retry(ctx context.Context, keys []rib.Key) error
}

// InterfaceSync is the interface table: it resolves Linux ifindexes and is
// refreshed from VPP on every (re)connect.
type InterfaceSync interface {
	Interfaces
	Sync(ctx context.Context, conn api.Connection) error
}

// Stats are the programmer's counters; read them with Programmer.Stats.
type Stats struct {
	Connected     bool
	VPP           Version
	Connects      uint64
	RoutesAdded   uint64 // adds and replaces VPP accepted
	RoutesDeleted uint64
	RouteErrors   uint64 // requests VPP refused
	Unresolved    uint64 // routes left out: no path on a paired interface
	Skipped       uint64 // routes of tables that are never programmed
	Unchanged     uint64 // changes VPP already held: no call made
	Failing       int    // routes VPP refused, waiting for their next attempt (see Failures)
	Installed     int    // entries VPP holds on lcpfib's behalf
	InFlight      int64
	MPLS          MPLSStats
}

// Programmer owns the VPP connection and programs changes from the rib.
type Programmer struct {
	cfg     Config
	desired Desired
	ifs     InterfaceSync
	log     *slog.Logger

	mu    sync.Mutex // guards ver, conn and inst for Stats
	ver   Version
	conn  bool
	inst  *installed // of the current session
	fails *failures
	mpls  mplsState // mpls.go
	// maxRate is the bound on requests per second in effect (show.go:
	// SetMaxRate); the pipeline's pacer follows it.
	maxRate atomic.Int64

	count struct {
		connects, added, deleted, errors, unresolved, skipped, unchanged atomic.Uint64
		inflight                                                         atomic.Int64
	}
}

// New returns a Programmer; call Run.
func New(cfg Config, desired Desired, ifs InterfaceSync, log *slog.Logger) *Programmer {
	cfg.setDefaults()
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	p := &Programmer{cfg: cfg, desired: desired, ifs: ifs, log: log, fails: newFailures(cfg.RouteRetryMin, cfg.RouteRetryMax)}
	p.maxRate.Store(int64(cfg.MaxRate))
	return p
}

// Refresh re-evaluates every desired route against the interface table,
// for example after an interface pair appeared or went: routes through a
// new pair are programmed, routes through a vanished one removed. Routes
// VPP already holds unchanged cost no call. It never blocks.
func (p *Programmer) Refresh() { p.desired.Resync() }

// Failures lists the routes VPP refused and when each is tried again.
func (p *Programmer) Failures() []Failure { return p.fails.list() }

// Stats returns a snapshot of the counters.
func (p *Programmer) Stats() Stats {
	p.mu.Lock()
	s := Stats{Connected: p.conn, VPP: p.ver}
	inst := p.inst
	p.mu.Unlock()
	if inst != nil {
		s.Installed = inst.len()
	}
	s.Unchanged = p.count.unchanged.Load()
	s.Failing = p.fails.len()
	s.Connects = p.count.connects.Load()
	s.RoutesAdded = p.count.added.Load()
	s.RoutesDeleted = p.count.deleted.Load()
	s.RouteErrors = p.count.errors.Load()
	s.Unresolved = p.count.unresolved.Load()
	s.Skipped = p.count.skipped.Load()
	s.InFlight = p.count.inflight.Load()
	s.MPLS = p.mpls.stats()
	return s
}

// Run connects to VPP, programs until ctx is done, and reconnects with
// backoff whenever the connection is lost. After every (re)connect the whole
// desired state is sent again.
func (p *Programmer) Run(ctx context.Context) error {
	backoff := p.cfg.RetryMin
	for {
		conn, ver, err := dial(ctx, p.cfg.Socket, p.cfg.ConnectTimeout)
		if err == nil {
			backoff = p.cfg.RetryMin
			p.count.connects.Add(1)
			p.setConnected(true, ver)
			p.log.Info("connected to VPP", "socket", p.cfg.Socket, "version", ver.Version, "pid", ver.PID)
			err = p.session(ctx, conn)
			conn.Disconnect()
			p.setConnected(false, ver)
		}
		if ctx.Err() != nil {
			return nil
		}
		p.log.Warn("VPP connection lost or refused; retrying", "socket", p.cfg.Socket, "err", err, "retry_in", backoff)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return nil
		}
		backoff = min(2*backoff, p.cfg.RetryMax)
	}
}

func (p *Programmer) setConnected(up bool, v Version) {
	p.mu.Lock()
	p.conn, p.ver = up, v
	p.mu.Unlock()
}

// session programs over one connection until it fails or ctx is done.
func (p *Programmer) session(ctx context.Context, conn *core.Connection) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	if err := p.ifs.Sync(ctx, conn); err != nil {
		return fmt.Errorf("resolving interfaces: %w", err)
	}
	// Route programming gets a connection of its own, a directStream on
	// sockClient, which writes pipelined requests together without GoVPP
	// core's per-request machinery, and reads VPP's FIB first; the other
	// dumps, pings and the rest stay on GoVPP's socketclient.
	pconn := (*core.Connection)(nil)
	if p.cfg.PlainSocketClient {
		pconn = conn
	}
	s, err := openStream(ctx, pconn, p.cfg.Socket, p.cfg.ConnectTimeout, p.cfg.ReplyTimeout, p.cfg.Window)
	if err != nil {
		return err
	}
	var walk walkFunc
	if ds, ok := s.(*directStream); ok {
		walk = ds.walkRoutes
	}

	// Start from what VPP holds: unchanged routes cost no call, and what an
	// earlier lcpfib programmed that no daemon renews is swept by the rib
	// once the daemons have replayed.
	t0 := time.Now()
	owned, tables, err := loadInstalled(ctx, conn, walk, p.cfg.ReplyTimeout)
	if err != nil {
		s.Close()
		return fmt.Errorf("reading VPP's FIB: %w", err)
	}
	if err := p.mpls.start(ctx, conn, p.cfg.ReplyTimeout, owned, p.log); err != nil {
		s.Close()
		return fmt.Errorf("reading VPP's MPLS FIB: %w", err)
	}
	inst := &installed{m: *owned}
	p.mu.Lock()
	p.inst = inst
	p.mu.Unlock()
	keys := make([]rib.Key, 0, owned.Len())
	for pk := range owned.All() {
		keys = append(keys, pk.Key())
	}
	p.log.Info("read VPP's FIB", "owned_routes", owned.Len(), "tables", len(tables), "took", time.Since(t0))
	if err := p.desired.Adopt(ctx, keys); err != nil {
		s.Close()
		return nil
	}
	p.desired.Resync()

	pl, err := newPipeline(ctx, s, p.cfg.Window, &p.maxRate, &p.count.inflight, p.reply)
	if err != nil {
		return err
	}

	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		cancel(pl.receive())
	}()
	go func() {
		defer wg.Done()
		cancel(p.retryLoop(ctx))
	}()
	go func() {
		defer wg.Done()
		cancel(p.watch(ctx, conn))
	}()

	err = p.feed(ctx, pl, inst, tables)
	cancel(err)
	pl.done()
	wg.Wait()
	pl.stream.Close()
	p.count.inflight.Store(0) // unanswered requests died with the connection
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return err
}

// watch pings VPP and fails when it stops answering or restarted.
func (p *Programmer) watch(ctx context.Context, conn *core.Connection) error {
	t := time.NewTicker(p.cfg.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-ctx.Done():
			return nil
		}
		pid, err := ping(ctx, conn, p.cfg.ReplyTimeout)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("VPP stopped answering: %w", err)
		}
		p.mu.Lock()
		old := p.ver.PID
		p.mu.Unlock()
		if pid != old {
			return fmt.Errorf("VPP restarted (pid %d, was %d)", pid, old)
		}
	}
}

// feed pulls changes from the rib and sends them into the pipeline.
func (p *Programmer) feed(ctx context.Context, pl *pipeline, inst *installed, tables map[tableKey]bool) error {
	for {
		changes, err := p.desired.Next(ctx, p.cfg.Window)
		if err != nil {
			return nil // ctx done
		}
		pl.handed = time.Now()
		for i := range changes {
			if err := p.send(ctx, pl, inst, tables, &changes[i]); err != nil {
				return err
			}
		}
	}
}

type tableKey struct {
	id  uint32
	ip6 bool
}

func (p *Programmer) send(ctx context.Context, pl *pipeline, inst *installed, tables map[tableKey]bool, c *rib.Change) error {
	if c.Key.IsLSP() {
		return p.sendLSP(ctx, pl, inst, c)
	}
	id, ok := TableID(c.Key.Table)
	if !ok {
		p.count.skipped.Add(1)
		p.log.Debug("skipping route of a table that is not programmed", "prefix", c.Key.Prefix, "table", c.Key.Table)
		return nil
	}
	var m *ip.IPRouteAddDel
	if c.Route != nil {
		var err error
		m, err = routeAdd(c.Route, id, p.ifs)
		if err != nil {
			var ue *UnresolvedError
			if !errors.As(err, &ue) {
				p.count.errors.Add(1)
				p.log.Error("cannot program route", "prefix", c.Key.Prefix, "table", c.Key.Table, "err", err)
				p.result(c.Route, err)
				return nil
			}
			p.count.unresolved.Add(1)
			p.log.Debug("route left out of VPP", "prefix", c.Key.Prefix, "table", c.Key.Table, "err", err)
			p.result(c.Route, err)
			// Whatever VPP held for this key is no longer what the daemon
			// selected: remove it rather than forward along a stale path.
			m = nil
		}
	}
	if c.Route == nil {
		p.fails.succeeded(c.Key) // no longer wanted: nothing to retry
	}
	if m == nil { // delete
		if !inst.remove(c.Key) {
			p.count.unchanged.Add(1)
			return nil
		}
		return pl.send(ctx, inflight{req: routeDel(c.Key.Prefix, id), key: c.Key})
	}
	// Recorded before the request goes: a failure to send it ends the
	// session, and the next one reads VPP's FIB afresh.
	if !inst.update(c.Key, digest(m.Route.Paths)) {
		p.count.unchanged.Add(1)
		p.result(c.Route, nil)
		return nil
	}
	tk := tableKey{id: id, ip6: c.Key.Prefix.Addr().Is6()}
	if !tables[tk] {
		if err := pl.send(ctx, inflight{req: tableAdd(tk), key: c.Key}); err != nil {
			return err
		}
		tables[tk] = true
	}
	if err := p.prepareLabelled(ctx, pl, c.Key, m.Route.Paths); err != nil {
		return err
	}
	return pl.send(ctx, inflight{req: m, key: c.Key, route: c.Route})
}

func (p *Programmer) result(r *rib.Route, err error) {
	if p.cfg.Results != nil && r != nil {
		p.cfg.Results.Result(r, err)
	}
}

// reply is called by the pipeline, in order, for every answered request.
func (p *Programmer) reply(f inflight, err error) {
	req, key := f.req, f.key
	if p.cfg.Latency != nil && !f.handed.IsZero() {
		p.cfg.Latency(time.Since(f.handed))
	}
	p.result(f.route, err)
	if p.mplsReply(f, err) {
		return
	}
	if err != nil {
		p.count.errors.Add(1)
		p.log.Error("VPP refused a request", "msg", req.GetMessageName(), "prefix", key.Prefix, "table", key.Table, "err", err)
		if _, isRoute := isRouteAdd(req); isRoute {
			p.mu.Lock()
			inst := p.inst
			p.mu.Unlock()
			inst.drop(key) // not known to be there any more
			p.fails.failed(key, err, time.Now())
		}
		return
	}
	if _, isRoute := isRouteAdd(req); isRoute {
		p.fails.succeeded(key)
	}
	if add, ok := isRouteAdd(req); ok {
		if add {
			p.count.added.Add(1)
		} else {
			p.count.deleted.Add(1)
		}
	}
}
