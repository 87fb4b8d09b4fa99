package rib

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPackedRoundTrip(t *testing.T) {
	for _, k := range []Key{
		{Table: 254, Prefix: netip.MustParsePrefix("192.0.2.0/24")},
		{Table: 100, Prefix: netip.MustParsePrefix("0.0.0.0/0")},
		{Table: 254, Prefix: netip.MustParsePrefix("2001:db8::/32")},
		{Table: 7, Prefix: netip.MustParsePrefix("::/0")},
		{Table: 254, Prefix: netip.MustParsePrefix("::ffff:192.0.2.0/120")}, // IPv4-mapped IPv6 stays IPv6
		LSPKey(254, 100),
	} {
		if got := k.Pack().Key(); got != k {
			t.Errorf("%v: round trip gave %v", k, got)
		}
	}
	a := Key{Table: 254, Prefix: netip.MustParsePrefix("192.0.2.0/24")}.Pack()
	b := Key{Table: 254, Prefix: netip.MustParsePrefix("::ffff:192.0.2.0/24")}.Pack()
	if a == b {
		t.Error("an IPv4 key and an IPv4-mapped IPv6 key pack the same")
	}
}

func TestPathSetRoundTrip(t *testing.T) {
	ps := []Path{
		{Gateway: netip.MustParseAddr("10.0.1.2"), Ifindex: 3, Weight: 2, Labels: MustLabels(100, 200)},
		{Gateway: netip.MustParseAddr("fe80::1"), Ifindex: 2, Weight: 1},
		{Ifindex: 4, Weight: 1},
		{Gateway: netip.MustParseAddr("10.0.0.2"), Weight: 1},
	}
	s := internPaths(ps)
	if d := cmp.Diff(SortedPaths(ps), s.paths(), cmpOpts, cmp.Comparer(func(a, b Labels) bool { return a == b })); d != "" {
		t.Fatalf("(-want +got)\n%s", d)
	}
	// The same set in another order is the same handle.
	rev := []Path{ps[3], ps[2], ps[1], ps[0]}
	if internPaths(rev) != s {
		t.Fatal("the same paths in another order interned apart")
	}
	if internPaths(nil) != (pathSet{}) || (pathSet{}).paths() != nil {
		t.Fatal("empty path set")
	}
}
