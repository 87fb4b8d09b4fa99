package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"
)

const usage = `bench: lcpfib's full-table benchmark

Usage (as root: it creates a network namespace):
  go run ./testbed/bench [flags]

It creates a network namespace with two veth links (testbed/lab), starts
vppsim in this process (or uses a real VPP with -vpp-socket), runs the
bare GoVPP add loop as the ceiling, starts bin/lcpfib as a subprocess in
the namespace, and plays zebra on lcpfib's FPM port with a generated
full table (testbed/fulltable). It measures the load time and rate,
lcpfib's memory, the latency of single route changes when idle and
during a full-table update, and an lcpfib restart; prints a Markdown
table, writes it to -out and a plot to -plot. It stops by itself, uses
only loopback and its own namespace, and removes the namespace on exit
and on Ctrl-C.

Flags:
`

// multiFlag collects a repeatable flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, " ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// options are the command's flags.
type options struct {
	lcpfib     string
	build      bool
	vppSocket  string
	vppIfs     string
	v4, v6     int
	nhg        bool
	seed       uint64
	window     int
	probes     int
	withdraw   float64
	ceilingTbl uint
	simDelay   time.Duration
	sets       multiFlag
	env        multiFlag
	gctrace    bool
	port       int
	plot, out  string
	logdir     string
	timeout    time.Duration
	sample     time.Duration
	verify     bool
	cpuprofile string
	lcpfibProf string
	cmdline    string
	bird       bool
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.lcpfib, "lcpfib", "bin/lcpfib", "lcpfib binary to run")
	fs.BoolVar(&o.build, "build", false, "build the -lcpfib binary from ./cmd/lcpfib first")
	fs.StringVar(&o.vppSocket, "vpp-socket", "", "API socket of a running VPP to use instead of the in-process vppsim (the numbers are then that VPP's)")
	fs.StringVar(&o.vppIfs, "vpp-interfaces", "GigabitEthernet3/0/0,GigabitEthernet3/0/1", "the two VPP interfaces paired with eth0 and eth1, comma-separated (vppsim creates them)")
	fs.IntVar(&o.v4, "v4", 1_040_000, "IPv4 routes of the table")
	fs.IntVar(&o.v6, "v6", 223_000, "IPv6 routes of the table")
	fs.BoolVar(&o.nhg, "nhg", true, "send nexthop groups (FRR's default); false: as with no fpm use-next-hop-groups")
	fs.Uint64Var(&o.seed, "seed", 1, "table seed")
	fs.IntVar(&o.window, "window", 1024, "requests in flight to VPP, for the ceiling and lcpfib (vpp.window)")
	fs.IntVar(&o.probes, "probes", 200, "route changes timed, idle and during an update")
	fs.Float64Var(&o.withdraw, "restart-withdraw", 0.001, "share of the routes zebra no longer has when it replays after the lcpfib restart: lcpfib must delete them from VPP")
	fs.UintVar(&o.ceilingTbl, "ceiling-table", 4242, "VPP table the ceiling run adds into (created, then deleted)")
	fs.DurationVar(&o.simDelay, "sim-delay", 0, "vppsim's time per request (0: as fast as it goes; ~4.5µs is a real VPP's)")
	fs.Var(&o.sets, "set", "pass --set KEY=VALUE to lcpfib (repeatable)")
	fs.Var(&o.env, "lcpfib-env", "extra environment KEY=VALUE for lcpfib, e.g. GOGC=50 (repeatable)")
	fs.BoolVar(&o.gctrace, "gctrace", true, "run lcpfib with GODEBUG=gctrace=1 and report its Go heap")
	fs.IntVar(&o.port, "fpm-port", 2620, "lcpfib's FPM port on 127.0.0.1 inside the namespace")
	fs.StringVar(&o.plot, "plot", "testbed/bench/fulltable.svg", "SVG plot of routes over time")
	fs.StringVar(&o.out, "out", "testbed/bench/RESULTS.md", "Markdown results")
	fs.StringVar(&o.logdir, "logdir", "", "keep lcpfib's logs and configuration here (default: a temporary directory, removed)")
	fs.DurationVar(&o.timeout, "timeout", 15*time.Minute, "longest a table load, update or resync may take")
	fs.DurationVar(&o.sample, "sample", 100*time.Millisecond, "sampling interval of the plot")
	fs.BoolVar(&o.verify, "verify", true, "dump VPP's FIB at the end and compare it with the table")
	fs.BoolVar(&o.bird, "bird", false, "compare the FRR path with the BIRD path: the FRR load, then the same table from a real BIRD through the BGP bridge (other phases skipped; write it to another -out)")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of this process (sender and vppsim) here")
	fs.StringVar(&o.lcpfibProf, "lcpfib-cpuprofile", "", "write a CPU profile of lcpfib's first 8 s of the load here (sets debug.pprof)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	switch {
	case o.v4 < 0 || o.v6 < 0 || o.v4+o.v6 == 0:
		return nil, fmt.Errorf("-v4 %d -v6 %d: want a table", o.v4, o.v6)
	case o.window < 1:
		return nil, fmt.Errorf("-window %d: at least 1", o.window)
	case o.probes < 1 || o.probes > 100_000:
		return nil, fmt.Errorf("-probes %d: between 1 and 100000", o.probes)
	case len(strings.Split(o.vppIfs, ",")) != 2:
		return nil, fmt.Errorf("-vpp-interfaces %q: want two names, comma-separated", o.vppIfs)
	case !(o.withdraw >= 0 && o.withdraw < 1):
		return nil, fmt.Errorf("-restart-withdraw %v: a share from 0 up to 1", o.withdraw)
	case o.sample <= 0:
		return nil, fmt.Errorf("-sample %v: must be positive", o.sample)
	}
	for _, kv := range append(append([]string{}, o.sets...), o.env...) {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return nil, fmt.Errorf("%q: want KEY=VALUE", kv)
		}
	}
	o.cmdline = "go run ./testbed/bench"
	if len(args) > 0 {
		o.cmdline += " " + strings.Join(args, " ")
	}
	return o, nil
}

func main() {
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, os.Interrupt, syscall.SIGTERM)
	go func() {
		s, ok := <-sigc
		if !ok {
			return
		}
		// A second signal kills at once (without cleaning up).
		signal.Stop(sigc)
		fmt.Fprintf(os.Stderr, "\nbench: %v: stopping and cleaning up (again to abort)\n", s)
		cancel()
	}()
	if o.cpuprofile != "" {
		f, err := os.Create(o.cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	err = run(ctx, o, os.Stdout)
	signal.Stop(sigc)
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("interrupted: %w", err)
		}
		fmt.Fprintln(os.Stderr, "bench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// findLcpfib returns the lcpfib binary, building it first if asked.
func findLcpfib(o *options, log io.Writer) (string, error) {
	if o.build {
		fmt.Fprintf(log, "building %s\n", o.lcpfib)
		cmd := exec.Command("go", "build", "-o", o.lcpfib, "./cmd/lcpfib")
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("building lcpfib (go build -o %s ./cmd/lcpfib, from the repository's root): %w", o.lcpfib, err)
		}
	}
	fi, err := os.Stat(o.lcpfib)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("lcpfib binary %s not found: run `make build` or pass -build (from the repository's root), or name one with -lcpfib", o.lcpfib)
	case err != nil:
		return "", err
	case fi.IsDir() || fi.Mode().Perm()&0o111 == 0:
		return "", fmt.Errorf("lcpfib binary %s is not an executable file", o.lcpfib)
	}
	if newer := newerSource(fi.ModTime()); newer != "" {
		fmt.Fprintf(log, "warning: %s is older than %s; pass -build to measure the current code\n", o.lcpfib, newer)
	}
	abs, err := filepath.Abs(o.lcpfib)
	if err != nil {
		return "", err
	}
	return abs, nil
}

// newerSource returns a Go source of the daemon modified after t, if the
// benchmark runs from the repository's root.
func newerSource(t time.Time) string {
	for _, dir := range []string{"cmd/lcpfib", "fpm", "zebra", "rib", "vpp", "pairing"} {
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
				continue
			}
			if fi, err := e.Info(); err == nil && fi.ModTime().After(t) {
				return filepath.Join(dir, e.Name())
			}
		}
	}
	return ""
}
