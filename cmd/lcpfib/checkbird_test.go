package main

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// birdShowRouteAll is `birdc show route all` of BIRD 2.0.12, as printed.
const birdShowRouteAll = `BIRD 2.0.12 ready.
Table master4:
198.51.100.0/24      unicast [s4 04:21:14.241] * (200)
	via 10.0.0.2 on eth0 weight 1
	via 10.0.1.2 on eth1 weight 1
	Type: static univ
203.0.113.128/26     prohibited [s4 04:21:14.241] * (200)
	Type: static univ
198.18.0.0/15        unicast [ea 04:21:14.241] * (200)
	via 10.0.0.2 on eth0
	Type: static univ
                     unicast [eb 04:21:14.241] (200)
	via 10.0.1.2 on eth1
	Type: static univ
                     unicast [lo 04:21:14.241] (150)
	via 10.0.2.2 on eth2
	Type: static univ
192.0.2.64/26        unicast [s4 04:21:14.241] * (200)
	dev eth1
	Type: static univ
10.0.0.0/24          unicast [direct1 04:21:14.241] * (240)
	dev eth0
	Type: device univ

Table master6:
2001:db8:100::/48    unicast [s6 04:21:14.241] * (200)
	via fe80::1 on eth0
	Type: static univ
`

func TestBirdWant(t *testing.T) {
	rs, err := parseBirdRoutes(birdShowRouteAll)
	if err != nil {
		t.Fatal(err)
	}
	idx := func(name string) string { return map[string]string{"eth0": "2", "eth1": "3"}[name] }
	got := map[string][]string{}
	for p, r := range rs {
		got[p.String()] = birdWant(r, true, idx)
	}
	want := map[string][]string{
		"198.51.100.0/24":   {"via 10.0.0.2, via 10.0.1.2"},
		"203.0.113.128/26":  {"unreachable"},
		"198.18.0.0/15":     {"via 10.0.0.2, via 10.0.1.2"}, // ECMP of the two at 200; the 150 one loses
		"192.0.2.64/26":     {"dev 3"},
		"10.0.0.0/24":       nil, // direct: not exported
		"2001:db8:100::/48": {"via fe80::1"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
	// Without ECMP either route of the top preference will do.
	if w := birdWant(rs[netip.MustParsePrefix("198.18.0.0/15")], false, idx); !cmp.Equal(w, []string{"via 10.0.0.2", "via 10.0.1.2"}) {
		t.Fatalf("no ECMP: %v", w)
	}
	if _, err := parseBirdRoutes("\n                     unicast [eb 04:21:14.241] (200)\n"); err == nil {
		t.Fatal("a route without a prefix parsed")
	}
}
