package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.fd.io/govpp/adapter/socketclient"
	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/fib_types"
	"go.fd.io/govpp/binapi/ip"
	"go.fd.io/govpp/core"

	"github.com/lcpfib/lcpfib/fpm"
	"github.com/lcpfib/lcpfib/pairing"
	"github.com/lcpfib/lcpfib/rib"
	"github.com/lcpfib/lcpfib/testbed/vppsim/sim"
	"github.com/lcpfib/lcpfib/vpp"
	"github.com/lcpfib/lcpfib/zebra"
)

// ctlEnv is the daemon (fpm server, zebra feed, rib, programmer with
// static pairs, progress, control socket) against an in-process vppsim,
// fed with FRR's captures.
type ctlEnv struct {
	sim     *sim.Server
	d       *daemon
	sock    string // control socket
	addr    string // FPM listener
	conn    *core.Connection
	latency prometheus.Histogram
}

// capturePairs pairs the captures' Linux ifindexes 2, 3, 4 (named e2, e3,
// e4 here) with vppsim's three interfaces.
var capturePairs = []pairing.Pair{
	{Linux: "e2", VPP: "GigabitEthernet3/0/0"},
	{Linux: "e3", VPP: "GigabitEthernet3/0/1"},
	{Linux: "e4", VPP: "GigabitEthernet3/0/2"},
}

func captureLink(name string) (uint32, error) {
	var i uint32
	if _, err := fmt.Sscanf(name, "e%d", &i); err != nil {
		return 0, fmt.Errorf("no link %q", name)
	}
	return i, nil
}

func newCtlEnv(t *testing.T) *ctlEnv {
	t.Helper()
	dir := t.TempDir()
	apiSock := filepath.Join(dir, "api.sock")
	s, err := sim.Listen(apiSock, sim.WithChangeLogCap(1<<20))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range capturePairs {
		if _, err := s.AddInterface(sim.Interface{Name: p.VPP}); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &ctlEnv{sim: s, addr: ln.Addr().String(), sock: filepath.Join(dir, "run", "lcpfib", "ctl.sock")}
	cfg, err := loadConfig("", map[string]string{"vpp.socket": apiSock, "control.socket": e.sock})
	if err != nil {
		t.Fatal(err)
	}
	d := &daemon{cfg: cfg, log: slog.New(slog.DiscardHandler), fpmOn: true}
	d.rib = rib.New(rib.Options{})
	d.feed = zebra.NewFeed(d.rib, zebra.Options{})
	d.fpm = fpm.NewServer(d.feed, fpm.Options{Listener: ln, IdleAfter: 300 * time.Millisecond})
	static := pairing.NewStatic(capturePairs, captureLink, time.Second, nil)
	d.pairs = static
	e.latency = newLatencyHistogram()
	d.vpp = vpp.New(vpp.Config{Socket: apiSock, Latency: func(d time.Duration) { e.latency.Observe(d.Seconds()) }}, d.rib, static, nil)
	d.progress = newProgress(d.log, d.progressSample)
	if d.control, err = listenControl(e.sock); err != nil {
		t.Fatal(err)
	}
	e.d = d
	ctx, cancel := context.WithCancel(context.Background())
	simDone, done := make(chan struct{}), make(chan error, 1)
	go func() { s.Serve(ctx); close(simDone) }()
	go func() { done <- d.run(ctx) }()
	e.conn, err = core.Connect(socketclient.NewVppClient(apiSock))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		e.conn.Disconnect()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("daemon: %v", err)
		}
		d.control.Close()
		<-simDone
		s.Close()
	})
	return e
}

// load plays FRR's 120,000-route capture and waits until VPP holds it.
func (e *ctlEnv) load(t *testing.T) {
	t.Helper()
	(&pipelineEnv{addr: e.addr}).send(t, "load.bin.gz")
	waitUntil(t, "the load replayed and programmed", time.Minute, func() bool {
		return e.d.feed.Counters().Replays == 1 && e.d.vpp.Stats().RoutesAdded == 120000
	})
	waitUntil(t, "the dataplane to settle", time.Minute, func() bool {
		st, _ := e.d.rib.Stats(context.Background())
		return st.Pending == 0 && e.d.vpp.Stats().InFlight == 0
	})
}

// cli runs the command line against the env's control socket.
func (e *ctlEnv) cli(args ...string) (code int, stdout, stderr string) {
	var o, er bytes.Buffer
	code = cli(append(args, "--socket", e.sock), &o, &er)
	return code, o.String(), er.String()
}

// cliJSON runs a command with --json and decodes its output into v.
func (e *ctlEnv) cliJSON(t *testing.T, v any, args ...string) int {
	t.Helper()
	code, out, errs := e.cli(append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("%v --json: %v\nstdout: %s\nstderr: %s", args, err, out, errs)
	}
	return code
}

func mustContain(t *testing.T, what, out string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(out, s) {
			t.Errorf("%s lacks %q:\n%s", what, s, out)
		}
	}
}

// TestControlShow runs every show command against the daemon after FRR's
// load capture, in text and JSON.
func TestControlShow(t *testing.T) {
	e := newCtlEnv(t)
	e.load(t)
	if st, err := os.Stat(e.sock); err != nil || st.Mode().Perm() != 0o660 || st.Mode()&os.ModeSocket == 0 {
		t.Fatalf("control socket %s: %v, mode %v; want a socket with mode 0660", e.sock, err, st.Mode())
	}
	ctx := context.Background()
	first, matched, err := e.d.rib.Query(ctx, rib.Filter{Limit: 1})
	if err != nil || matched != 120000 {
		t.Fatalf("rib query: %d matched, %v", matched, err)
	}
	pfx := first[0].Prefix.String()

	t.Run("routes", func(t *testing.T) {
		code, out, errs := e.cli("show", "routes", "--table", "254", "--prefix", pfx)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		mustContain(t, "show routes", out, "TABLE", "PREFIX", "PATHS", pfx, "frr", "1 routes shown, 1 matched")
		var v routesView
		if code := e.cliJSON(t, &v, "show", "routes", "--limit", "5"); code != 0 || v.Matched != 120000 || len(v.Routes) != 5 {
			t.Fatalf("show routes --limit 5 --json: exit %d, %d matched, %d shown", code, v.Matched, len(v.Routes))
		}
		for _, r := range v.Routes {
			if r.Table != 254 || r.Source != "frr" || len(r.Paths) == 0 || r.Paths[0].SwIfIndex == nil {
				t.Errorf("route %+v: want table 254 from frr with a paired path", r)
			}
		}
		if code, _, errs := e.cli("show", "routes", "--prefix", "nonsense"); code != 2 || !strings.Contains(errs, `prefix "nonsense"`) {
			t.Errorf("bad prefix: exit %d, stderr %q", code, errs)
		}
	})
	t.Run("nexthop-groups", func(t *testing.T) {
		var v []nexthopView
		if code := e.cliJSON(t, &v, "show", "nexthop-groups"); code != 0 {
			t.Fatalf("exit %d", code)
		}
		c := e.d.feed.Counters()
		if uint64(len(v)) != c.Nexthops+c.Groups || len(v) == 0 {
			t.Fatalf("%d entries, want %d nexthops + %d groups", len(v), c.Nexthops, c.Groups)
		}
		groups := 0
		for _, n := range v {
			if !n.Resolved || len(n.Paths) == 0 {
				t.Errorf("entry %+v not resolved", n)
			}
			if n.Type == "group" {
				groups++
			}
		}
		if uint64(groups) != c.Groups {
			t.Errorf("%d groups shown, zebra sent %d", groups, c.Groups)
		}
		code, out, _ := e.cli("show", "nexthop-groups")
		mustContain(t, "show nexthop-groups", out, "ID", "MEMBERS", fmt.Sprintf("%d nexthops and groups", len(v)))
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
	})
	t.Run("pairs", func(t *testing.T) {
		code, out, _ := e.cli("show", "pairs")
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
		mustContain(t, "show pairs", out, "e2", "GigabitEthernet3/0/2", "resolved", "3 pairs (static)")
		var v pairsView
		e.cliJSON(t, &v, "show", "pairs")
		if len(v.Pairs) != 3 || v.Pairs[1].Ifindex != 3 || v.Pairs[1].SwIfIndex != 2 {
			t.Fatalf("pairs %+v", v)
		}
	})
	t.Run("neighbors", func(t *testing.T) {
		// Static pairs mirror no neighbours: a clear error, exit 2.
		code, _, errs := e.cli("show", "neighbors")
		if code != 2 || !strings.Contains(errs, "linux-cp.enable") {
			t.Fatalf("exit %d, stderr %q", code, errs)
		}
	})
	t.Run("fpm", func(t *testing.T) {
		code, out, _ := e.cli("show", "fpm")
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
		mustContain(t, "show fpm", out, "zebra:", "up (connection 1)", "replays:", "1 (0 ended by fpm.replay-max)")
		var v fpmView
		e.cliJSON(t, &v, "show", "fpm")
		if !v.Connected || v.Server.Frames != e.d.fpm.Stats().Frames || v.Feed.NewRoute != 120007 || v.Listen != e.d.cfg.FPM.Listen {
			t.Fatalf("show fpm --json: %+v", v)
		}
	})
	t.Run("vpp", func(t *testing.T) {
		code, out, _ := e.cli("show", "vpp")
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
		mustContain(t, "show vpp", out, "connection:", "up", fmt.Sprintf("vpe_pid:     %d", e.sim.PID()), "120000 entries VPP holds", "failing:")
		var v vppView
		e.cliJSON(t, &v, "show", "vpp")
		if !v.Connected || v.Version.PID != e.sim.PID() || v.Stats.Installed != 120000 || len(v.Failures) != 0 {
			t.Fatalf("show vpp --json: %+v", v)
		}
	})
	t.Run("stats", func(t *testing.T) {
		var v statsView
		if code := e.cliJSON(t, &v, "show", "stats"); code != 0 {
			t.Fatalf("exit %d", code)
		}
		if v.Rib.Routes != 120000 || v.Installed != 120000 || len(v.Routes) != 1 || v.Routes[0] != (countView{254, "frr", 120000}) {
			t.Fatalf("show stats --json: %+v", v)
		}
		code, out, _ := e.cli("show", "stats")
		mustContain(t, "show stats", out, "routes wanted:", "progress:", "TABLE", "254", "120000")
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
	})
	t.Run("unknown", func(t *testing.T) {
		if code, _, errs := e.cli("show", "bogus"); code != 2 || !strings.Contains(errs, `unknown "bogus"`) {
			t.Fatalf("exit %d, stderr %q", code, errs)
		}
	})
	t.Run("latency", func(t *testing.T) {
		var m dto.Metric
		if err := e.latency.Write(&m); err != nil {
			t.Fatal(err)
		}
		// Every route add and the table add had a reply.
		if n := m.GetHistogram().GetSampleCount(); n < 120000 {
			t.Fatalf("latency histogram has %d samples, want at least 120,000", n)
		}
	})
}

// vppRoute sends one ip_route_add_del on the test's own connection, as an
// operator's script would behind lcpfib's back.
func (e *ctlEnv) vppRoute(t *testing.T, add bool, p netip.Prefix, paths ...fib_types.FibPath) {
	t.Helper()
	m := &ip.IPRouteAddDel{IsAdd: add}
	m.Route.Prefix = vpp.ToPrefix(p)
	m.Route.Paths, m.Route.NPaths = paths, uint8(len(paths))
	var r ip.IPRouteAddDelReply
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.conn.Invoke(ctx, m, &r); err != nil {
		t.Fatal(err)
	}
	if err := api.RetvalToVPPApiError(r.Retval); err != nil {
		t.Fatal(err)
	}
}

// TestCheckFindsAndResyncRepairs changes VPP behind lcpfib's back (a
// route removed, one given other paths, one added with lcpfib's source):
// check reports each with its cause and exits 1, resync repairs them, and
// check then exits 0.
func TestCheckFindsAndResyncRepairs(t *testing.T) {
	e := newCtlEnv(t)
	e.load(t)
	code, out, errs := e.cli("check")
	if code != exitInSync {
		t.Fatalf("check after the load: exit %d\n%s%s", code, out, errs)
	}
	mustContain(t, "check", out, "in sync: 120000 routes wanted, 120000 owned by lcpfib in VPP")

	routes, _, err := e.d.rib.Query(context.Background(), rib.Filter{Table: 254, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	gone, changed := routes[0].Prefix, routes[1].Prefix
	extra := netip.MustParsePrefix("198.18.0.0/24")
	drop := fib_types.FibPath{Type: fib_types.FIB_API_PATH_TYPE_DROP, SwIfIndex: ^uint32(0), Proto: fib_types.FIB_API_PATH_NH_PROTO_IP4}
	e.vppRoute(t, false, gone)
	e.vppRoute(t, true, changed, drop)
	e.vppRoute(t, true, extra, drop)
	seq := e.sim.LastSeq()

	var v checkView
	if code := e.cliJSON(t, &v, "check"); code != exitDiffer {
		t.Fatalf("check with three differences: exit %d, %+v", code, v)
	}
	want := map[string]string{gone.String(): vpp.DiffMissing, changed.String(): vpp.DiffPaths, extra.String(): vpp.DiffExtra}
	if len(v.Differences) != len(want) {
		t.Fatalf("differences %+v, want %v", v.Differences, want)
	}
	for _, df := range v.Differences {
		if want[df.Prefix] != df.Cause || df.Table != 254 {
			t.Errorf("difference %+v, want cause %q in table 254", df, want[df.Prefix])
		}
		if df.Cause == vpp.DiffPaths && (df.Have != "drop" || !strings.Contains(df.Want, "via ")) {
			t.Errorf("paths difference %+v: want the routed paths and VPP's drop", df)
		}
	}
	code, out, _ = e.cli("check")
	t.Logf("lcpfib check:\n%s", out)
	mustContain(t, "check", out, "CAUSE", gone.String()+"  ", "missing", "extra", "paths", "3 differences")
	if code != exitDiffer {
		t.Fatalf("check: exit %d", code)
	}

	t.Logf("%v: check found them", time.Now())
	code, out, errs = e.cli("resync")
	t.Logf("%v: resynced", time.Now())
	if code != 0 {
		t.Fatalf("resync: exit %d %s", code, errs)
	}
	mustContain(t, "resync", out, "3 entries differed")
	waitUntil(t, "the three routes repaired", 30*time.Second, func() bool {
		return len(e.sim.ChangesSince(seq)) >= 3
	})
	code, out, errs = e.cli("check")
	if code != exitInSync {
		t.Fatalf("check after resync: exit %d\n%s%s", code, out, errs)
	}
	// The repair touched exactly the three routes.
	touched := map[string]bool{}
	for _, c := range e.sim.ChangesSince(seq) {
		touched[c.Prefix.String()] = true
	}
	if len(touched) != 3 || !touched[gone.String()] || !touched[changed.String()] || !touched[extra.String()] {
		t.Fatalf("resync changed %v, want exactly %s, %s, %s", touched, gone, changed, extra)
	}
}

// TestControlSocketErrors: a bad control.socket is refused with its key,
// path and reason; a client that finds no daemon says where it looked.
func TestControlSocketErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, path, want string }{
		{"relative", "run/lcpfib.sock", `control.socket: "run/lcpfib.sock" is not valid: must be an absolute path`},
		{"too long", "/" + strings.Repeat("x", 120), "at most 107 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadConfig("", map[string]string{"control.socket": tc.path})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
	if _, err := loadConfig("", map[string]string{"control.socket": ""}); err != nil {
		t.Fatalf("empty control.socket (off): %v", err)
	}

	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := listenControl(filepath.Join(file, "lcpfib.sock"))
	if err == nil || !strings.Contains(err.Error(), "control.socket "+file+"/lcpfib.sock: creating its directory") {
		t.Fatalf("socket under a file: %v", err)
	}
	if _, err := listenControl(file); err == nil || !strings.Contains(err.Error(), "exists and is not a socket") {
		t.Fatalf("socket path is a file: %v", err)
	}

	sock := filepath.Join(dir, "ctl.sock")
	ln, err := listenControl(sock)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := listenControl(sock); err == nil || !strings.Contains(err.Error(), "another lcpfib is listening") {
		t.Fatalf("second listener: %v", err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close() // leaves a stale socket file, as a crash would
	ln, err = listenControl(sock)
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	ln.Close()

	var o, er bytes.Buffer
	missing := filepath.Join(dir, "none.sock")
	if code := cli([]string{"show", "vpp", "--socket", missing}, &o, &er); code != 2 || !strings.Contains(er.String(), missing) || !strings.Contains(er.String(), "is lcpfib running") {
		t.Fatalf("no daemon: exit %d, stderr %q", code, er.String())
	}
	o.Reset()
	er.Reset()
	if code := cli([]string{"check", "--socket", missing}, &o, &er); code != exitError {
		t.Fatalf("check with no daemon: exit %d, want %d", code, exitError)
	}
}
