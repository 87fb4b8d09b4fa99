package vpp

import (
	"context"
	"time"
)

// pacer bounds the request rate to VPP: route programming runs under VPP's
// worker barrier on its main thread, and an operator may want to leave room
// for everything else VPP does. A token bucket of one tenth of a second's
// worth of requests; a zero rate means no bound.
type pacer struct {
	rate   float64 // requests per second; 0: unbounded
	burst  float64
	tokens float64
	last   time.Time
}

func newPacer(rate int) *pacer {
	if rate <= 0 {
		return &pacer{}
	}
	b := max(float64(rate)/10, 1)
	return &pacer{rate: float64(rate), burst: b, tokens: b, last: time.Now()}
}

// wait takes one token, sleeping while the bucket is in debt. Debt rather
// than a sleep per missing token keeps the average rate right even when the
// timer sleeps longer than asked.
func (p *pacer) wait(ctx context.Context) error {
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
