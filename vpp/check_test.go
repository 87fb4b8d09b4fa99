package vpp

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"go.fd.io/govpp/adapter/socketclient"
	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/fib_types"
	"go.fd.io/govpp/binapi/ip"
	"go.fd.io/govpp/core"

	"github.com/lcpfib/lcpfib/rib"
)

// TestCheckCauses: every cause Check reports, against vppsim, and Reread
// repairing what was changed behind the programmer's back.
func TestCheckCauses(t *testing.T) {
	f := newFixture(t, Config{RouteRetryMin: 50 * time.Millisecond, RouteRetryMax: 200 * time.Millisecond})
	f.prog.ifs.(*staticIfs).ifmap[7] = 3 // VPP has no sw_if_index 3: refused
	ctx := context.Background()
	good, changed, gone := v4route(1, 2), v4route(2, 3), v4route(3, 2)
	refused, unresolved := v4route(4, 7), v4route(5, 9) // ifindex 9 has no pair
	all := []rib.Route{good, changed, gone, refused, unresolved}
	for i := range all {
		all[i].Source = rib.SourceFRR
	}
	if err := f.rib.Apply(ctx, rib.Update{Source: rib.SourceFRR, Set: all}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "three routes programmed and one refused", func() bool {
		return f.prog.Stats().RoutesAdded == 3 && len(f.prog.Failures()) == 1
	})
	res, err := f.prog.Check(ctx, all)
	if err != nil {
		t.Fatal(err)
	}
	causes := func(res CheckResult) map[netip.Prefix]Difference {
		out := map[netip.Prefix]Difference{}
		for _, d := range res.Differences {
			out[d.Key.Prefix] = d
		}
		return out
	}
	got := causes(res)
	if len(got) != 2 || got[refused.Prefix].Cause != DiffFailed || !strings.Contains(got[refused.Prefix].Err, "-54") ||
		got[unresolved.Prefix].Cause != DiffUnresolved || !strings.Contains(got[unresolved.Prefix].Err, "[9]") {
		t.Fatalf("before any change behind its back: %+v", res.Differences)
	}
	if res.Wanted != 5 || res.InVPP != 3 {
		t.Fatalf("wanted %d, in VPP %d; want 5 and 3", res.Wanted, res.InVPP)
	}

	// Behind the programmer's back.
	conn, err := core.Connect(socketclient.NewVppClient(f.sock))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Disconnect()
	extra := netip.MustParsePrefix("198.18.0.0/24")
	drop := fib_types.FibPath{Type: fib_types.FIB_API_PATH_TYPE_DROP, SwIfIndex: invalidIndex, Proto: fib_types.FIB_API_PATH_NH_PROTO_IP4}
	for _, m := range []*ip.IPRouteAddDel{
		{IsAdd: false, Route: ip.IPRoute{Prefix: ToPrefix(gone.Prefix)}},
		{IsAdd: true, Route: ip.IPRoute{Prefix: ToPrefix(changed.Prefix), NPaths: 1, Paths: []fib_types.FibPath{drop}}},
		{IsAdd: true, Route: ip.IPRoute{Prefix: ToPrefix(extra), NPaths: 1, Paths: []fib_types.FibPath{drop}}},
	} {
		var r ip.IPRouteAddDelReply
		if err := conn.Invoke(ctx, m, &r); err != nil || api.RetvalToVPPApiError(r.Retval) != nil {
			t.Fatalf("%+v: %v %d", m.Route.Prefix, err, r.Retval)
		}
	}
	if res, err = f.prog.Check(ctx, all); err != nil {
		t.Fatal(err)
	}
	got = causes(res)
	want := map[netip.Prefix]string{gone.Prefix: DiffMissing, changed.Prefix: DiffPaths, extra: DiffExtra,
		refused.Prefix: DiffFailed, unresolved.Prefix: DiffUnresolved}
	for p, c := range want {
		if got[p].Cause != c {
			t.Errorf("%s: %+v, want cause %s", p, got[p], c)
		}
	}
	if d := got[changed.Prefix]; d.Have != "drop" || d.Want != "via 10.0.0.2 sw_if_index 2" {
		t.Errorf("paths difference %+v", d)
	}
	if len(got) != len(want) {
		t.Errorf("differences %+v", res.Differences)
	}

	// Reread corrects the record: the missing and changed routes are
	// programmed again. (The extra one stays an orphan: no source has
	// replayed in this test, so nothing is swept.)
	n, err := f.prog.Reread(ctx)
	if err != nil || n != 3 {
		t.Fatalf("Reread: %d corrected, %v; want 3", n, err)
	}
	waitFor(t, "the missing and changed routes repaired", func() bool {
		r, _ := f.prog.Check(ctx, all)
		c := causes(r)
		return c[gone.Prefix].Cause == "" && c[changed.Prefix].Cause == ""
	})
}
