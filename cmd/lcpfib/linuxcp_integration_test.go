package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lcpfib/lcpfib/testbed/lab"
	"github.com/lcpfib/lcpfib/testbed/vppsim/sim"
)

// TestIntegrationLinuxCP runs lcpfib with linux-cp pairing: it creates the
// declared pair (vppsim makes a real TAP in the dataplane namespace),
// mirrors the TAP's address onto VPP, and a route zebra selects through
// the TAP reaches VPP on the paired VPP interface.
func TestIntegrationLinuxCP(t *testing.T) {
	requireLab(t)
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	nsSeq.Lock()
	nsSeq.n++
	name := fmt.Sprintf("lcpfib-lcp%d-%d", os.Getpid(), nsSeq.n)
	nsSeq.Unlock()
	ns, err := lab.NewNetns(name, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })

	sock := filepath.Join(dir, "api.sock")
	vs, err := sim.Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	phy, err := vs.AddInterface(sim.Interface{Name: "GigabitEthernet3/0/0", AdminUp: true, LinkUp: true})
	if err != nil {
		t.Fatal(err)
	}
	simCtx, stopSim := context.WithCancel(context.Background())
	simDone := make(chan struct{})
	go func() { vs.Serve(simCtx); close(simDone) }()
	t.Cleanup(func() { stopSim(); <-simDone })

	cfgPath := filepath.Join(dir, "lcpfib.yaml")
	yaml := fmt.Sprintf(`netns: %s
control:
  socket: %s
vpp:
  socket: %s
fpm:
  replay-quiet: 1s
linux-cp:
  enable: true
  reconcile: 2s
interfaces:
  - linux: e0
    vpp: GigabitEthernet3/0/0
`, ns.Path(), filepath.Join(dir, "ctl.sock"), sock)
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	e := &labEnv{t: t, dir: dir, ns: ns, sim: vs}
	if e.cfg, err = loadConfig(cfgPath, nil); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "lcpfib.log"))
	if err != nil {
		t.Fatal(err)
	}
	e.log = slog.New(slog.NewTextHandler(logf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.startLcpfib()
	t.Cleanup(func() {
		e.stopLcpfib()
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "lcpfib.log"))
			t.Logf("---- lcpfib.log (last 6000 bytes)\n%s", tail(b, 6000))
		}
	})

	waitCond := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); !cond(); {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s\n%s", what, e.stats())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// The declared pair is created: its TAP appears in the namespace.
	waitCond("the TAP e0", func() bool {
		_, err := ns.Exec("ip", "link", "show", "e0")
		return err == nil
	})
	for _, c := range [][]string{
		{"ip", "link", "set", "e0", "up"},
		{"ip", "addr", "add", "10.9.0.1/24", "dev", "e0"},
	} {
		if out, err := ns.Exec(c[0], c[1:]...); err != nil {
			t.Fatalf("%v: %v %s", c, err, out)
		}
	}
	addr := netip.MustParsePrefix("10.9.0.1/24")
	waitCond("the address mirrored onto VPP", func() bool {
		for _, ch := range vs.ChangesSince(0) {
			if ch.Kind == sim.ChangeAddrAdd && ch.SwIfIndex == phy && ch.Prefix == addr {
				return true
			}
		}
		return false
	})

	// zebra selects a route through the TAP: VPP gets it on the phy.
	frrLog, err := os.Create(filepath.Join(dir, "frr.log"))
	if err != nil {
		t.Fatal(err)
	}
	frr, err := lab.StartFRR(ns, filepath.Join(dir, "frr"), lab.FRROptions{Log: frrLog})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(frr.Stop)
	e.frr = frr
	e.waitZebra(1)
	if err := frr.Configure("ip route 198.18.5.0/24 10.9.0.2"); err != nil {
		t.Fatal(err)
	}
	want := netip.MustParsePrefix("198.18.5.0/24")
	waitCond("the route through the TAP in VPP", func() bool {
		for _, ch := range vs.ChangesOf(0, want) {
			if ch.Kind == sim.ChangeAdd && strings.Contains(ch.Paths, fmt.Sprintf("if %d", phy)) {
				return true
			}
		}
		return false
	})

	// The show commands see the pair and the neighbours mirrored onto
	// VPP, and check finds VPP in sync.
	ctl := filepath.Join(dir, "ctl.sock")
	run := func(args ...string) (int, string, string) {
		var o, er strings.Builder
		code := cli(append(args, "--socket", ctl), &o, &er)
		return code, o.String(), er.String()
	}
	if out, err := ns.Exec("ip", "neigh", "replace", "10.9.0.2", "lladdr", "02:00:00:00:09:02", "dev", "e0", "nud", "permanent"); err != nil {
		t.Fatalf("ip neigh: %v %s", err, out)
	}
	waitCond("show neighbors to list 10.9.0.2", func() bool {
		_, out, _ := run("show", "neighbors")
		return strings.Contains(out, "10.9.0.2")
	})
	code, out, errs := run("show", "neighbors")
	if code != 0 || !strings.Contains(out, "GigabitEthernet3/0/0") || !strings.Contains(out, "02:00:00:00:09:02  static") {
		t.Errorf("show neighbors: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = run("show", "pairs")
	if code != 0 || !strings.Contains(out, "e0") || !strings.Contains(out, "created by lcpfib") || !strings.Contains(out, "(linux-cp)") {
		t.Errorf("show pairs: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = run("check", "--zebra", "--vtysh", "vtysh --vty_socket "+filepath.Join(dir, "frr"))
	if code != exitInSync {
		t.Errorf("check --zebra: exit %d\n%s%s", code, out, errs)
	}
	t.Logf("show neighbors / pairs / check --zebra:\n%s", out)
}
