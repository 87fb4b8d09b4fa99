package rib

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"
)

// Options configure a RIB.
type Options struct {
	// Preference lists sources from most to least preferred; when two
	// sources announce the same key, the first one listed wins. Sources not
	// listed rank after those listed. Default: FRR, then BIRD.
	Preference []Source
	// Expect lists the sources that will replay their tables (FRR's zebra
	// does on every connection). Routes an earlier lcpfib left in the
	// dataplane (see Adopt) are swept only once every expected source has
	// completed a replay. Default: FRR.
	Expect []Source
	// RenewOnReplay hands the dataplane unchanged routes too while their
	// source replays, so it can confirm them to the daemon (zebra's
	// install notifications); the dataplane makes no call for them.
	RenewOnReplay bool
	// InputQueue bounds how many Updates may wait for the RIB goroutine.
	// Default 64.
	InputQueue int
	Logger     *slog.Logger
}

// RIB holds the desired forwarding state. One goroutine (Run) owns it; other
// goroutines talk to it through Apply, Next, Routes and Resync.
//
// Between the RIB and the dataplane, pending work is a set of dirty keys in
// arrival order, not a queue of changes: the dataplane always receives the
// latest route for a key, so memory stays bounded by the number of keys
// however fast sources change them.
type RIB struct {
	rank   map[Source]int
	expect []Source
	renew  bool
	log    *slog.Logger
	in     chan Update
	next   chan nextReq
	resync chan struct{}
	adopt  chan []Key
	retry  chan []Key
	query  chan func(*state) // read-only inspections (inspect), run on the owning goroutine
}

// Stats describe the desired state.
type Stats struct {
	Routes     int           // keys with a route
	Pending    int           // keys changed since the dataplane last took them
	Orphans    int           // keys the dataplane holds that no source renewed yet
	Replaying  int           // sources in the middle of a replay
	Resyncs    uint64        // replays started
	Swept      uint64        // routes withdrawn by sweeps
	LastSwept  int           // routes the last sweep withdrew
	LastResync time.Duration // how long the last completed replay took
	LastSweep  time.Duration // how long the last end-of-replay sweep took
}

type nextReq struct {
	ctx   context.Context
	max   int
	reply chan []Change // unbuffered: a change is handed over or kept, never lost
}

// New returns a RIB; call Run to start it.
func New(o Options) *RIB {
	if o.Preference == nil {
		o.Preference = []Source{SourceFRR, SourceBIRD}
	}
	if o.Expect == nil {
		o.Expect = []Source{SourceFRR}
	}
	if o.InputQueue <= 0 {
		o.InputQueue = 64
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	rank := make(map[Source]int, len(o.Preference))
	for i, s := range o.Preference {
		rank[s] = i
	}
	return &RIB{
		rank:   rank,
		expect: o.Expect,
		renew:  o.RenewOnReplay,
		log:    o.Logger,
		in:     make(chan Update, o.InputQueue),
		next:   make(chan nextReq),
		resync: make(chan struct{}, 1),
		adopt:  make(chan []Key),
		retry:  make(chan []Key),
		query:  make(chan func(*state)),
	}
}

// Adopt tells the RIB which keys the dataplane already holds on lcpfib's
// behalf, for example what a previous lcpfib programmed before it
// restarted. Keys no source asks for are withdrawn once every expected
// source has completed a replay, so nothing is removed while a daemon may
// still renew it.
func (r *RIB) Adopt(ctx context.Context, keys []Key) error {
	select {
	case r.adopt <- keys:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Retry hands keys to the dataplane again, with the route wanted now, for
// example after VPP refused them.
func (r *RIB) Retry(ctx context.Context, keys []Key) error {
	select {
	case r.retry <- keys:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stats returns the desired state's counters.
func (r *RIB) Stats(ctx context.Context) (Stats, error) { return inspect(ctx, r, (*state).statsNow) }

// Apply hands an Update to the RIB. It blocks only while the input queue is
// full, which the RIB drains without ever waiting for the dataplane.
func (r *RIB) Apply(ctx context.Context, u Update) error {
	select {
	case r.in <- u:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Next blocks until at least one key has changed since the dataplane last
// saw it, then returns up to max changes, oldest first, each carrying the
// route wanted now.
func (r *RIB) Next(ctx context.Context, max int) ([]Change, error) {
	if max <= 0 {
		return nil, fmt.Errorf("rib: next: max must be positive, got %d", max)
	}
	req := nextReq{ctx: ctx, max: max, reply: make(chan []Change)}
	select {
	case r.next <- req:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case cs := <-req.reply:
		return cs, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Resync marks every key dirty, so the dataplane receives the whole desired
// state again (after it lost its own, for example when VPP restarted).
func (r *RIB) Resync() {
	select {
	case r.resync <- struct{}{}:
	default: // one is already pending; it covers this one too
	}
}

// NexthopRef is a source's route that names a nexthop id: what the source
// needs to resolve it again when that nexthop changes.
type NexthopRef struct {
	Key       Key
	NexthopID uint32
	Protocol  uint8
}

// nexthopQuery asks for the routes of a source that name some nexthop ids.
// It travels through the input queue, so it is answered after every
// Update applied before it.
type nexthopQuery struct {
	ids   []uint32
	reply chan []NexthopRef // buffered: the RIB never waits for the asker
}

// RoutesByNexthop returns the routes of src that name one of ids
// (Route.NexthopID), as they stand once every Update src applied before
// has been applied. Only routes set since src's last ResyncBegin are
// returned: a daemon's nexthop ids need not survive its reconnection.
// It scans the whole state; it is meant for a nexthop change, which is
// rare next to route changes.
func (r *RIB) RoutesByNexthop(ctx context.Context, src Source, ids []uint32) ([]NexthopRef, error) {
	q := &nexthopQuery{ids: ids, reply: make(chan []NexthopRef, 1)}
	if err := r.Apply(ctx, Update{Source: src, query: q}); err != nil {
		return nil, err
	}
	select {
	case refs := <-q.reply:
		return refs, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Routes returns a copy of the desired state: the winning route of every key.
func (r *RIB) Routes(ctx context.Context) ([]Route, error) { return inspect(ctx, r, (*state).snapshot) }

func (r *RIB) apply(s *state, u Update) {
	if u.query != nil {
		u.query.reply <- s.byNexthop(u.Source, u.query.ids)
		return
	}
	swept := s.stats.Swept
	now := time.Now()
	s.apply(u, now)
	if u.Resync == ResyncEnd {
		s.stats.LastSweep = time.Since(now)
	}
	switch u.Resync {
	case ResyncBegin:
		r.log.Info("replay started: routes kept, marked stale", "source", u.Source, "routes", s.routes)
	case ResyncEnd:
		r.log.Info("replay complete: stale routes swept", "source", u.Source,
			"swept", s.stats.Swept-swept, "took", s.stats.LastResync, "routes", s.routes)
	}
}

// drainUpdates bounds how many queued updates are applied in a row before
// the dataplane is served again.
const drainUpdates = 8

// Run owns the desired state until ctx is done.
func (r *RIB) Run(ctx context.Context) error {
	s := newState(r.rank, r.expect, r.renew)
	var parked *nextReq
	for {
		select {
		case u := <-r.in:
			r.apply(s, u)
			// Apply a few more queued updates at once (cheaper than a
			// select each), but not so many that the dataplane starves
			// while a daemon sends a whole table.
		drain:
			for range drainUpdates {
				select {
				case u := <-r.in:
					r.apply(s, u)
				default:
					break drain
				}
			}
		case req := <-r.next:
			parked = &req
		case <-r.resync:
			s.markAll()
		case keys := <-r.adopt:
			s.adopt(keys)
			r.log.Info("adopted routes the dataplane holds", "routes", len(keys), "orphans", s.orphans.Len())
		case keys := <-r.retry:
			for _, k := range keys {
				s.markDirty(k.Pack())
			}
		case q := <-r.query:
			q(s)
		case <-ctx.Done():
			return nil
		}
		if parked != nil && s.pending() > 0 {
			cs := s.take(parked.max)
			select {
			case parked.reply <- cs:
			case <-parked.ctx.Done(): // the caller gave up: keep its changes
				for _, c := range cs {
					s.markDirty(c.Key.Pack())
				}
			}
			parked = nil
		}
	}
}
