package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/lcpfib/lcpfib/bird"
	"github.com/lcpfib/lcpfib/fpm"
	"github.com/lcpfib/lcpfib/pairing"
	"github.com/lcpfib/lcpfib/rib"
	"github.com/lcpfib/lcpfib/vpp"
	"github.com/lcpfib/lcpfib/zebra"
)

// metric is one exported value, read from the components' counters at
// scrape time.
type metric struct {
	name, help string
	kind       prometheus.ValueType
	labels     []string
	values     func(d *daemon, s *snapshot) []sample
}

type sample struct {
	v      float64
	labels []string
}

// snapshot is every component's counters, read once per scrape.
type snapshot struct {
	fpm struct {
		server fpm.Stats
		feed   zebra.Counters
	}
	rib              rib.Stats
	vpp              vpp.Stats
	sent, fail, drop uint64
	lcp              pairing.Stats
	counts           map[rib.TableSource]int
	progress         Progress
	bird             *bird.Status // nil: the bridge is off
}

// snapshot reads every component's counters.
func (d *daemon) snapshot() *snapshot {
	s := &snapshot{}
	s.fpm.server = d.fpm.Stats()
	s.fpm.feed = d.feed.Counters()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	s.rib, _ = d.rib.Stats(ctx)     // zero if the rib is busy for a second
	s.counts, _ = d.rib.Counts(ctx) // a scan of the rib: once per scrape
	if d.progress != nil {
		s.progress = d.progress.current()
	}
	s.vpp = d.vpp.Stats()
	if d.notify != nil {
		ns := d.notify.Stats()
		s.sent, s.fail, s.drop = ns.Sent, ns.Failed, ns.Dropped
	}
	if d.linux != nil {
		s.lcp = d.linux.Stats()
	}
	if d.bird != nil {
		if bs, err := d.bird.Status(ctx); err == nil {
			s.bird = &bs
		}
	}
	return s
}

// birdPeers returns one sample per BIRD peer; none with the bridge off.
func birdPeers(s *snapshot, v func(bird.PeerStatus) float64) []sample {
	if s.bird == nil {
		return nil
	}
	out := make([]sample, 0, len(s.bird.Peers))
	for _, p := range s.bird.Peers {
		out = append(out, sample{v(p), []string{p.Address}})
	}
	return out
}

// birdOne returns v of the bridge's status; nothing with the bridge off.
func birdOne(s *snapshot, v func(*bird.Status) float64) []sample {
	if s.bird == nil {
		return nil
	}
	return one(v(s.bird))
}

func one(v float64) []sample { return []sample{{v: v}} }

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// metrics lists what /metrics exports, all under lcpfib_.
var metrics = []metric{
	{"lcpfib_bird_session_up", "1 while the BGP session of a configured BIRD peer is established", prometheus.GaugeValue, []string{"peer"},
		func(d *daemon, s *snapshot) []sample {
			return birdPeers(s, func(p bird.PeerStatus) float64 { return b2f(p.State == "established") })
		}},
	{"lcpfib_bird_restarting", "1 while a BIRD peer is in a graceful restart (its routes kept as stale)", prometheus.GaugeValue, []string{"peer"},
		func(d *daemon, s *snapshot) []sample {
			return birdPeers(s, func(p bird.PeerStatus) float64 { return b2f(p.Restarting) })
		}},
	{"lcpfib_bird_peer_paths", "paths a BIRD peer announced that the bridge holds", prometheus.GaugeValue, []string{"peer"},
		func(d *daemon, s *snapshot) []sample {
			return birdPeers(s, func(p bird.PeerStatus) float64 { return float64(p.Paths) })
		}},
	{"lcpfib_bird_peer_stale_paths", "of those, paths from before a graceful restart not announced again yet", prometheus.GaugeValue, []string{"peer"},
		func(d *daemon, s *snapshot) []sample {
			return birdPeers(s, func(p bird.PeerStatus) float64 { return float64(p.Stale) })
		}},
	{"lcpfib_bird_prefixes", "prefixes with at least one path from BIRD", prometheus.GaugeValue, nil,
		func(d *daemon, s *snapshot) []sample {
			return birdOne(s, func(b *bird.Status) float64 { return float64(b.Prefixes) })
		}},
	{"lcpfib_bird_multipath_cut", "routes BIRD has with more next hops than lcpfib programs from it, at the last audit after a table transfer (bird.birdc)", prometheus.GaugeValue, nil,
		func(d *daemon, s *snapshot) []sample {
			if d.audit == nil || d.audit.cut.Load() < 0 {
				return nil
			}
			return one(float64(d.audit.cut.Load()))
		}},
	{"lcpfib_bird_updates_total", "BGP UPDATE messages received from BIRD", prometheus.CounterValue, nil,
		func(d *daemon, s *snapshot) []sample {
			return birdOne(s, func(b *bird.Status) float64 { return float64(b.Updates) })
		}},
	{"lcpfib_bird_paths_total", "paths from BIRD by what became of them (invalid: broke the route convention, treated as withdrawn)", prometheus.CounterValue, []string{"op"},
		func(d *daemon, s *snapshot) []sample {
			if s.bird == nil {
				return nil
			}
			b := s.bird
			return []sample{{float64(b.Announced), []string{"announced"}}, {float64(b.Withdrawn), []string{"withdrawn"}}, {float64(b.Invalid), []string{"invalid"}}}
		}},
	{"lcpfib_fpm_connected", "1 while zebra is connected", prometheus.GaugeValue, nil,
		func(d *daemon, s *snapshot) []sample { return one(b2f(s.fpm.server.Current != 0)) }},
	{"lcpfib_fpm_connections_total", "zebra connections accepted (each one replays the table)", prometheus.CounterValue, nil,
		func(d *daemon, s *snapshot) []sample { return one(float64(s.fpm.server.Connections)) }},
	{"lcpfib_fpm_frames_total", "FPM frames read", prometheus.CounterValue, nil,
		func(d *daemon, s *snapshot) []sample { return one(float64(s.fpm.server.Frames)) }},
	{"lcpfib_fpm_bytes_total", "FPM bytes read", prometheus.CounterValue, nil,
		func(d *daemon, s *snapshot) []sample { return one(float64(s.fpm.server.Bytes)) }},
	{"lcpfib_fpm_bad_frames_total", "frames with a bad header (the connection was reset)", prometheus.CounterValue, nil,
		func(d *daemon, s *snapshot) []sample { return one(float64(s.fpm.server.BadFrames)) }},
	{"lcpfib_fpm_messages_total", "netlink messages from zebra by type", prometheus.CounterValue, []string{"type"},
		func(d *daemon, s *snapshot) []sample {
			c := s.fpm.feed
			return []sample{
				{float64(c.NewRoute), []string{"newroute"}}, {float64(c.DelRoute), []string{"delroute"}},
				{float64(c.NewNexthop), []string{"newnexthop"}}, {float64(c.DelNexthop), []string{"delnexthop"}},
				{float64(c.Unsupported), []string{"unsupported"}},
			}
		}},
	{"lcpfib_fpm_decode_errors_total", "well-framed messages that did not decode (skipped)", prometheus.CounterValue, nil,
		func(d *daemon, s *snapshot) []sample { return one(float64(s.fpm.feed.DecodeErrors)) }},
	{"lcpfib_fpm_routes_total", "routes from zebra by what became of them", prometheus.CounterValue, []string{"op"},
		func(d *daemon, s *snapshot) []sample {
			c := s.fpm.feed
			return []sample{
				{float64(c.RoutesSet), []string{"set"}}, {float64(c.RoutesReplaced), []string{"replaced"}},
				{float64(c.RoutesDeleted), []string{"deleted"}}, {float64(c.RoutesWithdrawn), []string{"withdrawn"}},
				{float64(c.RoutesReemitted), []string{"reemitted"}}, {float64(c.RoutesHeld), []string{"held"}},
			}
		}},
	{"lcpfib_fpm_routes_skipped_total", "routes from zebra not programmed, by reason", prometheus.CounterValue, []string{"reason"},
		func(d *daemon, s *snapshot) []sample {
			c := s.fpm.feed
			return []sample{
				{float64(c.SkippedLocalTable), []string{"local_table"}}, {float64(c.SkippedConnected), []string{"connected"}},
				{float64(c.SkippedType), []string{"type"}}, {float64(c.SkippedSourcePrefix), []string{"source_prefix"}},
				{float64(c.SkippedNoNexthop), []string{"no_nexthop"}},
			}
		}},
	{"lcpfib_fpm_replays_total", "zebra replays seen to their end", prometheus.CounterValue, nil,
		func(d *daemon, s *snapshot) []sample { return one(float64(s.fpm.feed.Replays)) }},
	{"lcpfib_fpm_last_replay_seconds", "duration of the last replay", prometheus.GaugeValue, nil,
		func(d *daemon, s *snapshot) []sample { return one(s.fpm.feed.LastReplay.Seconds()) }},
	{"lcpfib_rib_routes", "routes wanted in the dataplane", prometheus.GaugeValue, nil,
		func(d *daemon, s *snapshot) []sample { return one(float64(s.rib.Routes)) }},
	{"lcpfib_rib_pending", "routes changed and not yet taken by the dataplane (queue depth)", prometheus.GaugeValue, nil,
		func(d *daemon, s *snapshot) []sample { return one(float64(s.rib.Pending)) }},
	{"lcpfib_rib_swept_total", "routes withdrawn by replay sweeps", prometheus.CounterValue, nil,
		func(d *daemon, s *snapshot) []sample { return one(float64(s.rib.Swept)) }},
	{"lcpfib_rib_routes_by_table", "routes each source announces in each Linux table (winning or not)", prometheus.GaugeValue, []string{"table", "source"},
		func(d *daemon, s *snapshot) []sample {
			out := make([]sample, 0, len(s.counts))
			for ts, n := range s.counts {
				out = append(out, sample{float64(n), []string{strconv.FormatUint(uint64(ts.Table), 10), ts.Source.String()}})
			}
			return out
		}},
	{"lcpfib_rib_resyncs_total", "source replays started", prometheus.CounterValue, nil,
		func(d *daemon, s *snapshot) []sample { return one(float64(s.rib.Resyncs)) }},
	{"lcpfib_rib_last_resync_seconds", "duration of the last completed replay, from its start to its sweep", prometheus.GaugeValue, nil,
		func(d *daemon, s *snapshot) []sample { return one(s.rib.LastResync.Seconds()) }},
	{"lcpfib_rib_last_sweep_seconds", "duration of the last end-of-replay sweep", prometheus.GaugeValue, nil,
		func(d *daemon, s *snapshot) []sample { return one(s.rib.LastSweep.Seconds()) }},
	{"lcpfib_rib_last_swept_routes", "routes the last sweep withdrew", prometheus.GaugeValue, nil,
		func(d *daemon, s *snapshot) []sample { return one(float64(s.rib.LastSwept)) }},
	{"lcpfib_progress_active", "1 while changes wait for VPP (a load or a resync is being programmed)", prometheus.GaugeValue, nil,
		func(d *daemon, s *snapshot) []sample { return one(b2f(s.progress.Active)) }},
	{"lcpfib_progress_routes_per_second", "programming rate over the last progress interval (5 s)", prometheus.GaugeValue, nil,
		func(d *daemon, s *snapshot) []sample { return one(s.progress.Rate) }},
	{"lcpfib_vpp_max_rate", "bound on requests per second to VPP in effect (0: none)", prometheus.GaugeValue, nil,
		func(d *daemon, s *snapshot) []sample { return one(float64(d.vpp.MaxRate())) }},
	{"lcpfib_vpp_connected", "1 while connected to VPP", prometheus.GaugeValue, nil,
		func(d *daemon, s *snapshot) []sample { return one(b2f(s.vpp.Connected)) }},
	{"lcpfib_vpp_connects_total", "connections to VPP", prometheus.CounterValue, nil,
		func(d *daemon, s *snapshot) []sample { return one(float64(s.vpp.Connects)) }},
	{"lcpfib_vpp_routes_installed", "routes VPP holds on lcpfib's behalf", prometheus.GaugeValue, nil,
		func(d *daemon, s *snapshot) []sample { return one(float64(s.vpp.Installed)) }},
	{"lcpfib_vpp_route_calls_total", "route requests VPP accepted, by operation", prometheus.CounterValue, []string{"op"},
		func(d *daemon, s *snapshot) []sample {
			return []sample{{float64(s.vpp.RoutesAdded), []string{"add"}}, {float64(s.vpp.RoutesDeleted), []string{"delete"}}}
		}},
	{"lcpfib_vpp_route_errors_total", "requests VPP refused", prometheus.CounterValue, nil,
		func(d *daemon, s *snapshot) []sample { return one(float64(s.vpp.RouteErrors)) }},
	{"lcpfib_vpp_routes_failing", "routes VPP refused, waiting for a retry", prometheus.GaugeValue, nil,
		func(d *daemon, s *snapshot) []sample { return one(float64(s.vpp.Failing)) }},
	{"lcpfib_vpp_routes_unresolved_total", "routes left out: no nexthop on a paired interface", prometheus.CounterValue, nil,
		func(d *daemon, s *snapshot) []sample { return one(float64(s.vpp.Unresolved)) }},
	{"lcpfib_vpp_routes_unchanged_total", "changes VPP already held (no call made)", prometheus.CounterValue, nil,
		func(d *daemon, s *snapshot) []sample { return one(float64(s.vpp.Unchanged)) }},
	{"lcpfib_vpp_in_flight", "requests sent to VPP and not yet answered", prometheus.GaugeValue, nil,
		func(d *daemon, s *snapshot) []sample { return one(float64(s.vpp.InFlight)) }},
	{"lcpfib_notify_total", "install notifications sent to zebra, by result", prometheus.CounterValue, []string{"result"},
		func(d *daemon, s *snapshot) []sample {
			return []sample{{float64(s.sent), []string{"offload"}}, {float64(s.fail), []string{"offload_failed"}}, {float64(s.drop), []string{"dropped"}}}
		}},
	{"lcpfib_linuxcp_calls_total", "VPP calls of the linux-cp pairing, by message", prometheus.CounterValue, []string{"msg"},
		func(d *daemon, s *snapshot) []sample {
			var out []sample
			for m, v := range s.lcp.VPPCalls {
				out = append(out, sample{float64(v), []string{m}})
			}
			return out
		}},
	{"lcpfib_linuxcp_errors_total", "VPP errors of the linux-cp pairing, by message", prometheus.CounterValue, []string{"msg"},
		func(d *daemon, s *snapshot) []sample {
			var out []sample
			for m, v := range s.lcp.VPPErrors {
				out = append(out, sample{float64(v), []string{m}})
			}
			return out
		}},
	{"lcpfib_linuxcp_enobufs_total", "netlink receive buffer overruns (each forces a resync)", prometheus.CounterValue, nil,
		func(d *daemon, s *snapshot) []sample { return one(float64(s.lcp.ENOBUFS)) }},
}

// collector exports the daemon's counters to Prometheus.
type collector struct {
	d     *daemon
	descs []*prometheus.Desc
}

func newCollector(d *daemon) *collector {
	c := &collector{d: d}
	for _, m := range metrics {
		c.descs = append(c.descs, prometheus.NewDesc(m.name, m.help, m.labels, nil))
	}
	return c
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	s := c.d.snapshot()
	for i, m := range metrics {
		for _, v := range m.values(c.d, s) {
			ch <- prometheus.MustNewConstMetric(c.descs[i], m.kind, v.v, v.labels...)
		}
	}
}

// serveMetrics serves /metrics on addr (validated to be loopback) until
// ctx is done.
func serveMetrics(ctx context.Context, addr string, d *daemon, log *slog.Logger) error {
	reg := prometheus.NewRegistry()
	if err := reg.Register(newCollector(d)); err != nil {
		return err
	}
	if d.latency != nil {
		if err := reg.Register(d.latency); err != nil {
			return err
		}
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics.listen %s: %w", addr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	log.Info("metrics listening", "addr", ln.Addr().String())
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}

// newLatencyHistogram is the programming latency: from the rib handing a
// change to the programmer to VPP's reply, 100 µs to about 26 s.
func newLatencyHistogram() prometheus.Histogram {
	return prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "lcpfib_vpp_programming_latency_seconds",
		Help:    "time from the rib handing a change over to VPP's reply",
		Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10),
	})
}
