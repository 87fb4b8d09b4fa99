package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/lcpfib/lcpfib/fpm"
	"github.com/lcpfib/lcpfib/testbed/fulltable"
)

// options are the command line, parsed and checked.
type options struct {
	addr           string
	capture        string
	conn           uint64 // capture connection to send; 0: all
	table          fulltable.Config
	rate           float64 // routes per second; 0: as fast as possible
	reconnect      int     // extra passes, each on a new connection
	reconnectDelay time.Duration
	wait           time.Duration // for the listener to close after the last frame
	timeout        time.Duration // to connect, and for each write
	dryRun         bool
	verbose        bool
}

// countFlag is an int flag that may be given without a value, meaning 1:
// -reconnect or -reconnect=3.
type countFlag struct{ n *int }

func (c countFlag) String() string {
	if c.n == nil {
		return "0"
	}
	return strconv.Itoa(*c.n)
}

func (c countFlag) Set(s string) error {
	switch s {
	case "true":
		*c.n = 1
	case "false":
		*c.n = 0
	default:
		n, err := strconv.Atoi(s)
		if err != nil {
			return errors.New("want a count")
		}
		*c.n = n
	}
	return nil
}

func (c countFlag) IsBoolFlag() bool { return true }

// parseFlags parses args into options and checks them, naming the flag
// and the value at fault.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("fpmreplay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: fpmreplay [flags]

Plays zebra: connects to an FPM listener and sends a capture of real FRR
(-capture) or a generated full Internet table, then prints frames, bytes,
routes, elapsed time and routes/s.

Examples:
  fpmreplay -capture ../shared/fpm-captures/load.bin.gz
  fpmreplay -v4 100000 -v6 20000 -nhg=false -rate 50000
  fpmreplay -withdraw 0.1 -reconnect

Flags:
`)
		fs.PrintDefaults()
	}
	def := fulltable.DefaultConfig()
	o := options{table: def}
	fs.StringVar(&o.addr, "addr", fpm.DefaultAddr, "FPM listener to connect to")
	fs.StringVar(&o.capture, "capture", "", "send this FPMCAP1 recording (.bin or .bin.gz) instead of a generated table")
	fs.Uint64Var(&o.conn, "conn", 0, "with -capture: send only the frames of this recorded zebra connection (0: all, each on its own TCP connection)")
	fs.IntVar(&o.table.V4, "v4", def.V4, "generated table: IPv4 prefixes")
	fs.IntVar(&o.table.V6, "v6", def.V6, "generated table: IPv6 prefixes")
	fs.Float64Var(&o.table.ECMP, "ecmp", def.ECMP, "generated table: share of routes with 2 to -max-paths equal-cost paths")
	fs.IntVar(&o.table.MaxPaths, "max-paths", def.MaxPaths, "generated table: most paths of an ECMP route")
	fs.BoolVar(&o.table.NexthopGroups, "nhg", def.NexthopGroups, "generated table: nexthop-group mode (FRR 8.4's default); false is \"no fpm use-next-hop-groups\"")
	fs.Uint64Var(&o.table.Seed, "seed", def.Seed, "generated table: seed; the same flags give the same frames")
	var table uint64
	fs.Uint64Var(&table, "table", uint64(def.Table), "generated table: Linux routing table of the routes")
	fs.Float64Var(&o.table.Withdraw, "withdraw", 0, "generated table: share of routes to delete after the load")
	fs.Float64Var(&o.rate, "rate", 0, "routes per second (0: as fast as possible)")
	fs.Var(countFlag{&o.reconnect}, "reconnect", "then send again on a new connection, as zebra replays after reconnecting; -reconnect=N does it N times")
	fs.DurationVar(&o.reconnectDelay, "reconnect-delay", 0, "pause between connections (zebra retries every 3s)")
	fs.DurationVar(&o.wait, "wait", time.Minute, "after the last frame, how long to wait for the listener to close the connection (0: do not wait)")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "deadline to connect and for each write")
	fs.BoolVar(&o.dryRun, "dry-run", false, "generate or read the frames but send them nowhere (measures the generator)")
	fs.BoolVar(&o.verbose, "v", false, "debug logs")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if _, _, err := net.SplitHostPort(o.addr); err != nil {
		bad("-addr %q: %v", o.addr, err)
	}
	if o.capture != "" {
		for _, name := range []string{"v4", "v6", "ecmp", "max-paths", "nhg", "seed", "table", "withdraw"} {
			if set[name] {
				bad("-%s: only for a generated table, not with -capture", name)
			}
		}
	} else if set["conn"] {
		bad("-conn %d: only with -capture", o.conn)
	}
	if o.conn > math.MaxUint32 {
		bad("-conn %d: too large", o.conn)
	}
	if table == 0 || table > math.MaxUint32 {
		bad("-table %d: want 1 to %d", table, uint32(math.MaxUint32))
	}
	o.table.Table = uint32(table)
	if !(o.rate >= 0) {
		bad("-rate %v: want 0 or more routes per second", o.rate)
	}
	if o.reconnect < 0 {
		bad("-reconnect %d: want 0 or more", o.reconnect)
	}
	if o.reconnectDelay < 0 {
		bad("-reconnect-delay %s: negative", o.reconnectDelay)
	}
	if o.timeout < 0 {
		bad("-timeout %s: negative", o.timeout)
	}
	return o, errors.Join(errs...)
}

// newSource opens what the options ask to send.
func newSource(o options) (source, error) {
	if o.capture != "" {
		return captureSource{path: o.capture, conn: uint32(o.conn)}, nil
	}
	t, err := fulltable.New(o.table)
	if err != nil {
		return nil, err
	}
	return tableSource{t: t}, nil
}

// replay runs the whole command once options are known.
func replay(ctx context.Context, o options, log *slog.Logger, out io.Writer) (total, error) {
	src, err := newSource(o)
	if err != nil {
		return total{}, err
	}
	log.Info("replaying", logKeySrc, src.String(), logKeyAddr, o.addr, logKeyDry, o.dryRun)
	s := &sender{opts: o, log: log, out: out}
	return s.run(ctx, src)
}

func main() {
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fpmreplay:", err)
		os.Exit(2)
	}
	level := slog.LevelInfo
	if o.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if _, err := replay(ctx, o, log, os.Stdout); err != nil {
		log.Error("replay failed", logKeyErr, err)
		stop()
		os.Exit(1)
	}
}
