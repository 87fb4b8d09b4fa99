package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/lcpfib/lcpfib/testbed/vppsim/sim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	if err := run(ctx, os.Args[1:], os.Stderr, hup); err != nil {
		fmt.Fprintln(os.Stderr, "vppsim:", err)
		os.Exit(1)
	}
}

// run parses args, serves until ctx is done and restarts the simulated
// VPP whenever hup delivers (SIGHUP).
func run(ctx context.Context, args []string, stderr io.Writer, hup <-chan os.Signal) error {
	fs := flag.NewFlagSet("vppsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		socket  = fs.String("socket", "/run/vpp/api.sock", "unix socket to serve the VPP binary API on")
		ifnames = fs.String("interface", "", "comma-separated interface names to create (sw_if_index 1, 2, ...)")
		up      = fs.Bool("up", false, "create the interfaces admin-up and link-up")
		delay   = fs.Duration("delay", 0, "time each API request takes at least, as on a slower VPP (e.g. 5us)")
		debug   = fs.Bool("debug", false, "log at debug level")
		netns   = fs.String("netns", "", "linux-cp default network namespace (a name under /run/netns) for pairs that name none")
		pairs   = fs.String("pair", "", "comma-separated linux-cp pairs to create at start, INTERFACE=HOSTNAME (a real TAP each; needs root)")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if *delay < 0 {
		return fmt.Errorf("-delay %v: must not be negative", *delay)
	}

	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	ps, err := parsePairs(*pairs)
	if err != nil {
		return err
	}
	srv, err := sim.Listen(*socket, sim.WithLogger(log), sim.WithDelay(*delay), sim.WithDefaultNetns(*netns))
	if err != nil {
		return err
	}
	defer func() {
		if err := srv.Close(); err != nil {
			log.Error("closing", "err", err)
		}
	}()
	for _, name := range strings.Split(*ifnames, ",") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		if _, err := srv.AddInterface(sim.Interface{Name: name, AdminUp: *up, LinkUp: *up}); err != nil {
			return fmt.Errorf("-interface: %w", err)
		}
	}
	for _, p := range ps {
		if _, err := srv.AddPair(p); err != nil {
			return fmt.Errorf("-pair: %w", err)
		}
	}

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel() // Serve may have failed on its own
		wg.Wait()
	}()
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				log.Info("SIGHUP: restarting")
				srv.Restart()
			}
		}
	})
	if err := srv.Serve(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// parsePairs parses -pair: "eth0=e0,eth1=e1".
func parsePairs(s string) ([]sim.Pair, error) {
	var out []sim.Pair
	for _, kv := range strings.Split(s, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		phy, host, ok := strings.Cut(kv, "=")
		if !ok || phy == "" || host == "" {
			return nil, fmt.Errorf("-pair %q: want INTERFACE=HOSTNAME", kv)
		}
		out = append(out, sim.Pair{Phy: phy, HostName: host})
	}
	return out, nil
}
