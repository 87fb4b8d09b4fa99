package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lcpfib/lcpfib/testbed/lab"
)

// The BIRD path (-bird): the same table, exported by a real BIRD 2 from
// static routes through lcpfib's BGP bridge (contrib/bird/lcpfib.conf),
// measured next to the FRR path's load of the same run.

// birdResult is what the BIRD phase measured.
type birdResult struct {
	Routes      int
	Protocols   int           // static protocols: one per path of the widest ECMP route
	Parse       time.Duration // BIRD started until it answers birdc (reading its configuration)
	Established time.Time     // lcpfib's bridge logged the session
	Transfer    time.Time     // lcpfib's bridge logged the end of BIRD's table transfer
	Done        time.Time     // VPP holds every route
	Took        time.Duration // Established to Done
	Mem         memStatus     // lcpfib when VPP holds every route
	Settled     memStatus     // lcpfib a few seconds later
	BIRDMem     memStatus     // BIRD itself
	Samples     []sample
	CPU         cpuUse // from BIRD's start to Done
}

// birdPeers are the addresses that put the table's gateways on eth0 and
// eth1, so BIRD's static routes resolve.
var birdPeers = map[string][]string{
	"eth0": {"10.1.0.1/24", "fd00:1::1/64"},
	"eth1": {"10.2.0.1/24", "fd00:2::1/64"},
}

// birdConfig writes BIRD's configuration for the table: path i of every
// route goes into static protocol p<i>, all of equal preference, so BIRD
// sends each path with add-path and lcpfib (bird.ecmp) merges them.
func (b *bench) birdConfig(path string) (protocols int, err error) {
	byPath := map[int][]string{}
	for rt := range b.tab1.Expected() {
		for i, p := range rt.Paths {
			byPath[i] = append(byPath[i], fmt.Sprintf("\troute %s via %s;\n", rt.Prefix, p.Gateway))
		}
	}
	contrib, err := filepath.Abs("contrib/bird/lcpfib.conf")
	if err != nil {
		return 0, err
	}
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintf(w, "# written by testbed/bench -bird\nrouter id 10.255.0.1;\nprotocol device { scan time 10; }\n")
	for i := 0; i < len(byPath); i++ {
		for _, af := range []string{"ipv4", "ipv6"} {
			fmt.Fprintf(w, "protocol static p%d_%s {\n\t%s;\n", i, af, af)
			for _, l := range byPath[i] {
				if strings.Contains(l, ":") == (af == "ipv6") {
					w.WriteString(l)
				}
			}
			fmt.Fprintf(w, "}\n")
		}
	}
	fmt.Fprintf(w, "include %q;\n", contrib)
	if err := w.Flush(); err != nil {
		return 0, err
	}
	return len(byPath), f.Close()
}

// birdLoad stops the FRR-path lcpfib, empties VPP (a vppsim restart),
// starts lcpfib with the bridge only and BIRD with the table, and waits
// until VPP holds every route.
func (b *bench) birdLoad(ctx context.Context) (birdResult, error) {
	var r birdResult
	if b.t.sim == nil {
		return r, fmt.Errorf("-bird runs against the in-process vppsim only")
	}
	if err := b.d.stop(30 * time.Second); err != nil {
		return r, err
	}
	b.d = nil
	b.t.sim.Restart()
	for link, addrs := range birdPeers {
		for _, a := range addrs {
			if _, err := b.ns.Exec("ip", "addr", "add", a, "dev", link, "nodad"); err != nil {
				return r, err
			}
		}
	}
	confPath := filepath.Join(b.dir, "bird.conf")
	var err error
	if r.Protocols, err = b.birdConfig(confPath); err != nil {
		return r, fmt.Errorf("writing BIRD's configuration: %w", err)
	}
	conf, err := os.ReadFile(confPath)
	if err != nil {
		return r, err
	}

	b.dcfg.Extra = "bird:\n  enable: true\n  ecmp: true\n  peers:\n    - address: 127.0.0.2\n"
	b.dcfg.Sets = append(b.dcfg.Sets, "fpm.enable=false")
	logPath := filepath.Join(b.dir, "lcpfib-bird.log")
	if b.d, err = startDaemon(b.bin, b.dcfg, logPath); err != nil {
		return r, err
	}
	b.logf("lcpfib started for the BIRD path (pid %d), log %s", b.d.pid, logPath)
	if _, _, err := b.d.waitLog(ctx, "BGP bridge listening for BIRD", 0, 30*time.Second); err != nil {
		return r, err
	}

	birdLog, err := os.Create(filepath.Join(b.dir, "bird.log"))
	if err != nil {
		return r, err
	}
	defer birdLog.Close()
	t0 := time.Now()
	c0 := b.cpu()
	bd, err := lab.StartBIRD(b.ns, filepath.Join(b.dir, "bird"), string(conf), birdLog)
	if err != nil {
		return r, err
	}
	defer bd.Kill()
	r.Parse = time.Since(t0)
	b.logf("BIRD read %d routes in %d static protocols in %s", b.want, 2*r.Protocols, secs(r.Parse))

	// Done is vppsim's last change once every route is there, BIRD's
	// transfer is complete and VPP has been quiet for a second: an ECMP
	// route changes once per path BIRD sends.
	// vppsim's route count walks its FIB under its lock: polling it
	// would slow vppsim down, so progress is its change count.
	seq := b.t.mark()
	smp := startSampler(b.o.sample, b.progress(seq, 0))
	tr, _, err := b.d.waitLog(ctx, "BIRD's table transfer complete", 0, b.o.timeout)
	last := b.t.sim.LastSeq()
	for err == nil {
		time.Sleep(time.Second)
		if now := b.t.sim.LastSeq(); now == last {
			break
		} else {
			last = now
		}
	}
	r.Samples = smp.stop()
	if err != nil {
		return r, err
	}
	r.Done, _ = b.end()
	r.CPU = c0.to(b.cpu())
	if r.Mem, err = readStatus(b.d.pid); err != nil {
		return r, err
	}
	est, _, err := b.d.waitLog(ctx, "BIRD session established", 0, time.Second)
	if err != nil {
		return r, err
	}
	r.Established, r.Transfer = est.Time, tr.Time
	r.Took = r.Done.Sub(r.Established)
	r.Routes = b.want
	if err := b.checkCount(ctx, b.want); err != nil {
		return r, err
	}
	time.Sleep(5 * time.Second)
	if r.Settled, err = readStatus(b.d.pid); err != nil {
		return r, err
	}
	if pid, perr := os.ReadFile(filepath.Join(b.dir, "bird", "bird.pid")); perr == nil {
		var p int
		if _, err := fmt.Sscan(string(pid), &p); err == nil {
			r.BIRDMem, _ = readStatus(p)
		}
	}
	return r, nil
}

// birdReport is the -bird run's Markdown: the setup, then the table.
func (r *results) birdReport() string {
	m := r.Machine
	return fmt.Sprintf("## FRR path and BIRD path\n\n%s, `%s`; %d × %s, %.1f GiB RAM; load average %s at the start, %s at the end; lcpfib %s; %s\n%s",
		r.Start.UTC().Format("2006-01-02 15:04 MST"), r.Cmdline, m.CPUs, m.Model, float64(m.MemTotal)/(1<<30),
		r.LoadStart, r.LoadEnd, r.Lcpfib, r.Target, r.birdMarkdown())
}

// birdMarkdown reports the BIRD path next to the FRR path.
func (r *results) birdMarkdown() string {
	var s strings.Builder
	frr, bd := r.Load, r.BIRD
	fmt.Fprintf(&s, "\n")
	fmt.Fprintf(&s, "The same table exported by BIRD %s from %d static protocols (path i of every route in protocol i, equal preference, add-path, `bird.ecmp: true`) through contrib/bird/lcpfib.conf into lcpfib's bridge; VPP emptied (vppsim restart) and lcpfib started with the bridge only.\n\n", birdVersion(), 2*bd.Protocols)
	fmt.Fprintf(&s, "| | FRR path (FPM) | BIRD path (BGP bridge) |\n|---|---|---|\n")
	fmt.Fprintf(&s, "| routes | %d | %d |\n", (r.Table.Counts.V4 + r.Table.Counts.V6), bd.Routes)
	fmt.Fprintf(&s, "| time to VPP holding every route | %s (first FPM byte to last reply) | %s (session established to last reply) |\n", secs(frr.Took), secs(bd.Took))
	fmt.Fprintf(&s, "| rate | %s | %s |\n", rate((r.Table.Counts.V4 + r.Table.Counts.V6), frr.Took), rate(bd.Routes, bd.Took))
	fmt.Fprintf(&s, "| BIRD path / FRR path | | %.2fx (target <= 2x) |\n", bd.Took.Seconds()/frr.Took.Seconds())
	fmt.Fprintf(&s, "| lcpfib peak RSS (VmHWM) | %s (%s) | %s (%s; target <= 1 KiB/route) |\n",
		mib(frr.Mem.HWM), perRoute(frr.Mem.HWM, (r.Table.Counts.V4 + r.Table.Counts.V6)), mib(bd.Mem.HWM), perRoute(bd.Mem.HWM, bd.Routes))
	fmt.Fprintf(&s, "| lcpfib RSS once settled | %s (%s) | %s (%s) |\n",
		mib(frr.Settled.RSS), perRoute(frr.Settled.RSS, (r.Table.Counts.V4 + r.Table.Counts.V6)), mib(bd.Settled.RSS), perRoute(bd.Settled.RSS, bd.Routes))
	perRt := func(d time.Duration, n int) string { return fmt.Sprintf("%.1f µs/route", float64(d.Microseconds())/float64(n)) }
	fmt.Fprintf(&s, "| lcpfib CPU time | %s | %s |\n", perRt(frr.CPU.LCPFIB, r.Table.Counts.V4+r.Table.Counts.V6), perRt(bd.CPU.LCPFIB, bd.Routes))
	fmt.Fprintf(&s, "| CPU of other processes meanwhile (BIRD, parallel work) | %s of %s | %s of %s |\n",
		secs(frr.CPU.Others), secs(frr.CPU.MachineCapacity), secs(bd.CPU.Others), secs(bd.CPU.MachineCapacity))
	fmt.Fprintf(&s, "| BIRD reading its configuration | | %s |\n", secs(bd.Parse))
	fmt.Fprintf(&s, "| BIRD's table transfer (session to End-of-RIB) | | %s |\n", secs(bd.Transfer.Sub(bd.Established)))
	if bd.BIRDMem.HWM > 0 {
		fmt.Fprintf(&s, "| BIRD's own peak RSS | | %s (%s) |\n", mib(bd.BIRDMem.HWM), perRoute(bd.BIRDMem.HWM, bd.Routes))
	}
	return s.String()
}


func birdVersion() string {
	out, err := lab.BIRDVersion()
	if err != nil {
		return "2 (version unknown)"
	}
	return out
}
