package main

import (
	"context"
	"encoding/json"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lcpfib/lcpfib/rib"
	"github.com/lcpfib/lcpfib/testbed/lab"
	"github.com/lcpfib/lcpfib/vpp"
)

// TestIntegrationCheck runs `lcpfib check --zebra` against real zebra
// with every kind of route: in sync, it exits 0; a route through an
// interface with no VPP twin (lo) is reported as unresolved, exit 1; once
// it is gone, 0 again.
func TestIntegrationCheck(t *testing.T) {
	e := newEnv(t, lab.FRROptions{})
	if err := e.frr.Configure(
		"ip route 192.0.2.0/24 10.0.0.2",
		"ip route 198.51.100.0/24 10.0.0.2", "ip route 198.51.100.0/24 10.0.1.2",
		"ipv6 route 2001:db8:300::/48 2001:db8::2",
		"ip route 203.0.113.0/24 blackhole",
		"ip route 203.0.113.128/25 reject",
		"ipv6 route 2001:db8:100::/48 fe80::1 eth0",
		"ip route 192.0.2.128/25 10.0.0.2 table 100",
	); err != nil {
		t.Fatal(err)
	}
	e.converge("routes of every kind")
	check := func(args ...string) (int, string, string) {
		var o, er strings.Builder
		code := cli(append([]string{"check", "--socket", e.cfg.Control.Socket, "--zebra",
			"--vtysh", "vtysh --vty_socket " + filepath.Join(e.dir, "frr")}, args...), &o, &er)
		return code, o.String(), er.String()
	}
	code, out, errs := check()
	if code != exitInSync {
		t.Fatalf("check --zebra: exit %d\n%s%s", code, out, errs)
	}
	if !strings.Contains(out, "in sync: 7 routes wanted, 7 owned by lcpfib in VPP") || !strings.Contains(out, "6 selected by zebra in the main table") {
		t.Errorf("check --zebra: %s", out)
	}
	t.Logf("lcpfib check --zebra:\n%s", out)

	// lo has no VPP twin: lcpfib wants the route and cannot program it.
	if err := e.frr.Configure("ip route 192.0.2.99/32 lo"); err != nil {
		t.Fatal(err)
	}
	lo := netip.MustParsePrefix("192.0.2.99/32")
	waitUntil(t, "the route through lo in the rib", 20*time.Second, func() bool { return e.wants(lo) })
	var v checkView
	code, out, errs = check("--json")
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("check --json: %v\n%s%s", err, out, errs)
	}
	if code != exitDiffer || len(v.Differences) != 1 || v.Differences[0].Prefix != "192.0.2.99/32" || v.Differences[0].Cause != vpp.DiffUnresolved ||
		!strings.Contains(v.Differences[0].Err, "no VPP interface paired with Linux ifindex [1]") {
		t.Fatalf("check with a route through lo: exit %d, %+v", code, v)
	}
	_, out, _ = check()
	t.Logf("lcpfib check, a route through lo:\n%s", out)

	if err := e.frr.Configure("no ip route 192.0.2.99/32 lo"); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the route through lo gone from the rib", 20*time.Second, func() bool { return !e.wants(lo) })
	if code, out, errs = check(); code != exitInSync {
		t.Fatalf("check after removing the route: exit %d\n%s%s", code, out, errs)
	}
}

// wants reports whether lcpfib's rib has a route for p in the main table.
func (e *labEnv) wants(p netip.Prefix) bool {
	routes, _, err := e.d.rib.Query(context.Background(), rib.Filter{Table: vpp.LinuxTableMain, Prefix: p})
	if err != nil {
		return false
	}
	for _, r := range routes {
		if r.Prefix == p {
			return true
		}
	}
	return false
}
