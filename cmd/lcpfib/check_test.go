package main

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCompareZebra(t *testing.T) {
	p := netip.MustParsePrefix
	for _, tc := range []struct {
		name       string
		zebra, rib map[netip.Prefix]string
		want       []diffView
	}{
		{"equal", map[netip.Prefix]string{p("10.0.0.0/8"): "via 10.0.0.2 ifindex 2"},
			map[netip.Prefix]string{p("10.0.0.0/8"): "via 10.0.0.2 ifindex 2"}, nil},
		{"missing in lcpfib", map[netip.Prefix]string{p("10.0.0.0/8"): "blackhole"}, map[netip.Prefix]string{},
			[]diffView{{Table: 254, Prefix: "10.0.0.0/8", Cause: "zebra-missing", Want: "blackhole", Err: "zebra selected it; lcpfib did not get it (or skipped it: see show fpm)"}}},
		{"extra in lcpfib", map[netip.Prefix]string{}, map[netip.Prefix]string{p("2001:db8::/32"): "unreachable"},
			[]diffView{{Table: 254, Prefix: "2001:db8::/32", Cause: "zebra-extra", Have: "unreachable", Err: "lcpfib wants it; zebra has not selected it"}}},
		{"paths", map[netip.Prefix]string{p("10.0.0.0/8"): "via 10.0.0.2 ifindex 2, via 10.0.1.2 ifindex 3"},
			map[netip.Prefix]string{p("10.0.0.0/8"): "via 10.0.0.2 ifindex 2"},
			[]diffView{{Table: 254, Prefix: "10.0.0.0/8", Cause: "zebra-paths", Want: "via 10.0.0.2 ifindex 2, via 10.0.1.2 ifindex 3", Have: "via 10.0.0.2 ifindex 2"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, compareZebra(tc.zebra, tc.rib)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestRibMainCanonical(t *testing.T) {
	routes := []routeView{
		{Table: 254, Prefix: "10.0.0.0/8", Kind: "unicast", Paths: []pathView{{Gateway: "10.0.1.2", Ifindex: 3}, {Gateway: "10.0.0.2", Ifindex: 2}}},
		{Table: 254, Prefix: "192.0.2.0/24", Kind: "blackhole"},
		{Table: 254, Prefix: "192.0.3.0/24", Kind: "prohibit"},
		{Table: 100, Prefix: "10.0.0.0/8", Kind: "unicast", Paths: []pathView{{Gateway: "10.0.0.2", Ifindex: 2}}},
	}
	want := map[netip.Prefix]string{
		netip.MustParsePrefix("10.0.0.0/8"):   "via 10.0.0.2 ifindex 2, via 10.0.1.2 ifindex 3",
		netip.MustParsePrefix("192.0.2.0/24"): "blackhole",
		netip.MustParsePrefix("192.0.3.0/24"): "unreachable",
	}
	if diff := cmp.Diff(want, ribMain(routes)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
