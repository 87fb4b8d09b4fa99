package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"
)

// progressInterval is how often progress is logged while work is pending.
const progressInterval = 5 * time.Second

// Progress describes the programming of a batch of work (a full table
// loading, a resync): from the moment changes wait for VPP until none do.
type Progress struct {
	Active   bool         `json:"active"`
	Started  time.Time    `json:"started,omitzero"`
	Done     uint64       `json:"done"`    // changes the programmer finished since Started
	Total    uint64       `json:"total"`   // Done + what is pending or in flight now
	Pending  int          `json:"pending"` // waiting in the rib
	InFlight int64        `json:"in_flight"`
	Rate     float64      `json:"routes_per_second"` // over the last interval
	ETA      jsonDuration `json:"eta"`               // at Rate; 0 when unknown
	// The last completed batch.
	LastDone uint64       `json:"last_done"`
	LastTook jsonDuration `json:"last_took"`
}

func (p Progress) String() string {
	last := "none yet"
	if p.LastDone > 0 {
		last = fmt.Sprintf("%d changes in %s", p.LastDone, time.Duration(p.LastTook).Round(time.Millisecond))
	}
	if !p.Active {
		return "idle; last batch " + last
	}
	return fmt.Sprintf("%d/%d done, %.0f routes/s, eta %s (pending %d, in flight %d); last batch %s",
		p.Done, p.Total, p.Rate, time.Duration(p.ETA).Round(time.Second), p.Pending, p.InFlight, last)
}

// progressSample is what progress reads at each tick.
type progressSample struct {
	pending  int
	inflight int64
	done     uint64 // every change the programmer finished, ever
}

// progress follows the programming of long work and logs it at a steady
// interval. Its goroutine (run) owns the state; current reads the last
// published copy.
type progress struct {
	log  *slog.Logger
	read func(ctx context.Context) (progressSample, error)
	cur  atomic.Pointer[Progress]

	// Owned by run.
	p        Progress
	base     uint64 // done when the batch started
	last     progressSample
	lastTime time.Time
}

func newProgress(log *slog.Logger, read func(context.Context) (progressSample, error)) *progress {
	pr := &progress{log: log, read: read}
	pr.cur.Store(&Progress{})
	return pr
}

func (pr *progress) current() Progress { return *pr.cur.Load() }

// run samples every interval until ctx is done.
func (pr *progress) run(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	sample := func(now time.Time) {
		sctx, cancel := context.WithTimeout(ctx, interval)
		s, err := pr.read(sctx)
		cancel()
		if err == nil { // else the rib was busy for a whole interval: next tick
			pr.step(now, s)
		}
	}
	sample(time.Now()) // a starting point, so the first interval has a rate
	for {
		select {
		case now := <-t.C:
			sample(now)
		case <-ctx.Done():
			return nil
		}
	}
}

// step folds one sample in, logs and publishes. Samples come an interval
// apart, so the start and the end of a batch are estimated from the rate:
// it started done/rate before the first busy sample (not before the
// previous sample), and ended eta after the last busy one (not after now).
func (pr *progress) step(now time.Time, s progressSample) {
	busy := s.pending > 0 || s.inflight > 0
	rate := 0.0
	if !pr.lastTime.IsZero() && s.done >= pr.last.done {
		if d := now.Sub(pr.lastTime).Seconds(); d > 0 {
			rate = float64(s.done-pr.last.done) / d
		}
	}
	switch {
	case busy && !pr.p.Active:
		pr.p = Progress{Active: true, Started: now, LastDone: pr.p.LastDone, LastTook: pr.p.LastTook}
		pr.base = pr.last.done // counters start at zero with the daemon
		if rate > 0 {
			pr.p.Started = now.Add(-time.Duration(float64(s.done-pr.base) / rate * float64(time.Second)))
		}
		if !pr.lastTime.IsZero() && pr.p.Started.Before(pr.lastTime) {
			pr.p.Started = pr.lastTime
		}
	case !busy && pr.p.Active:
		end := now
		if e := pr.lastTime.Add(time.Duration(pr.p.ETA)); pr.p.Rate > 0 && e.Before(now) {
			end = e
		}
		pr.p.Active = false
		pr.p.LastDone = s.done - pr.base
		took := end.Sub(pr.p.Started).Round(time.Millisecond)
		pr.p.LastTook = jsonDuration(took)
		avg := 0.0
		if took > 0 {
			avg = float64(pr.p.LastDone) / took.Seconds()
		}
		pr.log.Info("programming complete", "changes", pr.p.LastDone, "took", took, "routes_per_s", int(avg))
	}
	if pr.p.Active {
		pr.p.Done = s.done - pr.base
		pr.p.Pending, pr.p.InFlight = s.pending, s.inflight
		pr.p.Total = pr.p.Done + uint64(s.pending) + uint64(s.inflight)
		pr.p.Rate, pr.p.ETA = rate, 0
		if rate > 0 {
			eta := time.Duration(float64(pr.p.Total-pr.p.Done) / rate * float64(time.Second))
			pr.p.ETA = jsonDuration(eta.Round(time.Millisecond))
		}
		pr.log.Info("programming progress", "done", pr.p.Done, "total", pr.p.Total, "pending", s.pending,
			"in_flight", s.inflight, "routes_per_s", int(pr.p.Rate), "eta", time.Duration(pr.p.ETA).Round(time.Second))
	}
	pr.last, pr.lastTime = s, now
	p := pr.p
	pr.cur.Store(&p)
}

// progressSample reads the rib's queue and the programmer's counters.
func (d *daemon) progressSample(ctx context.Context) (progressSample, error) {
	rs, err := d.rib.Stats(ctx)
	if err != nil {
		return progressSample{}, err
	}
	vs := d.vpp.Stats()
	done := vs.RoutesAdded + vs.RoutesDeleted + vs.RouteErrors + vs.Unresolved + vs.Skipped + vs.Unchanged +
		vs.MPLS.LSPsAdded + vs.MPLS.LSPsDeleted + vs.MPLS.Skipped
	return progressSample{pending: rs.Pending, inflight: vs.InFlight, done: done}, nil
}
