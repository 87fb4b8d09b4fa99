package vpp

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/lcpfib/lcpfib/rib"
)

// Failure is a route VPP refused, kept until a later attempt succeeds or
// the route is no longer wanted.
type Failure struct {
	Key      rib.Key
	Err      string    // VPP's answer to the last attempt
	Attempts int       // attempts so far
	Since    time.Time // first failure
	Next     time.Time // next attempt
}

// failures tracks refused routes and when to try them again: the first
// retry after RetryMin, doubling up to RetryMax. One bad route never holds
// up the others: it is simply handed back to the rib when its time comes.
type failures struct {
	min, max time.Duration
	mu       sync.Mutex
	m        map[rib.Key]*Failure
}

func newFailures(min, max time.Duration) *failures {
	return &failures{min: min, max: max, m: map[rib.Key]*Failure{}}
}

func (f *failures) failed(k rib.Key, err error, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fl := f.m[k]
	if fl == nil {
		fl = &Failure{Key: k, Since: now}
		f.m[k] = fl
	}
	fl.Attempts++
	fl.Err = err.Error()
	d := f.min << min(fl.Attempts-1, 20)
	if d <= 0 || d > f.max {
		d = f.max
	}
	fl.Next = now.Add(d)
}

func (f *failures) succeeded(k rib.Key) {
	f.mu.Lock()
	if len(f.m) > 0 { // nearly always empty: spare hashing the key
		delete(f.m, k)
	}
	f.mu.Unlock()
}

// due returns the keys whose next attempt has come.
func (f *failures) due(now time.Time) []rib.Key {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []rib.Key
	for k, fl := range f.m {
		if !fl.Next.After(now) {
			out = append(out, k)
			fl.Next = now.Add(f.max) // until the attempt's reply says more
		}
	}
	return out
}

func (f *failures) list() []Failure {
	f.mu.Lock()
	out := make([]Failure, 0, len(f.m))
	for _, fl := range f.m {
		out = append(out, *fl)
	}
	f.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Since.Before(out[j].Since) })
	return out
}

func (f *failures) len() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.m)
}

// retryLoop hands due failures back to the rib until ctx is done.
func (p *Programmer) retryLoop(ctx context.Context) error {
	t := time.NewTicker(p.cfg.RouteRetryMin / 2)
	defer t.Stop()
	for {
		select {
		case now := <-t.C:
			if keys := p.fails.due(now); len(keys) > 0 {
				p.log.Info("retrying routes VPP refused", "routes", len(keys))
				if err := p.desired.Retry(ctx, keys); err != nil {
					return nil
				}
			}
		case <-ctx.Done():
			return nil
		}
	}
}
