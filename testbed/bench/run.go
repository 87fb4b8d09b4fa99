package main

import (
	"context"
	"fmt"
	"io"
	"iter"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/lcpfib/lcpfib/testbed/fulltable"
	"github.com/lcpfib/lcpfib/testbed/lab"
	"github.com/lcpfib/lcpfib/testbed/vppsim/sim"
)

// bench is one run of the benchmark: the lab, and what the phases share.
type bench struct {
	o        *options
	log      io.Writer // progress, on stderr
	start    time.Time
	bin      string
	dir      string // lcpfib's configuration and logs
	ns       *lab.Netns
	t        *target
	dcfg     daemonConfig
	d        *daemon   // the lcpfib running now
	fc       *feedConn // the FPM connection open now
	acct     *threadAccount
	tab1     *fulltable.Table // loaded first
	tab2     *fulltable.Table // the same prefixes through other nexthops (new nexthop ids)
	tab2w    *fulltable.Table // tab2 less the routes withdrawn while lcpfib restarts
	gone     map[netip.Prefix]bool
	pr       *prober
	want     int            // routes of the table
	warnings map[string]int // warnings and errors of the lcpfib processes that are gone, by message
	frms2    int            // frames of tab2's load
}

// logf prints a progress line with the time since the start.
func (b *bench) logf(format string, a ...any) {
	fmt.Fprintf(b.log, "[%6.1fs] %s\n", time.Since(b.start).Seconds(), fmt.Sprintf(format, a...))
}

// run sets the lab up, runs every phase and writes the results. Whatever
// it set up is torn down before it returns, in reverse order.
func run(ctx context.Context, o *options, stdout io.Writer) (err error) {
	if err := lab.CheckRoot(); err != nil {
		return fmt.Errorf("%w: run the benchmark as root (it creates a network namespace)", err)
	}
	for _, f := range []string{o.out, o.plot} {
		if fi, err := os.Stat(filepath.Dir(f)); err != nil || !fi.IsDir() {
			return fmt.Errorf("%s: no directory %s to write it in (run from the repository's root, or pass -out and -plot)", f, filepath.Dir(f))
		}
	}
	b := &bench{o: o, log: os.Stderr, start: time.Now(), acct: newThreadAccount(), warnings: map[string]int{}}
	if b.bin, err = findLcpfib(o, b.log); err != nil {
		return err
	}
	setupGoVPP()
	res := newResults(o, b.bin)

	if o.logdir != "" {
		if err := os.MkdirAll(o.logdir, 0o755); err != nil {
			return err
		}
		b.dir = o.logdir
	} else {
		if b.dir, err = os.MkdirTemp("", "lcpfib-bench-"); err != nil {
			return err
		}
		defer os.RemoveAll(b.dir)
	}
	sockDir, err := os.MkdirTemp("", "lcpfib-bench-vpp-") // short: unix socket paths are limited to 107 bytes
	if err != nil {
		return err
	}
	defer os.RemoveAll(sockDir)

	// The namespace: lcpfib's FPM listener and its interfaces live there.
	name := fmt.Sprintf("lcpfib-bench-%d", os.Getpid())
	b.logf("creating network namespace %s", name)
	if b.ns, err = lab.NewNetns(name, lab.DefaultLinks); err != nil {
		return fmt.Errorf("creating network namespace %s: %w", name, err)
	}
	defer func() {
		if cerr := b.ns.Close(); cerr != nil {
			fmt.Fprintf(b.log, "bench: removing namespace %s: %v\n", name, cerr)
		}
	}()
	var ifindex [2]uint32
	for i := range ifindex {
		if ifindex[i], err = b.linkIndex(fmt.Sprintf("eth%d", i)); err != nil {
			return err
		}
	}

	// VPP: vppsim in this process, or the one behind -vpp-socket.
	names := strings.Split(o.vppIfs, ",")
	b.t = &target{socket: o.vppSocket, names: [2]string{names[0], names[1]}, ifindex: ifindex, timeout: 10 * time.Second}
	if o.vppSocket == "" {
		s, err := sim.Listen(filepath.Join(sockDir, "api.sock"), sim.WithDelay(o.simDelay))
		if err != nil {
			return fmt.Errorf("starting vppsim: %w", err)
		}
		for _, n := range b.t.names {
			if _, err := s.AddInterface(sim.Interface{Name: n, AdminUp: true, LinkUp: true}); err != nil {
				s.Close()
				return fmt.Errorf("vppsim: %w", err)
			}
		}
		sctx, stop := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() { served <- s.Serve(sctx) }()
		defer func() {
			stop()
			s.Close()
			<-served
		}()
		b.t.sim, b.t.socket = s, s.SocketPath()
		b.logf("vppsim serving on %s (delay %v)", b.t.socket, o.simDelay)
	}
	if err := b.t.connect(ctx); err != nil {
		return err
	}
	defer b.t.close()
	res.InProcessSim = b.t.sim != nil
	if b.t.sim != nil {
		res.Target = fmt.Sprintf("vppsim (VPP 25.10 stand-in) in the benchmark's process, per-request delay %v", o.simDelay)
	} else {
		res.Target = fmt.Sprintf("VPP %s at %s", b.t.version, b.t.socket)
	}

	if err := b.makeTables(ifindex, res); err != nil {
		return err
	}

	b.logf("ceiling: bare GoVPP add loop, %d routes into table %d", b.want, o.ceilingTbl)
	if res.Ceiling, err = runCeiling(ctx, b.t, b.tab1, uint32(o.ceilingTbl), o.window, o.sample, b.cpu); err != nil {
		return err
	}
	b.logf("ceiling: %s in %s (table deleted in %s)", rate(res.Ceiling.Routes, res.Ceiling.Took), secs(res.Ceiling.Took), secs(res.Ceiling.Flush))

	b.dcfg = daemonConfig{
		Netns:     b.ns.Path(),
		Listen:    b.addr(),
		Socket:    b.t.socket,
		Window:    o.window,
		Pairs:     b.t.names,
		Sets:      o.sets,
		Env:       o.env,
		ConfigDir: b.dir,
	}
	if o.lcpfibProf != "" {
		b.dcfg.Sets = append(b.dcfg.Sets, "debug.pprof="+pprofAddr)
	}
	if o.gctrace {
		b.dcfg.Env = append(b.dcfg.Env, "GODEBUG=gctrace=1")
	}
	defer func() {
		if b.fc != nil {
			b.fc.close()
		}
		if b.d != nil {
			if serr := b.d.stop(10 * time.Second); serr != nil {
				fmt.Fprintln(b.log, "bench:", serr)
			}
		}
	}()
	if err := b.startLcpfib(ctx, 1); err != nil {
		return err
	}

	if err := b.phases(ctx, res); err != nil {
		return err
	}
	res.End = time.Now()
	res.LoadEnd = loadAvg()
	md := res.markdown(o)
	if o.bird {
		md = res.birdReport()
	}
	fmt.Fprint(stdout, md)
	if err := os.WriteFile(o.out, []byte(md), 0o644); err != nil {
		return fmt.Errorf("writing -out: %w", err)
	}
	if o.bird {
		return nil
	}
	if err := res.writePlot(o.plot); err != nil {
		return fmt.Errorf("writing -plot: %w", err)
	}
	b.logf("wrote %s and %s", o.out, o.plot)
	return nil
}

// phases runs the measurements, in order, on the lab run set up.
func (b *bench) phases(ctx context.Context, res *results) (err error) {
	if res.Load, err = b.load(ctx); err != nil {
		return err
	}
	b.logf("load: %s in %s", rate(b.want, res.Load.Took), secs(res.Load.Took))
	if b.o.bird {
		b.logf("BIRD path: the same table from BIRD through the BGP bridge")
		if res.BIRD, err = b.birdLoad(ctx); err != nil {
			return err
		}
		b.logf("BIRD path: %s in %s", rate(b.want, res.BIRD.Took), secs(res.BIRD.Took))
		return nil
	}
	if err := b.addProbes(ctx); err != nil {
		return err
	}
	b.logf("idle latency: %d route changes, one at a time", b.o.probes)
	if res.Idle, err = b.idleLatency(ctx); err != nil {
		return err
	}
	b.logf("update: the table again through other nexthops, %d route changes interleaved", b.o.probes)
	if res.Update, res.Busy, err = b.update(ctx); err != nil {
		return err
	}
	b.logf("update: %s in %s", rate(b.want, res.Update.Took), secs(res.Update.Took))
	if err := b.deleteProbes(ctx); err != nil {
		return err
	}
	b.logf("restart: SIGTERM to lcpfib, start it again, replay")
	if res.Restart, err = b.restart(ctx); err != nil {
		return err
	}
	b.logf("restart: in sync %s after SIGTERM; %d of %d withdrawn routes still in VPP", secs(res.Restart.Synced.Sub(res.Restart.Kill)), res.Restart.Remaining, res.Restart.Withdrawn)
	if self, err := readStatus(os.Getpid()); err == nil {
		res.SelfMem = self
	}
	if b.o.verify {
		b.logf("verifying VPP's FIB against the table")
		if res.Verified, res.VerifyDiff, err = b.verify(ctx); err != nil {
			return err
		}
		if res.VerifyDiff != "" {
			b.logf("verify: %s", res.VerifyDiff)
		}
	}
	res.WarningMsgs = b.d.warnings()
	for k, n := range b.warnings {
		res.WarningMsgs[k] += n
	}
	for _, n := range res.WarningMsgs {
		res.Warnings += n
	}
	return nil
}

// makeTables builds the table and its changed twin, with the peers on
// the namespace's links.
func (b *bench) makeTables(ifindex [2]uint32, res *results) error {
	cfg := fulltable.DefaultConfig()
	cfg.V4, cfg.V6, cfg.Seed, cfg.NexthopGroups = b.o.v4, b.o.v6, b.o.seed, b.o.nhg
	onLinks := func(ps []fulltable.Peer) []fulltable.Peer {
		// The default peers sit on ifindex 2 and 3: put them on eth0 and
		// eth1 whatever their indexes are.
		for i := range ps {
			ps[i].Ifindex = ifindex[min(ps[i].Ifindex-2, 1)]
		}
		return ps
	}
	cfg.V4Peers, cfg.V6Peers = onLinks(cfg.V4Peers), onLinks(cfg.V6Peers)
	var err error
	if b.tab1, err = fulltable.New(cfg); err != nil {
		return err
	}
	counts := b.tab1.Counts()
	b.want = counts.V4 + counts.V6

	// The twin: every peer's address changes (10.1.0.10 -> 10.1.0.110,
	// fd00:1::a -> fd00:1::6e), so every route gets new paths; its
	// nexthops get new ids, as zebra gives out when bgpd's nexthops
	// change.
	cfg2 := cfg
	shift := func(ps []fulltable.Peer) []fulltable.Peer {
		out := append([]fulltable.Peer(nil), ps...)
		for i := range out {
			a := out[i].Gateway.AsSlice()
			a[len(a)-1] += 100
			out[i].Gateway, _ = netip.AddrFromSlice(a)
		}
		return out
	}
	cfg2.V4Peers, cfg2.V6Peers = shift(cfg.V4Peers), shift(cfg.V6Peers)
	cfg2.FirstNexthopID = cfg.FirstNexthopID + uint32(counts.Nexthops+counts.Groups) + 1000
	if b.tab2, err = fulltable.New(cfg2); err != nil {
		return err
	}
	cfg2.Withdraw = b.o.withdraw
	if b.tab2w, err = fulltable.New(cfg2); err != nil {
		return err
	}
	if b.gone, err = withdrawn(b.tab2, b.tab2w); err != nil {
		return err
	}
	c2 := b.tab2.Counts()
	b.frms2 = c2.V4 + c2.V6
	if b.o.nhg {
		b.frms2 += c2.Nexthops + c2.Groups
	}
	b.pr = newProber(b.o.nhg, [2]fulltable.Peer{cfg.V4Peers[0], cfg.V4Peers[len(cfg.V4Peers)-1]}, b.o.probes)
	res.Table = tableInfo{Config: cfg, Counts: counts}
	return nil
}

// withdrawn returns the routes of all that less lacks. Both list their
// routes in the same order.
func withdrawn(all, less *fulltable.Table) (map[netip.Prefix]bool, error) {
	out := map[netip.Prefix]bool{}
	next, stop := iter.Pull(less.Expected())
	defer stop()
	r2, ok := next()
	for r := range all.Expected() {
		if ok && r2.Prefix == r.Prefix {
			r2, ok = next()
			continue
		}
		out[r.Prefix] = true
	}
	if ok {
		return nil, fmt.Errorf("fulltable: withdrawing changed the table (%s)", r2.Prefix)
	}
	return out, nil
}

// linkIndex reads an interface's ifindex inside the namespace.
func (b *bench) linkIndex(name string) (uint32, error) {
	out, err := b.ns.Exec("cat", "/sys/class/net/"+name+"/ifindex")
	if err != nil {
		return 0, fmt.Errorf("ifindex of %s: %w", name, err)
	}
	n, err := strconv.ParseUint(strings.TrimSpace(out), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("ifindex of %s: %w", name, err)
	}
	return uint32(n), nil
}

func (b *bench) addr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(b.o.port))
}

// startLcpfib starts lcpfib (the n-th time) and waits until it has
// connected to VPP and read its FIB.
func (b *bench) startLcpfib(ctx context.Context, n int) error {
	logPath := filepath.Join(b.dir, fmt.Sprintf("lcpfib-%d.log", n))
	d, err := startDaemon(b.bin, b.dcfg, logPath)
	if err != nil {
		return err
	}
	b.d = d
	b.logf("lcpfib started (pid %d), log %s", d.pid, logPath)
	if _, _, err := d.waitLog(ctx, "listening for zebra", 0, 30*time.Second); err != nil {
		return err
	}
	if n == 1 {
		_, _, err = d.waitLog(ctx, "adopted routes the dataplane holds", 0, 60*time.Second)
	}
	return err
}

// cpu snapshots the CPU time used so far.
func (b *bench) cpu() cpuSnap {
	s := cpuSnap{at: time.Now(), sender: b.acct.total()}
	s.machine, _ = readMachineCPU()
	s.self, _ = procCPU(os.Getpid(), 0)
	if b.d != nil && b.d.alive() == nil {
		s.lcpfib, _ = procCPU(b.d.pid, 0)
	}
	return s
}

// sent is what a sender goroutine reports.
type sent struct {
	frames int
	bytes  int64
	at     time.Time // when the last byte was in the socket
	err    error
}

// sendAsync writes frames on the open connection from a thread of its
// own, accounted as the sender's CPU time.
func (b *bench) sendAsync(seq *encoded, between func(int) error) <-chan sent {
	ch := make(chan sent, 1)
	fc := b.fc
	go b.acct.onThread(func() {
		f, n, err := fc.sendAll(seq, between)
		ch <- sent{frames: f, bytes: n, at: time.Now(), err: err}
	})
	return ch
}

// waitSent waits for a sender, at most timeout.
func (b *bench) waitSent(ctx context.Context, ch <-chan sent, timeout time.Duration) (sent, error) {
	select {
	case s := <-ch:
		if s.err != nil {
			return s, fmt.Errorf("sending to lcpfib: %w", s.err)
		}
		return s, nil
	case <-time.After(timeout):
		return sent{}, fmt.Errorf("sending to lcpfib: not done within %v (lcpfib stopped reading?)", timeout)
	case <-ctx.Done():
		return sent{}, ctx.Err()
	}
}

// waitFor polls cond every interval until it holds, lcpfib exits, ctx
// ends or timeout passes. progress describes how far it got, for the
// error.
func (b *bench) waitFor(ctx context.Context, what string, timeout, every time.Duration, cond func() (ok bool, progress string)) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, progress := cond()
		if ok {
			return nil
		}
		if b.d != nil {
			if err := b.d.alive(); err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not done within %v: %s", what, timeout, progress)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(every):
		}
	}
}
