package vpp

import (
	"context"
	"sync/atomic"
	"time"
)

// pacer bounds the request rate to VPP: route programming runs under VPP's
// worker barrier on its main thread, and an operator may want to leave room
// for everything else VPP does. A token bucket of one tenth of a second's
// worth of requests; a zero rate means no bound. The rate follows src, so
// a reload (Programmer.SetMaxRate) takes effect at the next request.
type pacer struct {
	src    *atomic.Int64 // requests per second wanted now
	rate   float64       // requests per second in effect; 0: unbounded
	burst  float64
	tokens float64
	last   time.Time
}

func newPacer(rate int) *pacer {
	var src atomic.Int64
	src.Store(int64(rate))
	return followRate(&src)
}

// followRate returns a pacer whose rate is read from src.
func followRate(src *atomic.Int64) *pacer {
	p := &pacer{src: src}
	p.set(src.Load())
	return p
}

func (p *pacer) set(rate int64) {
	if rate <= 0 {
		p.rate, p.burst, p.tokens = 0, 0, 0
		return
	}
	p.rate = float64(rate)
	p.burst = max(p.rate/10, 1)
	p.tokens, p.last = p.burst, time.Now()
}

// wait takes one token, sleeping while the bucket is in debt. Debt rather
// than a sleep per missing token keeps the average rate right even when the
// timer sleeps longer than asked.
func (p *pacer) wait(ctx context.Context) error {
	if r := p.src.Load(); float64(r) != p.rate && (r > 0 || p.rate != 0) {
		p.set(r)
	}
	if p.rate == 0 {
		return nil
	}
	now := time.Now()
	p.tokens = min(p.burst, p.tokens+now.Sub(p.last).Seconds()*p.rate)
	p.last = now
	p.tokens--
	if p.tokens >= 0 {
		return nil
	}
	t := time.NewTimer(time.Duration(-p.tokens / p.rate * float64(time.Second)))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
