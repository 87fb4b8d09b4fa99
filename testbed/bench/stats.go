package main

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"time"
)

// percentile returns the p-th percentile (0 < p <= 100) of sorted by the
// nearest-rank method: the smallest value with at least p % of the values
// at or below it. It returns 0 for no values.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// latencies summarises samples.
type latencies struct {
	N             int
	Missing       int // probes whose result never showed
	P50, P99, Max time.Duration
	Min, Mean     time.Duration
}

func summarize(samples []time.Duration, missing int) latencies {
	s := slices.Clone(samples)
	slices.Sort(s)
	l := latencies{N: len(s), Missing: missing}
	if len(s) == 0 {
		return l
	}
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	l.Min, l.Max, l.Mean = s[0], s[len(s)-1], sum/time.Duration(len(s))
	l.P50, l.P99 = percentile(s, 50), percentile(s, 99)
	return l
}

func (l latencies) String() string {
	if l.N == 0 {
		return "no samples"
	}
	s := fmt.Sprintf("p50 %s, p99 %s (min %s, max %s, n=%d)", ms(l.P50), ms(l.P99), ms(l.Min), ms(l.Max), l.N)
	if l.Missing > 0 {
		s += fmt.Sprintf(", %d missing", l.Missing)
	}
	return s
}

// ms formats a duration in milliseconds with 3 significant digits or so.
func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	switch {
	case v >= 10_000:
		return fmt.Sprintf("%.2f s", v/1000)
	case v >= 100:
		return fmt.Sprintf("%.0f ms", v)
	case v >= 10:
		return fmt.Sprintf("%.1f ms", v)
	default:
		return fmt.Sprintf("%.2f ms", v)
	}
}

// secs formats a duration in seconds.
func secs(d time.Duration) string {
	return fmt.Sprintf("%.2f s", d.Seconds())
}

// rate formats routes per second.
func rate(n int, d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return fmt.Sprintf("%s routes/s", thousands(int64(math.Round(float64(n)/d.Seconds()))))
}

// thousands writes n with comma separators.
func thousands(n int64) string {
	if n < 0 {
		return "-" + thousands(-n)
	}
	s := fmt.Sprint(n)
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// mib formats bytes in MiB.
func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

// threadAccount adds up the CPU time of goroutines that each run locked to
// their own OS thread (see onThread): the sender and the reader of the
// FPM connection, which share the benchmark's process with vppsim.
type threadAccount struct {
	mu   sync.Mutex
	live map[int]time.Duration // tid -> its CPU time when it started
	done time.Duration
}

func newThreadAccount() *threadAccount {
	return &threadAccount{live: make(map[int]time.Duration)}
}

// total returns the CPU time of every goroutine run so far, finished or
// not.
func (a *threadAccount) total() time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	t := a.done
	for tid, start := range a.live {
		if now, err := procCPU(os.Getpid(), tid); err == nil {
			t += now - start
		}
	}
	return t
}

// onThread runs fn on an OS thread of its own and accounts its CPU time
// to a. The thread is given back to the runtime afterwards.
func (a *threadAccount) onThread(fn func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid := syscall.Gettid()
	start, _ := procCPU(os.Getpid(), tid)
	a.mu.Lock()
	a.live[tid] = start
	a.mu.Unlock()
	defer func() {
		end, _ := procCPU(os.Getpid(), tid)
		a.mu.Lock()
		delete(a.live, tid)
		a.done += end - start
		a.mu.Unlock()
	}()
	fn()
}

// cpuSnap is the CPU time used so far by everyone involved.
type cpuSnap struct {
	at      time.Time
	machine machineCPU
	self    time.Duration // this process: vppsim, the sender, the sampler
	sender  time.Duration // the sender's and reader's threads
	lcpfib  time.Duration
}

// cpuUse is the CPU time everyone used between two snapshots.
type cpuUse struct {
	Wall                         time.Duration
	LCPFIB, Sender, Sim, Others  time.Duration
	MachineBusy, MachineCapacity time.Duration
}

func (a cpuSnap) to(b cpuSnap) cpuUse {
	u := cpuUse{
		Wall:            b.at.Sub(a.at),
		LCPFIB:          b.lcpfib - a.lcpfib,
		Sender:          b.sender - a.sender,
		MachineBusy:     b.machine.Busy - a.machine.Busy,
		MachineCapacity: b.machine.Total - a.machine.Total,
	}
	u.Sim = max(b.self-a.self-u.Sender, 0)
	u.Others = max(u.MachineBusy-u.LCPFIB-u.Sender-u.Sim, 0)
	return u
}

// cores is CPU time per wall time.
func cores(cpu, wall time.Duration) string {
	if wall <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", cpu.Seconds()/wall.Seconds())
}
