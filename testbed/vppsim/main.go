package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/lcpfib/lcpfib/testbed/vppsim/sim"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "vppsim:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		socket  = flag.String("socket", "/run/vpp/api.sock", "unix socket to serve the VPP binary API on")
		ifnames = flag.String("interface", "", "comma-separated interface names to create (sw_if_index 1, 2, ...)")
		up      = flag.Bool("up", false, "create the interfaces admin-up and link-up")
		debug   = flag.Bool("debug", false, "log at debug level")
	)
	flag.Parse()
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", flag.Args())
	}

	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	srv, err := sim.Listen(*socket, sim.WithLogger(log))
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

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := srv.Serve(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
