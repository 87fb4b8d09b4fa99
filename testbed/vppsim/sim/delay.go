package sim

import (
	"fmt"
	"time"
)

// A processing delay makes vppsim as slow as a real VPP. VPP handles API
// messages on its one main thread, so each request, control_ping
// included, holds the state lock for at least the delay: requests from
// every client queue behind it and throughput drops to about one request
// per delay. (VPP-API-NOTES.md: about 4.5 µs a message pipelined, 87 µs a
// round trip one request at a time.)

// WithDelay makes every request take at least d of the main thread; the
// default is 0 (as fast as vppsim goes).
func WithDelay(d time.Duration) Option {
	return func(c *config) { c.delay = d }
}

// SetDelay changes the delay while serving; it applies from the next
// request on.
func (s *Server) SetDelay(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("negative delay %v", d)
	}
	s.delay.Store(int64(d))
	return nil
}

// Delay returns the current delay.
func (s *Server) Delay() time.Duration { return time.Duration(s.delay.Load()) }

// spinBelow is how close to the deadline hold stops sleeping and spins:
// a sleep can overshoot by most of a millisecond, far more than the few
// microseconds a realistic delay is.
const spinBelow = time.Millisecond

// hold returns once d has passed since start, keeping the caller (and the
// lock it holds) busy as VPP's main thread would be.
func hold(start time.Time, d time.Duration) {
	deadline := start.Add(d)
	if rest := time.Until(deadline); rest > spinBelow {
		time.Sleep(rest - spinBelow)
	}
	for time.Now().Before(deadline) {
	}
}
