package main

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sirupsen/logrus"
	"go.fd.io/govpp/adapter/socketclient"
	"go.fd.io/govpp/core"
	"golang.org/x/sync/errgroup"

	"github.com/lcpfib/lcpfib/bird"
	"github.com/lcpfib/lcpfib/fpm"
	"github.com/lcpfib/lcpfib/pairing"
	"github.com/lcpfib/lcpfib/rib"
	"github.com/lcpfib/lcpfib/vpp"
	"github.com/lcpfib/lcpfib/zebra"
)

// daemon is lcpfib's running components, wired together.
type daemon struct {
	rib     *rib.RIB
	feed    *zebra.Feed
	notify  *zebra.Notifier  // nil when fpm.notify is off
	fpmOn   bool             // fpm.enable: zebra's feed is served
	bird    *bird.Bridge     // nil when bird.enable is off
	audit   *birdAudit       // nil unless bird.birdc is set
	linux   *pairing.Watcher // linux-cp pairing; nil with static pairs
	sd      *notifier        // systemd notifications
	metrics string           // metrics.listen; empty: off
	log     *slog.Logger
	fpm     *fpm.Server
	vpp     *vpp.Programmer
	pairs   vpp.InterfaceSync

	cfg      *Config              // in effect; reload (one goroutine) changes its live keys
	control  *net.UnixListener    // control.socket; nil when off
	progress *progress            // programming progress, for the log and show stats
	latency  prometheus.Histogram // programming latency; nil without metrics
	reloader *reloader            // SIGHUP; nil: no reloads
}

// newDaemon builds every component; nothing runs until run.
func newDaemon(ctx context.Context, cfg *Config, log *slog.Logger) (*daemon, func(), error) {
	quietGoVPP()
	links, err := pairing.OpenLinks(cfg.Netns)
	if err != nil {
		return nil, nil, fmt.Errorf("netns %s: %w", cfg.Netns, err)
	}
	var ln net.Listener
	if cfg.FPM.Enable {
		if ln, err = listenIn(ctx, cfg.Netns, cfg.FPM.Listen); err != nil {
			links.Close()
			return nil, nil, fmt.Errorf("fpm.listen %s: %w", cfg.FPM.Listen, err)
		}
	} else {
		cfg.FPM.Notify = false
		ln = closedListener{}
	}
	d := &daemon{rib: rib.New(ribOptions(cfg, log.With("component", "rib"))), metrics: cfg.Metrics.Listen, log: log, fpmOn: cfg.FPM.Enable, cfg: cfg}
	d.progress = newProgress(log.With("component", "progress"), d.progressSample)
	if cfg.BIRD.Enable {
		o := cfg.BIRD.options(cfg.Netns, log.With("component", "bird"))
		if cfg.BIRD.Birdc != "" {
			table := cmp.Or(o.Peers[0].Table, 254)
			idle := func(ctx context.Context) bool {
				s, err := d.progressSample(ctx)
				return err == nil && s.pending == 0 && s.inflight == 0
			}
			d.audit = newBirdAudit(ctx, strings.Fields(cfg.BIRD.Birdc), table, d.rib, idle, log.With("component", "bird"))
			o.Transferred = d.audit.transferred
		}
		d.bird = bird.New(d.rib, o)
	}
	if cfg.LinuxCP.Enable {
		// Pairs, addresses, link state and neighbours follow Linux; a
		// change of the pair table re-evaluates the routes through it.
		w, err := newWatcher(cfg, &cfg.LinuxCP, log.With("component", "pairing"), func() {
			if d.vpp != nil {
				d.vpp.Refresh()
			}
		})
		if err != nil {
			ln.Close()
			links.Close()
			return nil, nil, err
		}
		d.linux, d.pairs = w, w
	} else {
		var pairs []pairing.Pair
		for _, p := range cfg.Interfaces {
			pairs = append(pairs, pairing.Pair{Linux: p.Linux, VPP: p.VPP})
		}
		d.pairs = pairing.NewStatic(pairs, links.Index, cfg.VPP.ReplyTimeout, log.With("component", "pairing"))
	}
	d.feed = zebra.NewFeed(d.rib, zebra.Options{Logger: log.With("component", "zebra"), ReplayMax: cfg.FPM.ReplayMax})
	d.fpm = fpm.NewServer(d.feed, fpm.Options{Listener: ln, Logger: log.With("component", "fpm"), IdleAfter: cfg.FPM.ReplayQuiet})
	vcfg := vpp.Config{
		Socket:         cfg.VPP.Socket,
		Window:         cfg.VPP.Window,
		MaxRate:        cfg.VPP.MaxRate,
		ReplyTimeout:   cfg.VPP.ReplyTimeout,
		ConnectTimeout: cfg.VPP.ConnectTimeout,
		// Route programming only: pairing's calls are few.
		PlainSocketClient: !cfg.VPP.CoalesceWrites,
	}
	if cfg.Metrics.Listen != "" {
		d.latency = newLatencyHistogram()
		vcfg.Latency = func(took time.Duration) { d.latency.Observe(took.Seconds()) }
	}
	if cfg.FPM.Notify {
		d.notify = zebra.NewNotifier(d.fpm, zebra.NotifierOptions{Logger: log.With("component", "zebra")})
		vcfg.Results = d.notify
	}
	d.vpp = vpp.New(vcfg, d.rib, d.pairs, log.With("component", "vpp"))
	if d.sd, err = newNotifier(); err != nil {
		ln.Close()
		links.Close()
		return nil, nil, err
	}
	if cfg.Control.Socket != "" {
		if d.control, err = listenControl(cfg.Control.Socket); err != nil {
			ln.Close()
			links.Close()
			return nil, nil, err
		}
	}
	return d, func() {
		if d.control != nil {
			d.control.Close() // removes the socket file
		}
		links.Close()
	}, nil
}

// run runs every component until ctx is done or one of them fails.
func (d *daemon) run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return d.rib.Run(ctx) })
	g.Go(func() error { return d.vpp.Run(ctx) })
	if d.fpmOn {
		g.Go(func() error { return d.fpm.Run(ctx) })
	}
	if d.bird != nil {
		g.Go(func() error { return d.bird.Run(ctx) })
	}
	if d.notify != nil {
		g.Go(func() error { return d.notify.Run(ctx) })
	}
	if d.linux != nil {
		g.Go(func() error { return d.linux.Run(ctx) })
	}
	if d.sd != nil {
		g.Go(func() error { return d.sd.run(ctx, d.status) })
	}
	if d.metrics != "" {
		g.Go(func() error { return serveMetrics(ctx, d.metrics, d, d.log) })
	}
	if d.control != nil {
		g.Go(func() error { return d.serveControl(ctx, d.control) })
	}
	if d.reloader != nil {
		g.Go(func() error { return d.watchReload(ctx, d.reloader) })
	}
	g.Go(func() error { return d.progress.run(ctx, progressInterval) })
	return g.Wait()
}

// run starts lcpfib with cfg and returns when ctx is done; r (may be nil)
// reloads the configuration on SIGHUP.
func run(ctx context.Context, cfg *Config, log *slog.Logger, r *reloader) error {
	d, closeFn, err := newDaemon(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeFn()
	d.reloader = r
	log.Info("lcpfib starting", "fpm", cfg.FPM.Listen, "vpp", cfg.VPP.Socket, "netns", cfg.Netns, "pairs", len(cfg.Interfaces))
	if n, _ := parseSize(cfg.MemoryLimit); n > 0 { // validated
		// A soft limit: the collector works harder as the heap nears it,
		// and lets it grow past it rather than thrash.
		debug.SetMemoryLimit(n)
		log.Info("Go memory limit set", "memory_limit", n)
	}
	if cfg.Debug.Pprof != "" {
		stop, err := servePprof(cfg.Debug.Pprof, log)
		if err != nil {
			return err
		}
		defer stop()
	}
	return d.run(ctx)
}

// quietGoVPP keeps GoVPP's own logrus output to warnings; lcpfib logs what
// matters itself. It also lets a reply wait up to 5 s (GoVPP's default is
// 100 ms) for room in a busy stream's buffer before GoVPP drops it: a
// dropped reply is a lost route in a FIB dump or a request that times out.
func quietGoVPP() {
	l := logrus.New()
	l.SetLevel(logrus.WarnLevel)
	core.SetLogger(l)
	socketclient.SetLogger(l)
	core.ReplyChannelTimeout = 5 * time.Second
}

// status is the one-line summary systemd shows (systemctl status).
func (d *daemon) status() string {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	rs, _ := d.rib.Stats(ctx)
	vs := d.vpp.Stats()
	zebraUp := "down"
	if d.fpm.Stats().Current != 0 {
		zebraUp = "up"
	}
	vppUp := "down"
	if vs.Connected {
		vppUp = "up"
	}
	sources := ""
	if d.fpmOn {
		sources = "zebra " + zebraUp + ", "
	}
	if d.bird != nil {
		up, n := 0, 0
		if bs, err := d.bird.Status(ctx); err == nil {
			for _, p := range bs.Peers {
				n++
				if p.State == "established" {
					up++
				}
			}
		}
		sources += fmt.Sprintf("BIRD %d/%d up, ", up, n)
	}
	line := fmt.Sprintf("%sVPP %s; %d routes wanted, %d in VPP, %d pending, %d failing, %d unresolved",
		sources, vppUp, rs.Routes, vs.Installed, rs.Pending, vs.Failing, vs.Unresolved)
	if d.progress != nil {
		if p := d.progress.current(); p.Active {
			line += fmt.Sprintf("; programming %d/%d at %.0f routes/s", p.Done, p.Total, p.Rate)
		}
	}
	return line
}

// ribOptions are the rib's settings: which source wins a prefix both
// announce, and which sources replay their tables (routes an earlier
// lcpfib left in VPP are swept once every enabled source has).
func ribOptions(cfg *Config, log *slog.Logger) rib.Options {
	o := rib.Options{Logger: log, RenewOnReplay: cfg.FPM.Notify, Expect: []rib.Source{}}
	o.Preference = []rib.Source{rib.SourceFRR, rib.SourceBIRD}
	if cfg.RIB.Prefer == "bird" {
		o.Preference = []rib.Source{rib.SourceBIRD, rib.SourceFRR}
	}
	if cfg.FPM.Enable {
		o.Expect = append(o.Expect, rib.SourceFRR)
	}
	if cfg.BIRD.Enable {
		o.Expect = append(o.Expect, rib.SourceBIRD)
	}
	return o
}

// closedListener stands in for the FPM listener when fpm.enable is off;
// the FPM server is then never run.
type closedListener struct{}

func (closedListener) Accept() (net.Conn, error) { return nil, net.ErrClosed }
func (closedListener) Close() error              { return nil }
func (closedListener) Addr() net.Addr            { return &net.TCPAddr{} }
