package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/lcpfib/lcpfib/bird"
	"github.com/lcpfib/lcpfib/testbed/lab"
)

// birdYAML enables the bridge as contrib/bird/lcpfib.conf expects it.
const birdYAML = "bird:\n  enable: true\n  ecmp: true\n  peers:\n    - address: 127.0.0.2\n"

// birdConf is a bird.conf: the routes under test, then the shipped
// contrib/bird/lcpfib.conf, included unchanged.
func birdConf(t *testing.T, statics string) string {
	t.Helper()
	contrib, err := filepath.Abs("../../contrib/bird/lcpfib.conf")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(contrib); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("log stderr all;\ndebug protocols { states, routes, filters };\nrouter id 10.255.0.1;\nprotocol device { scan time 1; }\n%s\ninclude %q;\n", statics, contrib)
}

// oneStatic is a BIRD static protocol with one route.
const oneStatic = "protocol static s4 { ipv4; route 192.0.2.0/24 via 10.0.0.2; }"

// birdConfWith is birdConf with the shipped contrib file inlined and the
// line add inserted after its line after (which must be there).
func birdConfWith(t *testing.T, statics, after, add string) string {
	t.Helper()
	contrib, err := os.ReadFile("../../contrib/bird/lcpfib.conf")
	if err != nil {
		t.Fatal(err)
	}
	c := strings.Replace(string(contrib), after, after+add, 1)
	if c == string(contrib) {
		t.Fatalf("contrib/bird/lcpfib.conf has no line %q to add %q after", after, add)
	}
	return fmt.Sprintf("router id 10.255.0.1;\nprotocol device { scan time 1; }\n%s\n%s", statics, c)
}

// startBIRD runs BIRD in the lab and waits for its session to lcpfib.
func (e *labEnv) startBIRD(conf string) *lab.BIRD {
	e.t.Helper()
	logf, err := os.OpenFile(filepath.Join(e.dir, "bird.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		e.t.Fatal(err)
	}
	b, err := lab.StartBIRD(e.ns, filepath.Join(e.dir, "bird"), conf, logf)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(b.Kill)
	if err := b.Established("lcpfib", 20*time.Second); err != nil {
		e.t.Fatal(err)
	}
	return b
}

// birdStatus is the bridge's status.
func (e *labEnv) birdStatus() bird.Status {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := e.d.bird.Status(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

// vppHas waits until VPP's main table is exactly want (sorted lines as
// lab.Have prints them).
func (e *labEnv) vppHas(step string, want []string) {
	e.t.Helper()
	want = slices.Sorted(slices.Values(want))
	var have []string
	for deadline := time.Now().Add(20 * time.Second); ; {
		var err error
		have, err = lab.Have(context.Background(), e.conn, 0)
		if err != nil {
			e.t.Fatalf("%s: %v", step, err)
		}
		slices.Sort(have)
		if cmp.Equal(want, have) {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s: VPP's FIB is not what BIRD exported (-want +vpp):\n%s\nbridge %+v\n%s", step, cmp.Diff(want, have), e.birdStatus(), e.stats())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// noDeletes fails when VPP removed or replaced a route since seq.
func (e *labEnv) noChanges(step string, seq uint64) {
	e.t.Helper()
	var bad []string
	for _, c := range e.sim.ChangesSince(seq) {
		if c.Msg == "ip_route_add_del" {
			bad = append(bad, fmt.Sprintf("%+v", c))
		}
	}
	if len(bad) > 0 {
		e.t.Fatalf("%s: VPP's routes changed, want no change at all:\n%s", step, strings.Join(bad, "\n"))
	}
}

const birdStatics = `
protocol static s4 {
	ipv4;
	route 192.0.2.0/24 via 10.0.0.2;
	route 198.51.100.0/24 via 10.0.0.2 via 10.0.1.2;
	route 203.0.113.0/26 blackhole;
	route 203.0.113.64/26 unreachable;
	route 203.0.113.128/26 prohibit;
	route 192.0.2.64/26 via "eth1";
}
protocol static s6 {
	ipv6;
	route 2001:db8:300::/48 via 2001:db8::2;
	route 2001:db8:100::/48 via fe80::1%eth0;
}
# One prefix from two protocols of equal preference: add-path carries both.
protocol static ea { ipv4; route 198.18.0.0/15 via 10.0.0.2; }
protocol static eb { ipv4; route 198.18.0.0/15 via 10.0.1.2; }
# One prefix from two protocols; pb is preferred.
protocol static pa { ipv4; route 198.51.100.128/25 via 10.0.0.2; }
protocol static pb { ipv4 { preference 250; }; route 198.51.100.128/25 via 10.0.1.2; }
`

// TestIntegrationBIRD runs real BIRD 2 with the shipped contrib config
// against lcpfib and vppsim: every kind of route, add-path ECMP and
// preference, withdrawals, graceful restart and a crash (zero changes in
// VPP), an lcpfib restart (zero changes) and birdc down (everything
// withdrawn).
func TestIntegrationBIRD(t *testing.T) {
	// bird.birdc: the audit after each transfer reads BIRD's table.
	e := newLab(t, envOpts{yaml: birdYAML + "  birdc: birdc -s $LABDIR/bird/bird.ctl\n"})
	b := e.startBIRD(birdConf(t, birdStatics))
	sw0, sw1 := e.sw["eth0"], e.sw["eth1"]
	want := []string{
		fmt.Sprintf("0 192.0.2.0/24 via 10.0.0.2 sw %d w1", sw0),
		// BIRD's multipath route: BGP carries the first next hop only.
		fmt.Sprintf("0 198.51.100.0/24 via 10.0.0.2 sw %d w1", sw0),
		"0 203.0.113.0/26 drop",
		"0 203.0.113.64/26 unreach",
		"0 203.0.113.128/26 prohibit",
		fmt.Sprintf("0 192.0.2.64/26 sw %d w1", sw1),
		fmt.Sprintf("0 2001:db8:300::/48 via 2001:db8::2 sw %d w1", sw0),
		fmt.Sprintf("0 2001:db8:100::/48 via fe80::1 sw %d w1", sw0),
		fmt.Sprintf("0 198.18.0.0/15 via 10.0.0.2 sw %d w1, via 10.0.1.2 sw %d w1", sw0, sw1),
		fmt.Sprintf("0 198.51.100.128/25 via 10.0.1.2 sw %d w1", sw1),
	}
	e.vppHas("BIRD's routes", want)
	st := e.birdStatus()
	if st.Invalid != 0 || st.Replaying {
		t.Fatalf("bridge status after the first transfer: %+v", st)
	}
	// What an operator sees: show bird, and check agrees with VPP.
	ctl := filepath.Join(e.dir, "ctl.sock")
	var out, errs strings.Builder
	if code := cli([]string{"show", "bird", "--socket", ctl}, &out, &errs); code != 0 {
		t.Fatalf("show bird: exit %d: %s", code, errs.String())
	}
	for _, w := range []string{"127.0.0.2", "established", "ipv4-unicast,ipv6-unicast", "127.0.0.1:1790", "10 (12 paths)"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("show bird lacks %q:\n%s", w, out.String())
		}
	}
	t.Logf("show bird:\n%s", out.String())
	out.Reset()
	if code := cli([]string{"show", "bird", "--json", "--socket", ctl}, &out, &errs); code != 0 || !strings.Contains(out.String(), `"Restarting": false`) {
		t.Fatalf("show bird --json: exit %d:\n%s%s", code, out.String(), errs.String())
	}
	reg := prometheus.NewRegistry()
	if err := reg.Register(newCollector(e.d)); err != nil {
		t.Fatal(err)
	}
	got := gather(t, reg)
	for name, want := range map[string]float64{
		"lcpfib_bird_session_up{peer=127.0.0.2}":             1,
		"lcpfib_bird_restarting{peer=127.0.0.2}":             0,
		"lcpfib_bird_peer_paths{peer=127.0.0.2}":             12,
		"lcpfib_bird_prefixes":                               10,
		"lcpfib_bird_paths_total{op=announced}":              12,
		"lcpfib_bird_paths_total{op=invalid}":                0,
		"lcpfib_rib_routes_by_table{source=bird}{table=254}": 10,
	} {
		if v, ok := got[name]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", name, v, ok, want)
		}
	}
	out.Reset()
	if code := cli([]string{"check", "--socket", ctl}, &out, &errs); code != 0 {
		t.Fatalf("check: exit %d:\n%s%s", code, out.String(), errs.String())
	}
	// Against BIRD's own table: everything agrees but the multipath
	// route, which BGP carried with its first next hop only.
	out.Reset()
	var cv checkView
	code := cli([]string{"check", "--bird", "--birdc", "birdc -s " + b.Socket(), "--json", "--socket", ctl}, &out, &errs)
	if err := json.Unmarshal([]byte(out.String()), &cv); err != nil || code != 1 {
		t.Fatalf("check --bird: exit %d, %v:\n%s%s", code, err, out.String(), errs.String())
	}
	if len(cv.Differences) != 1 || cv.Differences[0].Prefix != "198.51.100.0/24" || cv.Differences[0].Cause != "bird-paths" ||
		!strings.Contains(cv.Differences[0].Err, "2 next hops") {
		t.Fatalf("check --bird differences: %+v", cv.Differences)
	}
	out.Reset()
	cli([]string{"check", "--bird", "--birdc", "birdc -s " + b.Socket(), "--socket", ctl}, &out, &errs)
	t.Logf("check --bird:\n%s", out.String())
	// The same route, found and logged by lcpfib itself after the transfer.
	for deadline := time.Now().Add(30 * time.Second); e.d.audit.cut.Load() != 1; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("bird.birdc audit: %d multipath routes cut, want 1", e.d.audit.cut.Load())
		}
	}
	if got := gather(t, reg)["lcpfib_bird_multipath_cut"]; got != 1 {
		t.Errorf("lcpfib_bird_multipath_cut = %v, want 1", got)
	}
	if log, _ := os.ReadFile(filepath.Join(e.dir, "lcpfib.log")); !strings.Contains(string(log), "prefix=198.51.100.0/24 bird_next_hops=2 programmed=1") {
		t.Errorf("lcpfib's log does not name the multipath route BGP cut short")
	}

	// Withdrawals: a route goes, one ECMP member goes.
	conf := strings.Replace(birdStatics, "\troute 192.0.2.0/24 via 10.0.0.2;\n", "", 1)
	conf = strings.Replace(conf, "protocol static eb { ipv4; route 198.18.0.0/15 via 10.0.1.2; }\n", "", 1)
	if err := b.Configure(birdConf(t, conf)); err != nil {
		t.Fatal(err)
	}
	want = slices.DeleteFunc(want, func(l string) bool { return strings.Contains(l, " 192.0.2.0/24 ") })
	for i, l := range want {
		if strings.Contains(l, " 198.18.0.0/15 ") {
			want[i] = fmt.Sprintf("0 198.18.0.0/15 via 10.0.0.2 sw %d w1", sw0)
		}
	}
	e.vppHas("after withdrawals", want)

	// Graceful restart, then a crash: BIRD's routes stay in VPP untouched
	// while it is away and after it is back.
	for _, how := range []string{"birdc graceful restart", "kill -9"} {
		seq := e.sim.LastSeq()
		if how == "kill -9" {
			b.Kill()
		} else if err := b.GracefulRestart(); err != nil {
			t.Fatal(err)
		}
		e.waitBIRD(how+": session lost", func(st bird.Status) bool { return st.Peers[0].Restarting })
		time.Sleep(time.Second) // BIRD is away: nothing may be withdrawn meanwhile
		e.vppHas(how+": while BIRD is away", want)
		if err := b.Start(how != "kill -9"); err != nil {
			t.Fatal(err)
		}
		if err := b.Established("lcpfib", 20*time.Second); err != nil {
			t.Fatal(err)
		}
		e.waitBIRD(how+": BIRD back, End-of-RIB seen", func(st bird.Status) bool {
			p := st.Peers[0]
			return p.State == "established" && !p.Restarting && len(p.EndOfRIB) == 2
		})
		e.vppHas(how+": after BIRD is back", want)
		e.noChanges(how, seq)
		if st := e.birdStatus(); st.Peers[0].Stale != 0 {
			t.Fatalf("%s: stale paths left: %+v", how, st.Peers[0])
		}
	}

	// lcpfib restarts: BIRD reconnects, sends its table again, and VPP
	// sees no change at all; nothing is swept before BIRD's End-of-RIB.
	seq := e.sim.LastSeq()
	e.stopLcpfib()
	e.startLcpfib()
	e.waitBIRD("lcpfib restarted, BIRD's transfer complete", func(st bird.Status) bool {
		return !st.Replaying && st.Peers[0].State == "established"
	})
	e.vppHas("after an lcpfib restart", want)
	e.noChanges("lcpfib restart", seq)

	// birdc down: BIRD says Cease, everything it announced goes.
	if err := b.Down(); err != nil {
		t.Fatal(err)
	}
	e.vppHas("after birdc down", nil)
	if st := e.birdStatus(); st.Paths != 0 {
		t.Fatalf("paths left after birdc down: %+v", st)
	}
}

// waitBIRD waits until the bridge's status satisfies ok.
func (e *labEnv) waitBIRD(step string, ok func(bird.Status) bool) {
	e.t.Helper()
	var st bird.Status
	for deadline := time.Now().Add(20 * time.Second); ; {
		if st = e.birdStatus(); ok(st) {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s: bridge status not reached within 20s: %+v", step, st)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestIntegrationBIRDUnknownPeer: a BIRD connecting from an address that
// is not a configured peer never gets a session, and nothing it sends
// reaches VPP.
func TestIntegrationBIRDUnknownPeer(t *testing.T) {
	e := newLab(t, envOpts{yaml: "bird:\n  enable: true\n  peers:\n    - address: 127.0.0.3\n"})
	b, err := lab.StartBIRD(e.ns, filepath.Join(e.dir, "bird"), birdConf(t, oneStatic), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Kill)
	// BIRD (from 127.0.0.2) connects, lcpfib's speaker closes the
	// connection; BIRD records the failed attempt.
	var out string
	for deadline := time.Now().Add(20 * time.Second); ; {
		out, _ = b.Birdc("show protocols all lcpfib")
		if strings.Contains(out, "Established") {
			t.Fatalf("a peer that is not configured got a session:\n%s", out)
		}
		if strings.Contains(out, "Last error") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("BIRD shows no refused connection within 20s:\n%s", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("BIRD, refused:\n%s", out)
	if st := e.birdStatus(); st.Paths != 0 || st.Peers[0].State == "established" {
		t.Fatalf("bridge accepted something: %+v", st)
	}
	if have, err := lab.Have(context.Background(), e.conn, 0); err != nil || len(have) != 0 {
		t.Fatalf("VPP has routes (%v): %v", err, have)
	}
}

// TestIntegrationBothSources: FRR (zebra's FPM feed) and BIRD announce
// the same prefix; FRR's route is programmed (the default rib.prefer),
// BIRD's takes over when FRR withdraws and gives way when FRR is back.
func TestIntegrationBothSources(t *testing.T) {
	e := newLab(t, envOpts{frr: &lab.FRROptions{}, yaml: birdYAML})
	e.startBIRD(birdConf(t, "protocol static s4 { ipv4; route 192.0.2.0/24 via 10.0.1.2; route 198.51.100.0/24 via 10.0.1.2; }"))
	sw0, sw1 := e.sw["eth0"], e.sw["eth1"]
	birdOnly := fmt.Sprintf("0 198.51.100.0/24 via 10.0.1.2 sw %d w1", sw1)
	e.vppHas("BIRD alone", []string{fmt.Sprintf("0 192.0.2.0/24 via 10.0.1.2 sw %d w1", sw1), birdOnly})
	if err := e.frr.Configure("ip route 192.0.2.0/24 10.0.0.2"); err != nil {
		t.Fatal(err)
	}
	e.vppHas("FRR and BIRD: FRR preferred", []string{fmt.Sprintf("0 192.0.2.0/24 via 10.0.0.2 sw %d w1", sw0), birdOnly})
	if err := e.frr.Configure("no ip route 192.0.2.0/24 10.0.0.2"); err != nil {
		t.Fatal(err)
	}
	e.vppHas("FRR withdrew: BIRD takes over", []string{fmt.Sprintf("0 192.0.2.0/24 via 10.0.1.2 sw %d w1", sw1), birdOnly})
	if err := e.frr.Configure("ip route 192.0.2.0/24 10.0.0.2"); err != nil {
		t.Fatal(err)
	}
	e.vppHas("FRR back", []string{fmt.Sprintf("0 192.0.2.0/24 via 10.0.0.2 sw %d w1", sw0), birdOnly})
}

// TestIntegrationBIRDPassword: with a TCP MD5 password on both sides the
// session comes up; BIRD with a wrong one gets none.
func TestIntegrationBIRDPassword(t *testing.T) {
	e := newLab(t, envOpts{yaml: "bird:\n  enable: true\n  peers:\n    - address: 127.0.0.2\n      password: s3cret\n"})
	withPassword := func(pw string) string {
		return birdConfWith(t, oneStatic, "\tmultihop;\n", "\tpassword \""+pw+"\";\n")
	}
	b, err := lab.StartBIRD(e.ns, filepath.Join(e.dir, "bird"), withPassword("wrong"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Kill)
	// A wrong key: the SYNs are dropped by the kernel, BIRD never connects.
	time.Sleep(5 * time.Second)
	if out, _ := b.Birdc("show protocols lcpfib"); strings.Contains(out, "Established") {
		t.Fatalf("session with the wrong password:\n%s", out)
	}
	if st := e.birdStatus(); st.Peers[0].State == "established" {
		t.Fatalf("bridge established with the wrong password: %+v", st.Peers[0])
	}
	if err := b.Configure(withPassword("s3cret")); err != nil {
		t.Fatal(err)
	}
	if err := b.Established("lcpfib", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	e.vppHas("right password", []string{fmt.Sprintf("0 192.0.2.0/24 via 10.0.0.2 sw %d w1", e.sw["eth0"])})
}

// TestIntegrationBIRDRestartTimeout: BIRD stops for a graceful restart and
// does not come back within the restart time it advertised: its stale
// routes are withdrawn then, not before.
func TestIntegrationBIRDRestartTimeout(t *testing.T) {
	e := newLab(t, envOpts{yaml: birdYAML})
	// The shipped file with a 4 s restart time instead of BIRD's 120 s.
	b := e.startBIRD(birdConfWith(t, oneStatic, "\tgraceful restart on;\n", "\tgraceful restart time 4;\n"))
	route := []string{fmt.Sprintf("0 192.0.2.0/24 via 10.0.0.2 sw %d w1", e.sw["eth0"])}
	e.vppHas("BIRD's route", route)
	if err := b.GracefulRestart(); err != nil {
		t.Fatal(err)
	}
	lost := time.Now()
	e.waitBIRD("session lost, restarting", func(st bird.Status) bool { return st.Peers[0].Restarting })
	e.vppHas("while within the restart time", route)
	e.vppHas("after the restart time", nil)
	if took := time.Since(lost); took < 4*time.Second {
		t.Fatalf("stale routes withdrawn %v after the session was lost, before BIRD's 4 s restart time", took)
	}
	if st := e.birdStatus(); st.Paths != 0 || st.Peers[0].Restarting {
		t.Fatalf("bridge after the restart time: %+v", st)
	}
}
