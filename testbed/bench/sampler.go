package main

import "time"

// sample is a count of routes at a moment.
type sample struct {
	At time.Time
	N  int
}

// sampler calls a counter at a fixed interval until stopped.
type sampler struct {
	quit chan struct{}
	done chan []sample
}

// startSampler samples f every interval, starting now. f returns false
// to skip a sample.
func startSampler(every time.Duration, f func() (int, bool)) *sampler {
	s := &sampler{quit: make(chan struct{}), done: make(chan []sample, 1)}
	go func() {
		var out []sample
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if n, ok := f(); ok {
				out = append(out, sample{At: time.Now(), N: n})
			}
			select {
			case <-t.C:
			case <-s.quit:
				if n, ok := f(); ok {
					out = append(out, sample{At: time.Now(), N: n})
				}
				s.done <- out
				return
			}
		}
	}()
	return s
}

// stop takes a last sample and returns them all.
func (s *sampler) stop() []sample {
	close(s.quit)
	return <-s.done
}

// points turns samples into plot points relative to t0, which is when
// the count was 0.
func points(ss []sample, t0 time.Time) []point {
	out := []point{{T: 0, V: 0}}
	for _, s := range ss {
		if !s.At.After(t0) {
			continue
		}
		out = append(out, point{T: s.At.Sub(t0).Seconds(), V: float64(s.N)})
	}
	return out
}

// withEnd ends a line at the exact end, when the count reached n: later
// samples are dropped.
func withEnd(ps []point, end time.Duration, n int) []point {
	t := end.Seconds()
	var out []point
	for _, p := range ps {
		if p.T < t && p.V < float64(n) {
			out = append(out, p)
		}
	}
	return append(out, point{T: t, V: float64(n)})
}
