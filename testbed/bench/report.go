package main

import (
	"debug/buildinfo"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/lcpfib/lcpfib/testbed/fulltable"
)

// tableInfo describes the generated table.
type tableInfo struct {
	Config fulltable.Config
	Counts fulltable.Counts
}

// results is everything one run measured.
type results struct {
	Start, End         time.Time
	Cmdline            string
	Machine            machine
	GoVersion          string
	Lcpfib             string
	Source             string
	LoadStart, LoadEnd string
	Target             string
	InProcessSim       bool
	Table              tableInfo
	Ceiling            ceilingResult
	Load               loadResult
	Idle, Busy         latencyResult
	Update             updateResult
	Restart            restartResult
	BIRD               birdResult // -bird only
	SelfMem            memStatus
	Verified           int
	VerifyDiff         string
	Warnings           int
	WarningMsgs        map[string]int
}

func newResults(o *options, bin string) *results {
	r := &results{
		Start:     time.Now(),
		Cmdline:   o.cmdline,
		Machine:   readMachine(),
		GoVersion: runtime.Version(),
		LoadStart: loadAvg(),
		Lcpfib:    describeBinary(bin),
		Source:    describeSource(),
	}
	return r
}

// describeSource names the commit of the working tree the benchmark runs
// in and whether it has uncommitted changes: what -build builds lcpfib
// from (GOFLAGS=-buildvcs=false leaves binaries without this).
func describeSource() string {
	rev, err := exec.Command("git", "rev-parse", "--short=10", "HEAD").Output()
	if err != nil {
		return "unknown (not a git checkout)"
	}
	s := "commit " + strings.TrimSpace(string(rev))
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil {
		if n := strings.Count(string(st), "\n"); n > 0 {
			s += fmt.Sprintf(" with %d modified files", n)
		}
	}
	return s
}

// describeBinary names the Go version and commit a binary was built
// from.
func describeBinary(path string) string {
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(no build info: %v)", err)
	}
	s := bi.GoVersion
	var rev, modified string
	for _, kv := range bi.Settings {
		switch kv.Key {
		case "vcs.revision":
			rev = kv.Value
		case "vcs.modified":
			if kv.Value == "true" {
				modified = " with uncommitted changes"
			}
		}
	}
	if rev != "" {
		s += fmt.Sprintf(", commit %.10s%s", rev, modified)
	}
	if fi, err := os.Stat(path); err == nil {
		s += ", built " + fi.ModTime().UTC().Format("2006-01-02 15:04 MST")
	}
	return s
}

// perRoute is bytes per route.
func perRoute(b int64, routes int) string {
	if routes == 0 {
		return "-"
	}
	return fmt.Sprintf("%s B/route", thousands(b/int64(routes)))
}

// markdown renders the results as the README's section would show them.
func (r *results) markdown(o *options) string {
	var b strings.Builder
	row := func(cells ...string) { fmt.Fprintf(&b, "| %s |\n", strings.Join(cells, " | ")) }
	n := r.Table.Counts.V4 + r.Table.Counts.V6
	c := r.Table.Counts
	cfg := r.Table.Config

	fmt.Fprintf(&b, "## Full-table benchmark\n\n")
	fmt.Fprintf(&b, "%s, `%s`\n\n", r.Start.UTC().Format("2006-01-02 15:04 MST"), r.Cmdline)
	row("setup", "")
	row("---", "---")
	m := r.Machine
	row("machine", fmt.Sprintf("%d × %s, %.1f GiB RAM, Linux %s", m.CPUs, m.Model, float64(m.MemTotal)/(1<<30), m.Kernel))
	row("load average (1, 5, 15 min)", fmt.Sprintf("%s at the start, %s at the end, %s later (shared machine: see \"other processes\" below)", r.LoadStart, r.LoadEnd, secs(r.End.Sub(r.Start))))
	row("Go", fmt.Sprintf("benchmark %s; lcpfib %s", r.GoVersion, r.Lcpfib))
	row("working tree", r.Source)
	row("VPP", r.Target)
	mode := fmt.Sprintf("nexthop groups (FRR's default): %d nexthops, %d groups", c.Nexthops, c.Groups)
	if !cfg.NexthopGroups {
		mode = fmt.Sprintf("no nexthop groups (`no fpm use-next-hop-groups`): paths inline, %d peers, %d distinct ECMP path sets", c.Nexthops, c.Groups)
	}
	row("table", fmt.Sprintf("%s IPv4 + %s IPv6 = %s routes, seed %d, %s, %s ECMP routes",
		thousands(int64(c.V4)), thousands(int64(c.V6)), thousands(int64(n)), cfg.Seed, mode, thousands(int64(c.ECMP))))
	row("FPM stream of the load", fmt.Sprintf("%s frames, %.1f MB", thousands(int64(r.Load.Frames)), float64(r.Load.Bytes)/1e6))
	lc := fmt.Sprintf("vpp.window %d, other keys at their defaults (fpm.replay-quiet 3s, fpm.notify on)", o.window)
	if len(o.sets) > 0 {
		lc = fmt.Sprintf("vpp.window %d, --set %s", o.window, strings.Join(o.sets, " --set "))
	}
	if len(o.env) > 0 {
		lc += "; environment " + strings.Join(o.env, " ")
	}
	if o.gctrace {
		lc += "; GODEBUG=gctrace=1"
	}
	row("lcpfib", lc)
	b.WriteString("\n")

	row("measurement", "result", "how")
	row("---", "---", "---")
	ce := r.Ceiling
	row("**ceiling**: bare GoVPP pipelined add loop", fmt.Sprintf("**%s** (%s routes in %s)", rate(ce.Routes, ce.Took), thousands(int64(ce.Routes)), secs(ce.Took)),
		fmt.Sprintf("one stream, %d in flight, one ip_route_add_del per route into table %d (deleted afterwards in %s); first request to last reply", o.window, o.ceilingTbl, secs(ce.Flush)))
	ld := r.Load
	ratio := "-"
	if ce.Took > 0 && ld.Took > 0 {
		ratio = fmt.Sprintf("%.0f %%", 100*ce.Took.Seconds()/ld.Took.Seconds()*float64(n)/float64(ce.Routes))
	}
	row("**load**: first FPM byte → whole table in VPP", fmt.Sprintf("**%s, %s = %s of the ceiling**", secs(ld.Took), rate(n, ld.Took), ratio),
		fmt.Sprintf("end: %s; the sender had written everything after %s", ld.EndBy, secs(ld.Sent.Sub(ld.First))))
	up := r.Update
	row("update: the same prefixes through new nexthops, same connection", fmt.Sprintf("%s, %s", secs(up.Took), rate(n, up.Took)),
		fmt.Sprintf("every route replaced (new nexthop ids, as when every BGP nexthop changes), %d probe changes interleaved", r.Busy.Notified.N))
	perRouteCPU := func(d time.Duration) string {
		return fmt.Sprintf("%.1f µs", float64(d.Microseconds())/float64(max(n, 1)))
	}
	row("**lcpfib CPU time per route**", fmt.Sprintf("**load %s, update %s, restart %s**", perRouteCPU(ld.CPU.LCPFIB), perRouteCPU(up.CPU.LCPFIB), perRouteCPU(r.Restart.CPU.LCPFIB)),
		"utime+stime from /proc/PID/stat over the phase, per route of the table: unlike the times above, hardly affected by other load on the machine")
	row("**lcpfib peak RSS** (VmHWM) after the load", fmt.Sprintf("**%s = %s**", mib(ld.Mem.HWM), perRoute(ld.Mem.HWM, n)), "/proc/PID/status")
	row("lcpfib RSS (VmRSS) after the load", fmt.Sprintf("%s = %s", mib(ld.Settled.RSS), perRoute(ld.Settled.RSS, n)),
		fmt.Sprintf("after the load, once the connection's replay had ended too (VmRSS right at the end of the load: %s)", mib(ld.Mem.RSS)))
	if len(ld.GCs) > 0 {
		last := ld.GCs[len(ld.GCs)-1]
		var peak int64
		for _, g := range ld.GCs {
			peak = max(peak, g.HeapStart, g.HeapEnd)
		}
		row("lcpfib Go heap after the load", fmt.Sprintf("%s live = %s; heap peaked at %s", mib(last.Live), perRoute(last.Live, n), mib(peak)),
			fmt.Sprintf("GODEBUG=gctrace=1: live heap at the last of %d collections", len(ld.GCs)))
	}
	if r.Idle.Applied.N > 0 {
		row("**route change latency, idle**: written → applied in VPP", "**"+r.Idle.Applied.String()+"**",
			"one RTM_NEWROUTE moving a /32 to another nexthop, the next once the previous was applied and notified; VPP time from vppsim's change log")
	}
	row("route change latency, idle: written → install notification", r.Idle.Notified.String(), "RTM_F_OFFLOAD back on the FPM connection; includes the notifier's 20 ms batching")
	if r.Busy.Applied.N > 0 {
		row("**route change latency during the update**: written → applied in VPP", "**"+r.Busy.Applied.String()+"**",
			fmt.Sprintf("a probe after every %s update frames: the sender flushes, then writes the probe; it waits behind the update lcpfib has not taken yet", thousands(int64(up.Every))))
	}
	row("route change latency during the update: written → install notification", r.Busy.Notified.String(), "")
	if f := r.Idle.Failed + r.Busy.Failed; f > 0 {
		row("probes notified as failed (RTM_F_OFFLOAD_FAILED)", fmt.Sprint(f), "")
	}
	rs := r.Restart
	row("**restart: SIGTERM → back in sync**", fmt.Sprintf("**%s**", secs(rs.Synced.Sub(rs.Kill))),
		fmt.Sprintf("until both the new lcpfib's rib logged the end of zebra's replay (`replay complete: stale routes swept`, fpm.replay-quiet after zebra's last frame) and the %s routes zebra withdrew meanwhile left VPP", thousands(int64(rs.Withdrawn))))
	row("… SIGTERM → old process exited", secs(rs.Exited.Sub(rs.Kill)), "")
	row("… new process started → VPP's FIB read", secs(rs.FIBRead.Sub(rs.Started)),
		fmt.Sprintf("lcpfib: owned_routes=%s took=%s (VPP held %s)", rs.FIBOwned, rs.FIBTook, thousands(int64(n))))
	if rs.FIBOwned != fmt.Sprint(n) {
		row("**⚠ lcpfib's read of VPP's FIB**", fmt.Sprintf("**owned_routes=%s, VPP held %s**", rs.FIBOwned, thousands(int64(n))),
			"entries missed while reading the FIB are neither adopted nor swept")
	}
	row("… zebra (the benchmark) connected → whole replay written", secs(rs.Sent.Sub(rs.Connected)),
		fmt.Sprintf("%s frames; connected %s after the start (the benchmark redials every 50 ms, zebra every 3 s)", thousands(int64(rs.Frames)), secs(rs.Connected.Sub(rs.Started))))
	row("… replay written → replay complete", secs(rs.Swept.Sub(rs.Sent)),
		fmt.Sprintf("includes fpm.replay-quiet; lcpfib: replay took=%s, swept=%s", rs.ReplayTook, rs.SweptN))
	if !rs.FIBRead.IsZero() && !rs.ReplayEnd.IsZero() && rs.FIBRead.After(rs.ReplayEnd) {
		row("… order", fmt.Sprintf("zebra's replay ended %s before lcpfib had read VPP's FIB", secs(rs.FIBRead.Sub(rs.ReplayEnd))),
			"the rib's end-of-replay sweep ran before it adopted what VPP holds; the withdrawn routes must still go (next rows)")
	}
	switch {
	case rs.Remaining > 0:
		row("**⚠ withdrawn routes left in VPP**", fmt.Sprintf("**%s of %s**, %s after the replay ended", thousands(int64(rs.Remaining)), thousands(int64(rs.Withdrawn)), secs(rs.WaitedAfter)),
			"routes zebra no longer has, still forwarded by VPP")
	case rs.Withdrawn > 0:
		row("… withdrawn routes deleted from VPP", fmt.Sprintf("%s, the last %s after SIGTERM", thousands(int64(rs.Withdrawn)), secs(rs.LastDelete.Sub(rs.Kill))), "")
	}
	row("… install notifications for the whole replay", fmt.Sprintf("%s after the reconnect", secs(rs.Confirmed.Sub(rs.Connected))), fmt.Sprintf("%s RTM_F_OFFLOAD", thousands(int64(rs.Notified))))
	if rs.Unexpected != nil {
		var parts []string
		total := 0
		for _, k := range slices.Sorted(maps.Keys(rs.Unexpected)) {
			parts = append(parts, fmt.Sprintf("%d %s", rs.Unexpected[k], k))
			total += rs.Unexpected[k]
		}
		changes := "**0 changes to unchanged routes**"
		if total > 0 {
			changes = "**⚠ " + strings.Join(parts, ", ") + " of unchanged routes**"
		}
		row("restart: VPP changes from SIGTERM to back in sync", fmt.Sprintf("%s; %s withdrawn routes deleted; %s ip_route_add_del requests", changes, thousands(int64(rs.Deleted)), thousands(int64(rs.Requests))),
			"vppsim's change log: anything but the withdrawn routes' deletes is a route deleted or re-added")
	}
	row("lcpfib peak RSS after the restart", fmt.Sprintf("%s = %s", mib(rs.Mem.HWM), perRoute(rs.Mem.HWM, n)), "the new process: read VPP's FIB, then took the replay")
	if r.SelfMem.HWM > 0 {
		who := "the benchmark (sender)"
		if r.InProcessSim {
			who = "vppsim + the benchmark (one process)"
		}
		row("peak RSS of "+who, mib(r.SelfMem.HWM), "the ceiling's table included")
	}
	if r.Verified > 0 {
		row("VPP's FIB verified", fmt.Sprintf("%s routes match the table", thousands(int64(r.Verified))), "dumped with ip_route_v2_dump: prefixes, next hops, interfaces")
		if r.VerifyDiff != "" {
			row("**⚠ VPP's FIB differs from the table**", r.VerifyDiff, "")
		}
	}
	var warns []string
	for _, k := range slices.Sorted(maps.Keys(r.WarningMsgs)) {
		warns = append(warns, fmt.Sprintf("%d × %q", r.WarningMsgs[k], k))
	}
	row("lcpfib warnings and errors logged", fmt.Sprint(r.Warnings), strings.Join(warns, "; "))
	b.WriteString("\n")

	b.WriteString("CPU time in core-seconds (cores busy on average) while each phase ran:\n\n")
	self, others, ceilingName := "vppsim + benchmark", "other processes", "ceiling (GoVPP client + vppsim in one process)"
	if !r.InProcessSim {
		self, others, ceilingName = "benchmark", "other processes (VPP among them)", "ceiling (GoVPP client)"
	}
	row("phase", "wall", "lcpfib", "sender (zebra's side)", self, others, "machine busy")
	row("---", "---", "---", "---", "---", "---", "---")
	cpuRow := func(name string, u cpuUse) {
		cell := func(d time.Duration) string { return fmt.Sprintf("%.1f (%s)", d.Seconds(), cores(d, u.Wall)) }
		row(name, secs(u.Wall), cell(u.LCPFIB), cell(u.Sender), cell(u.Sim), cell(u.Others),
			fmt.Sprintf("%.0f %%", 100*u.MachineBusy.Seconds()/max(u.MachineCapacity.Seconds(), 1e-9)))
	}
	cpuRow(ceilingName, ce.CPU)
	cpuRow("load", ld.CPU)
	cpuRow("idle probes", r.Idle.CPU)
	cpuRow("update with probes", up.CPU)
	cpuRow("restart", rs.CPU)
	b.WriteString("\n")
	fmt.Fprintf(&b, "![routes in VPP over time](%s)\n", plotLink(o.plot, o.out))
	return b.String()
}

// plotLink is the plot's path relative to the Markdown file when both are
// in the same directory.
func plotLink(plot, out string) string {
	if i, j := strings.LastIndexByte(plot, '/'), strings.LastIndexByte(out, '/'); i >= 0 && j >= 0 && plot[:i] == out[:j] {
		return plot[i+1:]
	}
	return plot
}

// writePlot draws routes in VPP over time for the ceiling, the load and
// the update, each from its own start.
func (r *results) writePlot(path string) error {
	n := r.Table.Counts.V4 + r.Table.Counts.V6
	p := plot{
		Title:    fmt.Sprintf("Routes in VPP over time: %s routes", thousands(int64(n))),
		Subtitle: fmt.Sprintf("%s; %s; %s", r.Target, r.Machine.Model, r.Start.UTC().Format("2006-01-02")),
		XLabel:   "seconds since the first request (ceiling) or the first FPM byte (lcpfib)",
		YLabel:   "routes added or changed in VPP",
		Series: []series{
			{Name: fmt.Sprintf("ceiling: bare GoVPP loop (%s)", secs(r.Ceiling.Took)), Color: "#888888", Points: withEnd(points(r.Ceiling.Samples, r.Ceiling.Start), r.Ceiling.Took, r.Ceiling.Routes)},
			{Name: fmt.Sprintf("lcpfib: load (%s)", secs(r.Load.Took)), Color: "#1f5fbf", Points: withEnd(points(r.Load.Samples, r.Load.First), r.Load.End.Sub(r.Load.First), n)},
			{Name: fmt.Sprintf("lcpfib: update, new nexthops (%s)", secs(r.Update.Took)), Color: "#d9731a", Dashed: true, Points: withEnd(points(r.Update.Samples, r.Update.First), r.Update.Took, r.Update.Changes)},
		},
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := p.writeSVG(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
