package vpp

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

func TestPacerBoundsRate(t *testing.T) {
	// 3,000 requests at 10,000/s take at least ~200 ms (the first 1,000,
	// a tenth of a second's worth, go out at once as the burst). This
	// checks the pacing logic, not the machine's speed: only a lower bound
	// is asserted, which a slow machine cannot break.
	p := newPacer(10000)
	ctx := context.Background()
	start := time.Now()
	for range 3000 {
		if err := p.wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d < 190*time.Millisecond {
		t.Fatalf("3,000 requests at 10,000/s took %v", d)
	}
	if err := newPacer(0).wait(ctx); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	slow := newPacer(1)
	slow.wait(cctx) // the burst token
	if err := slow.wait(cctx); err == nil {
		t.Fatal("wait on a cancelled context returned nil")
	}
}

// TestPacerFollowsRate: a new rate (a reload's vpp.max-rate) takes effect
// at the next request, including turning the bound off and on.
func TestPacerFollowsRate(t *testing.T) {
	var src atomic.Int64
	src.Store(1000)
	p := followRate(&src)
	ctx := context.Background()
	for _, tc := range []struct {
		set         int64
		rate, burst float64
	}{{1000, 1000, 100}, {0, 0, 0}, {5, 5, 1}, {20000, 20000, 2000}} {
		src.Store(tc.set)
		if err := p.wait(ctx); err != nil {
			t.Fatal(err)
		}
		if p.rate != tc.rate || p.burst != tc.burst {
			t.Errorf("rate set to %d: pacer at %v/s, burst %v; want %v, %v", tc.set, p.rate, p.burst, tc.rate, tc.burst)
		}
	}
}
