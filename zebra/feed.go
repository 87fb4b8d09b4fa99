package zebra

import (
	"cmp"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/lcpfib/lcpfib/fpm"
	"github.com/lcpfib/lcpfib/rib"
	"github.com/mdlayher/netlink"
)

// DefaultMaxBatch is the default size bound of an Update.
const DefaultMaxBatch = 512

// Log attribute keys.
const (
	logKeyErr    = "err"
	logKeyConn   = "conn"
	logKeyRemote = "remote"
	logKeyBytes  = "bytes"
)

// A Sink takes the Feed's batches of route changes; the rib implements it.
// Apply may block (that is the backpressure that slows the reading of
// zebra's stream) and must return when ctx is done. An error resets the
// zebra connection, after which zebra replays everything.
type Sink interface {
	Apply(ctx context.Context, u rib.Update) error
}

// A NexthopIndex is a Sink that keeps each route's Route.NexthopID and can
// list the routes naming some ids (the rib does). With one, the Feed keeps
// no per-route state of its own for the routes it handed on: only for the
// few it holds back (see Feed). RoutesByNexthop must answer after every
// Update applied before it.
type NexthopIndex interface {
	Sink
	RoutesByNexthop(ctx context.Context, src rib.Source, ids []uint32) ([]rib.NexthopRef, error)
}

// Options configure a Feed.
type Options struct {
	// Logger receives skipped messages (at debug level, with their bytes)
	// and connection events. Nil discards.
	Logger *slog.Logger

	// MaxBatch bounds an Update: a batch is handed on when it holds this
	// many changes at the end of a frame, even if more frames are waiting.
	// Zero means DefaultMaxBatch.
	MaxBatch int

	// LegacyWeights reads rtnh_hops as the weight itself rather than the
	// weight minus one. FRR's legacy fpm:netlink module writes it that way
	// (it sends hops 1 for equal-cost paths); dplane_fpm_nl follows the
	// kernel.
	LegacyWeights bool

	// ReplayMax bounds a replay: zebra sends no end marker, so the replay
	// ends at the first quiet period (the fpm server's idle callback, see
	// Idle) or, under constant churn, after ReplayMax. Zero means
	// DefaultReplayMax.
	ReplayMax time.Duration
}

// DefaultReplayMax is the default bound of a replay: a full table takes
// zebra about a minute to send on a small machine.
const DefaultReplayMax = 10 * time.Minute

// A Feed turns zebra's FPM stream into rib updates. It implements
// fpm.Handler and, like every Handler, is called from one goroutine at a
// time; only Counters may be called concurrently.
type Feed struct {
	sink Sink
	opts Options
	log  *slog.Logger
	c    counters

	// index is sink as a NexthopIndex, or nil.
	index NexthopIndex

	// State of the current connection, owned by the calling goroutine.
	conn uint64
	nh   nexthopTable
	nhmu sync.RWMutex // taken by the owner to change nh, and by NexthopGroups to read it (show.go)
	// aside are routes that name a nexthop id and that the sink cannot be
	// asked about: those held for their nexthop or skipped as connected
	// (a handful), and, when the sink is no NexthopIndex, all of them.
	aside     map[rib.Packed]nhgRoute
	held      int // of aside, how many wait for their nexthop
	batch     batch
	frameDels []rib.Key // DELROUTEs of the current frame not (yet) followed by a NEWROUTE

	replaying bool      // zebra is replaying its table on this connection
	started   time.Time // when the connection (and its replay) started
}

// nhgRoute is a route that names a nexthop id (RTA_NH_ID): what is needed
// to re-emit it when the nexthop changes.
type nhgRoute struct {
	nhid     uint32
	protocol uint8
	held     bool // the nexthop is not known: withdrawn until it arrives
}

var (
	_ fpm.Handler     = (*Feed)(nil)
	_ fpm.IdleHandler = (*Feed)(nil)
)

// NewFeed returns a Feed that hands its batches to sink.
func NewFeed(sink Sink, opts Options) *Feed {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = DefaultMaxBatch
	}
	if opts.ReplayMax <= 0 {
		opts.ReplayMax = DefaultReplayMax
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	index, _ := sink.(NexthopIndex)
	return &Feed{
		sink:  sink,
		index: index,
		opts:  opts,
		log:   log,
		nh:    newNexthopTable(),
		aside: make(map[rib.Packed]nhgRoute),
		batch: newBatch(),
	}
}

// Counters returns the Feed's counters. It is safe to call at any time.
func (f *Feed) Counters() Counters { return f.c.snapshot() }

// Connected starts a new zebra connection (fpm.Handler).
func (f *Feed) Connected(ctx context.Context, conn uint64, remote net.Addr) error {
	f.c.connections.Add(1)
	f.log.Debug("zebra connection starts", logKeyConn, conn, logKeyRemote, remote)
	f.resync(conn)
	// Everything the rib holds from zebra stays (and keeps forwarding)
	// while zebra replays; what the replay does not renew is swept at its
	// end.
	f.replaying, f.started = true, time.Now()
	if err := f.sink.Apply(ctx, rib.Update{Source: rib.SourceFRR, Resync: rib.ResyncBegin}); err != nil {
		return fmt.Errorf("zebra: starting replay: %w", err)
	}
	return nil
}

// Idle says zebra has sent nothing for the server's idle period
// (fpm.IdleHandler): the replay, if one is running, is over.
func (f *Feed) Idle(ctx context.Context, conn uint64) error {
	if !f.replaying {
		return nil
	}
	return f.endReplay(ctx, false)
}

// endReplay hands on what is pending, then the end-of-replay marker that
// makes the rib sweep what the replay did not renew.
func (f *Feed) endReplay(ctx context.Context, timeout bool) error {
	if err := f.flush(ctx); err != nil {
		return err
	}
	f.replaying = false
	took := time.Since(f.started)
	if err := f.sink.Apply(ctx, rib.Update{Source: rib.SourceFRR, Resync: rib.ResyncEnd}); err != nil {
		return fmt.Errorf("zebra: ending replay: %w", err)
	}
	f.c.replays.Add(1)
	if timeout {
		f.c.replaysByTimeout.Add(1)
	}
	f.c.lastReplayNanos.Store(int64(took))
	f.log.Info("zebra replay complete", logKeyConn, f.conn, "took", took, "by_timeout", timeout)
	return nil
}

// resync is the hook for a new connection. zebra replays every nexthop and
// route on it with no end marker, and its nexthop ids are not stable across
// connections, so the previous connection's nexthop table and route index
// are dropped here.
//
// Routes the rib holds from the previous connection stay (Connected marks
// them stale in the rib); the replay renews them, and what it does not
// renew is swept when it ends (Idle).
func (f *Feed) resync(conn uint64) {
	f.conn = conn
	f.nhmu.Lock()
	f.nh = newNexthopTable()
	f.nhmu.Unlock()
	f.aside = make(map[rib.Packed]nhgRoute)
	f.held = 0
	f.frameDels = f.frameDels[:0]
	f.updateGauges()
}

// Frame handles the netlink messages of one FPM frame (fpm.Handler). A
// message that cannot be used is counted, logged at debug level and
// skipped; the first such error is returned (it matches fpm.ErrSkip) after
// the rest of the frame has been handled. Other errors come from the sink.
func (f *Feed) Frame(ctx context.Context, conn uint64, payload []byte) error {
	f.c.frames.Add(1)
	f.frameDels = f.frameDels[:0]
	var skipped error
	for b := payload; len(b) > 0; {
		nm, rest, err := nextMessage(b)
		if err != nil {
			// The rest of the frame cannot be split into messages.
			skipped = cmp.Or(skipped, f.skip(ctx, err, b))
			break
		}
		raw := b[:len(b)-len(rest)]
		b = rest
		f.c.messages.Add(1)
		if err := f.handle(ctx, nm); err != nil {
			var se *sinkError
			if errors.As(err, &se) {
				return se.err
			}
			skipped = cmp.Or(skipped, f.skip(ctx, err, raw))
		}
	}
	// DELROUTEs not followed by a NEWROUTE for the same key.
	f.c.routesDeleted.Add(uint64(len(f.frameDels)))
	f.frameDels = f.frameDels[:0]
	f.updateGauges()

	// The bound is checked between frames only, so that a DELROUTE and
	// NEWROUTE of one frame always land in the same Update.
	if f.batch.len() >= f.opts.MaxBatch {
		if err := f.flush(ctx); err != nil {
			return err
		}
		// Checked with each full batch: cheap, and often enough.
		if f.replaying && time.Since(f.started) > f.opts.ReplayMax {
			if err := f.endReplay(ctx, true); err != nil {
				return err
			}
		}
	}
	return skipped
}

// Flush hands the pending changes to the sink (fpm.Handler).
func (f *Feed) Flush(ctx context.Context, conn uint64) error {
	if f.replaying && time.Since(f.started) > f.opts.ReplayMax {
		return f.endReplay(ctx, true)
	}
	return f.flush(ctx)
}

// Disconnected ends a connection (fpm.Handler). Its nexthop table is kept
// until the next connection starts, so nothing is withdrawn.
func (f *Feed) Disconnected(conn uint64, err error) {
	f.log.Debug("zebra connection ends", logKeyConn, conn, logKeyErr, err)
}

func (f *Feed) flush(ctx context.Context) error {
	if f.batch.len() == 0 {
		return nil
	}
	u := f.batch.take()
	f.c.batches.Add(1)
	if err := f.sink.Apply(ctx, u); err != nil {
		f.c.batchErrors.Add(1)
		return fmt.Errorf("zebra: handing on %d changes: %w", len(u.Set)+len(u.Del), err)
	}
	return nil
}

// sinkError is a failure of the sink met while handling a message: it
// resets the connection rather than skipping the message.
type sinkError struct{ err error }

func (e *sinkError) Error() string { return e.err.Error() }

// handle dispatches one netlink message.
func (f *Feed) handle(ctx context.Context, nm netlink.Message) error {
	var err error
	switch nm.Header.Type {
	case TypeNewRoute, TypeDelRoute:
		var rm RouteMessage
		if err = rm.UnmarshalBinary(nm.Data); err == nil {
			if nm.Header.Type == TypeNewRoute {
				f.c.newRoute.Add(1)
				err = f.newRoute(&rm)
			} else {
				f.c.delRoute.Add(1)
				err = f.delRoute(&rm)
			}
		}
	case TypeNewNexthop, TypeDelNexthop:
		var m NexthopMessage
		if err = m.UnmarshalBinary(nm.Data); err == nil {
			if nm.Header.Type == TypeNewNexthop {
				f.c.newNexthop.Add(1)
				err = f.newNexthop(ctx, &m)
			} else {
				f.c.delNexthop.Add(1)
				err = f.delNexthop(ctx, &m)
			}
		}
	default:
		err = errUnsupported
	}
	if err == nil {
		return nil
	}
	if se := (*sinkError)(nil); errors.As(err, &se) {
		return se
	}
	e := &Error{Type: nm.Header.Type, Err: err}
	if len(nm.Data) > 0 {
		e.Family = nm.Data[0]
	}
	return e
}

// skip counts and logs a message that is skipped and returns err.
func (f *Feed) skip(ctx context.Context, err error, raw []byte) error {
	if e := (*Error)(nil); errors.As(err, &e) && e.Unsupported() {
		f.c.unsupported.Add(1)
	} else {
		f.c.decodeErrors.Add(1)
	}
	if f.log.Enabled(ctx, slog.LevelDebug) {
		f.log.DebugContext(ctx, "skipping netlink message", logKeyConn, f.conn,
			logKeyErr, err, logKeyBytes, hex.EncodeToString(raw))
	}
	return err
}

func (f *Feed) updateGauges() {
	f.c.nexthops.Store(uint64(len(f.nh.entries) - f.nh.groups))
	f.c.groups.Store(uint64(f.nh.groups))
	f.c.heldNow.Store(uint64(f.held))
}
