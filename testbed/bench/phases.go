package main

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"go.fd.io/govpp/binapi/fib_types"
	"go.fd.io/govpp/binapi/ip"

	"github.com/lcpfib/lcpfib/testbed/vppsim/sim"
	"github.com/lcpfib/lcpfib/vpp"
)

// loadResult is the first load of the table.
type loadResult struct {
	Frames  int
	Bytes   int64
	First   time.Time // the first byte went into the socket
	Sent    time.Time // the last byte went into the socket
	End     time.Time // VPP held the whole table
	Took    time.Duration
	EndBy   string
	CPU     cpuUse
	Samples []sample

	Mem     memStatus // right at the end of the load
	Settled memStatus // once lcpfib ended the connection's replay (fpm.replay-quiet later)
	GCs     []gcLine  // gctrace lines up to then
}

// progress returns a counter of the routes VPP took since a mark: with
// vppsim its changes after seq; with a real VPP the install
// notifications after base.
func (b *bench) progress(seq uint64, base int) func() (int, bool) {
	if b.t.sim != nil {
		return func() (int, bool) { return b.t.changesSince(seq), true }
	}
	fc := b.fc
	return func() (int, bool) {
		n, _, _ := fc.notes()
		return n - base, true
	}
}

// end returns when VPP took the last route: vppsim's last change, or
// the last install notification.
func (b *bench) end() (time.Time, string) {
	if b.t.sim != nil {
		if c, ok := b.t.lastChange(); ok {
			return c.Time, "vppsim's change log: time of the last change"
		}
	}
	_, _, last := b.fc.notes()
	return last, "arrival of the last install notification (RTM_F_OFFLOAD, batched every 20 ms)"
}

// load connects to lcpfib and sends the table; it is done when VPP holds
// every route.
func (b *bench) load(ctx context.Context) (loadResult, error) {
	var r loadResult
	frames, err := encodeAll(b.tab1.Load())
	if err != nil {
		return r, err
	}
	seq := b.t.mark()
	c, err := dialRetry(ctx, b.ns.Path(), b.addr(), 30*time.Second)
	if err != nil {
		return r, err
	}
	b.fc = newFeedConn(ctx, c, b.acct)
	progress := b.progress(seq, 0)
	c0 := b.cpu()
	smp := startSampler(b.o.sample, progress)
	var prof <-chan error
	if b.o.lcpfibProf != "" {
		prof = b.profile(ctx, b.o.lcpfibProf, 8*time.Second)
	}
	ch := b.sendAsync(frames, nil)
	err = b.waitFor(ctx, "loading the table", b.o.timeout, 20*time.Millisecond, func() (bool, string) {
		n, _ := progress()
		return n >= b.want, fmt.Sprintf("VPP took %d of %d routes", n, b.want)
	})
	r.Samples = smp.stop()
	r.CPU = c0.to(b.cpu())
	if prof != nil { // after the CPU times: the profile may outlast the load
		if perr := <-prof; perr != nil {
			b.logf("lcpfib's CPU profile: %v", perr)
		}
	}
	if err != nil {
		return r, err
	}
	s, err := b.waitSent(ctx, ch, time.Minute)
	if err != nil {
		return r, err
	}
	r.Frames, r.Bytes, r.First, r.Sent = s.frames, s.bytes, b.fc.first, s.at
	if r.Mem, err = readStatus(b.d.pid); err != nil {
		return r, err
	}
	r.End, r.EndBy = b.end()
	r.Took = r.End.Sub(r.First)
	if err := b.checkCount(ctx, b.want); err != nil {
		return r, err
	}

	// Every connection starts a replay for lcpfib; it ends after
	// fpm.replay-quiet without frames. Measure the memory after that.
	if _, _, err := b.d.waitLog(ctx, "replay complete: stale routes swept", 0, b.o.timeout); err != nil {
		return r, err
	}
	if r.Settled, err = readStatus(b.d.pid); err != nil {
		return r, err
	}
	r.GCs = b.d.gcTrace()
	return r, nil
}

// checkCount checks that VPP holds want API routes in table 0.
func (b *bench) checkCount(ctx context.Context, want int) error {
	n, err := b.t.routeCount(ctx)
	if err != nil {
		return err
	}
	if n != want {
		return fmt.Errorf("VPP holds %d API routes in table 0, want %d", n, want)
	}
	return nil
}

// addProbes installs the probe routes through their first path.
func (b *bench) addProbes(ctx context.Context) error {
	nhs, err := b.pr.nexthops()
	if err != nil {
		return err
	}
	for _, f := range nhs {
		if _, err := b.fc.w.Write(f); err != nil {
			return fmt.Errorf("writing probe nexthops: %w", err)
		}
	}
	ps := b.pr.probes()
	b.fc.watch(ps)
	seq := b.t.mark()
	for _, p := range ps {
		f, err := b.pr.route(p.prefix, 0)
		if err != nil {
			return err
		}
		if err := b.fc.sendProbe(p, f); err != nil {
			return err
		}
	}
	err = b.waitFor(ctx, "adding the probe routes", time.Minute, 10*time.Millisecond, func() (bool, string) {
		n := b.fc.notifiedCount(ps)
		ok := n == len(ps)
		if b.t.sim != nil {
			ok = ok && b.t.changesSince(seq) >= len(ps)
		}
		return ok, fmt.Sprintf("%d of %d notified", n, len(ps))
	})
	if err != nil {
		return err
	}
	return b.checkCount(ctx, b.want+len(ps))
}

// notifiedCount returns how many of ps lcpfib notified.
func (fc *feedConn) notifiedCount(ps []*probe) int {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	n := 0
	for _, p := range ps {
		if !p.notified.IsZero() {
			n++
		}
	}
	return n
}

// latencyResult is one round of probes.
type latencyResult struct {
	Applied  latencies // written -> VPP applied (vppsim only)
	Notified latencies // written -> install notification read
	Failed   int       // probes notified as RTM_F_OFFLOAD_FAILED
	CPU      cpuUse
}

// summarizeProbes computes the latencies of a round.
func (b *bench) summarizeProbes(ps []*probe) latencyResult {
	b.fc.mu.Lock()
	defer b.fc.mu.Unlock()
	var r latencyResult
	var applied, notified []time.Duration
	var noApplied, noNotified int
	for _, p := range ps {
		if p.failed {
			r.Failed++
		}
		if p.notified.IsZero() {
			noNotified++
		} else {
			notified = append(notified, p.notified.Sub(p.sent))
		}
		if p.applied.IsZero() {
			noApplied++
		} else {
			applied = append(applied, p.applied.Sub(p.sent))
		}
	}
	r.Notified = summarize(notified, noNotified)
	if b.t.sim != nil {
		r.Applied = summarize(applied, noApplied)
	}
	return r
}

// idleLatency moves each probe to its second path, one at a time: each
// change is written once the previous one was applied and notified.
func (b *bench) idleLatency(ctx context.Context) (latencyResult, error) {
	ps := b.pr.probes()
	frames := make([][]byte, len(ps))
	for i, p := range ps {
		var err error
		if frames[i], err = b.pr.route(p.prefix, 1); err != nil {
			return latencyResult{}, err
		}
	}
	b.fc.watch(ps)
	b.t.mark()
	c0 := b.cpu()
	for i, p := range ps {
		var s0 uint64
		if b.t.sim != nil {
			s0 = b.t.sim.LastSeq()
		}
		if err := b.fc.sendProbe(p, frames[i]); err != nil {
			return latencyResult{}, err
		}
		err := b.waitFor(ctx, fmt.Sprintf("route change %d (%s)", i+1, p.prefix), 10*time.Second, 100*time.Microsecond, func() (bool, string) {
			ok := b.fc.notifiedCount(ps[i:i+1]) == 1
			if b.t.sim != nil {
				ok = ok && b.t.sim.LastSeq() > s0
			}
			return ok, "no install notification, or no change in VPP"
		})
		if err != nil {
			return latencyResult{}, err
		}
		if b.t.sim != nil {
			for _, c := range b.t.sim.ChangesSince(s0) {
				if c.IsRoute() && c.Masked == p.prefix {
					p.applied = c.Time
					break
				}
			}
		}
	}
	r := b.summarizeProbes(ps)
	r.CPU = c0.to(b.cpu())
	return r, nil
}

// updateResult is the second load: every route through other nexthops,
// on the same connection.
type updateResult struct {
	Frames  int
	Bytes   int64
	First   time.Time
	End     time.Time
	Took    time.Duration
	EndBy   string
	Every   int // a probe after every this many frames
	Changes int // route changes in VPP: the table's and the probes'
	CPU     cpuUse
	Samples []sample
	Mem     memStatus
}

// update sends the table again with every route through other nexthops
// (as after a change of every BGP peer's nexthop) on the same connection,
// and moves each probe back to its first path in the middle of it: after
// every frames/(probes+1) table frames, the sender flushes what it
// buffered and writes one probe change straight to the socket. A probe
// thus waits behind whatever of the update lcpfib has not yet taken:
// the socket buffers, lcpfib's queues and VPP's.
func (b *bench) update(ctx context.Context) (updateResult, latencyResult, error) {
	var r updateResult
	ps := b.pr.probes()
	frames := make([][]byte, len(ps))
	for i, p := range ps {
		var err error
		if frames[i], err = b.pr.route(p.prefix, 0); err != nil {
			return r, latencyResult{}, err
		}
	}
	upd, err := encodeAll(b.tab2.Load())
	if err != nil {
		return r, latencyResult{}, err
	}
	b.fc.watch(ps)
	r.Every = max(b.frms2/(len(ps)+1), 1)
	seq := b.t.mark()
	base, _, _ := b.fc.notes()
	progress := b.progress(seq, base)
	want := b.want + len(ps)
	c0 := b.cpu()
	smp := startSampler(b.o.sample, progress)
	next := 0
	fc := b.fc
	first := time.Time{}
	ch := b.sendAsync(upd, func(i int) error {
		if i == 0 {
			// The connection's first byte is long gone: time this load
			// from its own first frame.
			if err := fc.w.Flush(); err != nil {
				return err
			}
			first = time.Now()
		}
		if i > 0 && i%r.Every == 0 && next < len(ps) {
			next++
			return fc.sendProbe(ps[next-1], frames[next-1])
		}
		return nil
	})
	err = b.waitFor(ctx, "updating the table", b.o.timeout, 20*time.Millisecond, func() (bool, string) {
		n, _ := progress()
		return n >= want, fmt.Sprintf("VPP took %d of %d route changes", n, want)
	})
	r.Samples = smp.stop()
	r.CPU = c0.to(b.cpu())
	if err != nil {
		return r, latencyResult{}, err
	}
	s, err := b.waitSent(ctx, ch, time.Minute)
	if err != nil {
		return r, latencyResult{}, err
	}
	if next != len(ps) {
		return r, latencyResult{}, fmt.Errorf("update: only %d of %d probes were sent", next, len(ps))
	}
	r.Frames, r.Bytes, r.First, r.Changes = s.frames, s.bytes, first, want
	if r.Mem, err = readStatus(b.d.pid); err != nil {
		return r, latencyResult{}, err
	}
	r.End, r.EndBy = b.end()
	r.Took = r.End.Sub(r.First)
	err = b.waitFor(ctx, "install notifications of the probes", time.Minute, 10*time.Millisecond, func() (bool, string) {
		n := b.fc.notifiedCount(ps)
		return n == len(ps), fmt.Sprintf("%d of %d notified", n, len(ps))
	})
	if err != nil {
		return r, latencyResult{}, err
	}
	if b.t.sim != nil {
		for _, p := range ps {
			for _, c := range b.t.sim.ChangesOf(0, p.prefix) {
				if c.Seq > seq {
					p.applied = c.Time
					break
				}
			}
		}
	}
	lat := b.summarizeProbes(ps)
	lat.CPU = r.CPU
	return r, lat, nil
}

// deleteProbes withdraws the probe routes, so that VPP holds the table
// and nothing else.
func (b *bench) deleteProbes(ctx context.Context) error {
	seq := b.t.mark()
	for _, p := range b.pr.pfx {
		f, err := b.pr.del(p)
		if err != nil {
			return err
		}
		if _, err := b.fc.w.Write(f); err != nil {
			return fmt.Errorf("writing probe deletes: %w", err)
		}
	}
	if err := b.fc.w.Flush(); err != nil {
		return fmt.Errorf("writing probe deletes: %w", err)
	}
	if b.t.sim != nil {
		err := b.waitFor(ctx, "deleting the probe routes", time.Minute, 10*time.Millisecond, func() (bool, string) {
			n := b.t.changesSince(seq)
			return n >= len(b.pr.pfx), fmt.Sprintf("%d of %d deleted", n, len(b.pr.pfx))
		})
		if err != nil {
			return err
		}
		return b.checkCount(ctx, b.want)
	}
	return b.waitFor(ctx, "deleting the probe routes", time.Minute, time.Second, func() (bool, string) {
		n, err := b.t.routeCount(ctx)
		if err != nil {
			return false, err.Error()
		}
		return n == b.want, fmt.Sprintf("VPP holds %d API routes, want %d", n, b.want)
	})
}

// restartResult is an lcpfib restart with the table in VPP.
type restartResult struct {
	Kill        time.Time // SIGTERM sent
	Exited      time.Time // the old process is gone
	Started     time.Time // the new one started
	FIBRead     time.Time // it read VPP's FIB ("read VPP's FIB")
	FIBTook     string    // as it logged
	FIBOwned    string
	Connected   time.Time // the sender's new connection was accepted
	Sent        time.Time // the whole replay was in the socket
	ReplayEnd   time.Time // "zebra replay complete"
	ReplayTook  string
	Swept       time.Time // "replay complete: stale routes swept"
	SweptN      string
	LastDelete  time.Time // the last withdrawn route left VPP
	Synced      time.Time // both
	Confirmed   time.Time // the last install notification of the replay
	Notified    int
	Frames      int
	Bytes       int64
	Withdrawn   int // routes zebra no longer had
	Remaining   int // of those, still in VPP when the benchmark gave up waiting
	WaitedAfter time.Duration

	Deleted    int            // withdrawn routes deleted (vppsim)
	Unexpected map[string]int // every other route change, by kind (vppsim)
	Requests   uint64         // ip_route_add_del requests from SIGTERM to the end (vppsim)
	Mem        memStatus      // the new process, once in sync
	CPU        cpuUse
}

// deleteWait is how long after the end of the replay the withdrawn
// routes may take to leave VPP.
const deleteWait = time.Minute

// restart stops lcpfib with SIGTERM while VPP holds the table, starts it
// again, reconnects as zebra does and replays the table less the routes
// withdrawn meanwhile (-restart-withdraw). lcpfib is back in sync when
// both its rib logged the end of the replay (fpm.replay-quiet after
// zebra's last frame; what the replay did not renew is swept) and the
// withdrawn routes are gone from VPP. With vppsim every route change
// from SIGTERM on is checked: deletes of the withdrawn routes are
// expected, anything else is an unchanged route deleted or re-added.
func (b *bench) restart(ctx context.Context) (restartResult, error) {
	var r restartResult
	r.Withdrawn = len(b.gone)
	want := b.want - r.Withdrawn
	replay, err := encodeAll(b.tab2w.Replay())
	if err != nil {
		return r, err
	}
	seq := b.t.mark()
	c0 := b.cpu()
	r.Kill = time.Now()
	if err := b.d.stop(30 * time.Second); err != nil {
		return r, err
	}
	r.Exited = time.Now()
	c0.lcpfib = 0 // the next process's CPU time counts from 0
	b.fc.close()
	b.fc = nil
	for k, n := range b.d.warnings() {
		b.warnings[k] += n
	}
	if err := b.startLcpfib(ctx, 2); err != nil {
		return r, err
	}
	r.Started = b.d.started
	c, err := dialRetry(ctx, b.ns.Path(), b.addr(), time.Minute)
	if err != nil {
		return r, err
	}
	r.Connected = time.Now()
	b.fc = newFeedConn(ctx, c, b.acct)
	s, err := b.waitSent(ctx, b.sendAsync(replay, nil), b.o.timeout)
	if err != nil {
		return r, err
	}
	r.Sent, r.Frames, r.Bytes = s.at, s.frames, s.bytes
	l, _, err := b.d.waitLog(ctx, "replay complete: stale routes swept", 0, b.o.timeout)
	if err != nil {
		return r, err
	}
	r.Swept, r.SweptN = l.Time, l.Attrs["swept"]
	if l, _, err := b.d.waitLog(ctx, "zebra replay complete", 0, time.Second); err == nil {
		r.ReplayEnd, r.ReplayTook = l.Time, l.Attrs["took"]
	}
	// VPP's FIB may still be being read: that log line can come later.
	if l, _, err := b.d.waitLog(ctx, "read VPP's FIB", 0, b.o.timeout); err == nil {
		r.FIBRead, r.FIBTook, r.FIBOwned = l.Time, l.Attrs["took"], l.Attrs["owned_routes"]
	} else {
		return r, err
	}

	// The withdrawn routes must leave VPP.
	t0 := time.Now()
	err = b.waitFor(ctx, "deleting the withdrawn routes", deleteWait, 100*time.Millisecond, func() (bool, string) {
		if b.t.sim != nil {
			r.Deleted, r.LastDelete = b.withdrawnDeletes(seq)
			r.Remaining = r.Withdrawn - r.Deleted
		} else {
			n, err := b.t.routeCount(ctx)
			if err != nil {
				return false, err.Error()
			}
			r.Remaining = max(n-want, 0)
			if r.Remaining == 0 {
				r.LastDelete = time.Now()
			}
		}
		return r.Remaining == 0, fmt.Sprintf("%d of %d withdrawn routes still in VPP", r.Remaining, r.Withdrawn)
	})
	r.WaitedAfter = time.Since(t0)
	if err != nil && r.Remaining == 0 {
		return r, err
	}
	if err != nil {
		// A finding, not a failure of the benchmark: report it.
		b.logf("restart: %v", err)
	}
	r.Synced = r.Swept
	if r.LastDelete.After(r.Synced) {
		r.Synced = r.LastDelete
	}
	err = b.waitFor(ctx, "install notifications of the replay", time.Minute, 10*time.Millisecond, func() (bool, string) {
		n, _, _ := b.fc.notes()
		return n >= want, fmt.Sprintf("%d of %d notified", n, want)
	})
	if err != nil {
		return r, err
	}
	r.Notified, _, r.Confirmed = b.fc.notes()
	if r.Mem, err = readStatus(b.d.pid); err != nil {
		return r, err
	}
	r.CPU = c0.to(b.cpu())
	if b.t.sim != nil {
		r.Unexpected = map[string]int{}
		for _, c := range b.t.sim.ChangesSince(seq) {
			switch {
			case c.IsRoute() && c.Kind == sim.ChangeDelete && c.Table == 0 && b.gone[c.Masked]:
			case c.IsRoute() || c.Kind == sim.ChangeRestart:
				r.Unexpected[c.Kind.String()]++
			}
		}
		r.Requests = b.t.sim.RequestCounts()["ip_route_add_del"]
	}
	if r.Remaining > 0 {
		return r, nil
	}
	return r, b.checkCount(ctx, want)
}

// withdrawnDeletes counts the deletes of withdrawn routes in table 0
// after seq and returns the time of the last.
func (b *bench) withdrawnDeletes(seq uint64) (int, time.Time) {
	n, last := 0, time.Time{}
	for _, c := range b.t.sim.ChangesSince(seq) {
		if c.IsRoute() && c.Kind == sim.ChangeDelete && c.Table == 0 && b.gone[c.Masked] {
			n++
			last = c.Time
		}
	}
	return n, last
}

// verify dumps table 0 of both families through the API and compares the
// API source's entries with the table: prefixes, and each path's next hop
// and interface. It returns how many entries match and a description of
// the differences, if any.
func (b *bench) verify(ctx context.Context) (int, string, error) {
	want := make(map[netip.Prefix]string, b.want)
	for r := range b.tab2w.Expected() {
		var ps []string
		for _, p := range r.Paths {
			i, err := b.t.pairOf(p.Ifindex)
			if err != nil {
				return 0, "", err
			}
			ps = append(ps, fmt.Sprintf("%s@%d", p.Gateway, b.t.sw[i]))
		}
		slices.Sort(ps)
		want[r.Prefix] = strings.Join(ps, " ")
	}
	var bad []string
	matched := 0
	for _, ip6 := range []bool{false, true} {
		err := b.t.dumpRoutes(ctx, ip6, func(d *ip.IPRouteV2Details) {
			if d.Route.Src != b.t.apiSrc {
				return
			}
			pfx := vpp.FromPrefix(d.Route.Prefix)
			w, ok := want[pfx]
			got := pathString(d.Route.Paths)
			switch {
			case !ok && b.gone[pfx]:
				bad = append(bad, fmt.Sprintf("%s: withdrawn, still in VPP", pfx))
			case !ok:
				bad = append(bad, fmt.Sprintf("%s: in VPP, not in the table", pfx))
			case got != w:
				bad = append(bad, fmt.Sprintf("%s: VPP has [%s], want [%s]", pfx, got, w))
			default:
				matched++
			}
			delete(want, pfx)
		})
		if err != nil {
			return 0, "", fmt.Errorf("verifying: %w", err)
		}
	}
	for p := range want {
		bad = append(bad, fmt.Sprintf("%s: missing from VPP", p))
	}
	if len(bad) == 0 {
		return matched, "", nil
	}
	slices.Sort(bad)
	return matched, fmt.Sprintf("%d routes differ, e.g. %s", len(bad), strings.Join(bad[:min(len(bad), 5)], "; ")), nil
}

func pathString(fps []fib_types.FibPath) string {
	var ps []string
	for _, fp := range fps {
		var a netip.Addr
		if fp.Proto == fib_types.FIB_API_PATH_NH_PROTO_IP6 {
			a = netip.AddrFrom16(fp.Nh.Address.GetIP6())
		} else {
			a = netip.AddrFrom4(fp.Nh.Address.GetIP4())
		}
		ps = append(ps, fmt.Sprintf("%s@%d", a, fp.SwIfIndex))
	}
	slices.Sort(ps)
	return strings.Join(ps, " ")
}
