package pairing

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestUsableNUD(t *testing.T) {
	for _, tt := range []struct {
		name  string
		state int
		want  bool
	}{
		{"reachable", nudReachable, true},
		{"stale", nudStale, true},
		{"delay", nudDelay, true},
		{"probe", nudProbe, true},
		{"permanent", nudPermanent, true},
		{"incomplete", nudIncomplete, false},
		{"failed", nudFailed, false},
		{"noarp", nudNoARP, false},
		{"none", 0, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := usableNUD(tt.state); got != tt.want {
				t.Errorf("usableNUD(%#x) = %v, want %v", tt.state, got, tt.want)
			}
		})
	}
}

func TestManagedPrefix(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{"10.0.0.1/24", true},
		{"2001:db8::1/64", true},
		{"169.254.1.1/16", true}, // IPv4 link-local is Linux's to give
		{"fe80::1/64", false},    // VPP manages its own
		{"febf::1/64", false},    // still fe80::/10
		{"fec0::1/64", true},
	} {
		if got := managedPrefix(netip.MustParsePrefix(tt.in)); got != tt.want {
			t.Errorf("managedPrefix(%s) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestSetNeigh(t *testing.T) {
	mac := []byte{2, 0, 0, 0, 0, 1}
	ip := netip.MustParseAddr("10.0.0.2")
	for _, tt := range []struct {
		name    string
		state   int
		mac     []byte
		deleted bool
		want    map[netip.Addr]neigh
	}{
		{"stale kept", nudStale, mac, false, map[netip.Addr]neigh{ip: {MAC: [6]byte(mac)}}},
		{"permanent is static", nudPermanent, mac, false, map[netip.Addr]neigh{ip: {MAC: [6]byte(mac), Static: true}}},
		{"failed removes", nudFailed, mac, false, map[netip.Addr]neigh{}},
		{"incomplete removes", nudIncomplete, nil, false, map[netip.Addr]neigh{}},
		{"deleted removes", nudReachable, mac, true, map[netip.Addr]neigh{}},
		{"no mac removes", nudReachable, nil, false, map[netip.Addr]neigh{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newLinuxState()
			s.setNeigh(3, ip, []byte{2, 0, 0, 0, 0, 9}, nudReachable, false)
			s.setNeigh(3, ip, tt.mac, tt.state, tt.deleted)
			if d := cmp.Diff(tt.want, s.neighs[3]); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func pfx(s ...string) map[netip.Prefix]bool {
	m := map[netip.Prefix]bool{}
	for _, p := range s {
		m[netip.MustParsePrefix(p)] = true
	}
	return m
}

func TestDiff(t *testing.T) {
	a := netip.MustParseAddr
	n1 := neigh{MAC: [6]byte{2, 0, 0, 0, 0, 1}}
	n2 := neigh{MAC: [6]byte{2, 0, 0, 0, 0, 2}}
	for _, tt := range []struct {
		name   string
		link   link
		addrs  map[netip.Prefix]bool
		neighs map[netip.Addr]neigh
		have   *vppIf
		want   []op
	}{
		{
			name: "in sync",
			link: link{Up: true, MTU: 1500}, addrs: pfx("10.0.0.1/24"),
			neighs: map[netip.Addr]neigh{a("10.0.0.2"): n1},
			have:   &vppIf{Up: true, MTU: 1500, Addrs: pfx("10.0.0.1/24", "fe80::1/64"), Neighs: map[netip.Addr]neigh{a("10.0.0.2"): n1}},
		},
		{
			name: "everything differs",
			link: link{Up: false, MTU: 9000}, addrs: pfx("10.0.0.1/24", "2001:db8::1/64"),
			neighs: map[netip.Addr]neigh{a("10.0.0.2"): n2, a("10.0.0.3"): n1},
			have:   &vppIf{Up: true, MTU: 1500, Addrs: pfx("10.0.0.1/16", "10.9.9.9/8"), Neighs: map[netip.Addr]neigh{a("10.0.0.2"): n1, a("10.0.0.4"): n1}},
			want: []op{
				{Kind: opMTU, MTU: 9000},
				{Kind: opFlags, Up: false},
				{Kind: opAddrDel, Prefix: netip.MustParsePrefix("10.0.0.1/16")},
				{Kind: opAddrDel, Prefix: netip.MustParsePrefix("10.9.9.9/8")},
				{Kind: opAddrAdd, Prefix: netip.MustParsePrefix("10.0.0.1/24")},
				{Kind: opAddrAdd, Prefix: netip.MustParsePrefix("2001:db8::1/64")},
				{Kind: opNeighAdd, IP: a("10.0.0.2"), Neigh: n2},
				{Kind: opNeighAdd, IP: a("10.0.0.3"), Neigh: n1},
				{Kind: opNeighDel, IP: a("10.0.0.4"), Neigh: n1},
			},
		},
		{
			name:   "static to dynamic deletes first",
			neighs: map[netip.Addr]neigh{a("10.0.0.2"): n1},
			have:   &vppIf{Addrs: pfx(), Neighs: map[netip.Addr]neigh{a("10.0.0.2"): {MAC: n1.MAC, Static: true}}},
			want: []op{
				{Kind: opNeighDel, IP: a("10.0.0.2"), Neigh: neigh{MAC: n1.MAC, Static: true}},
				{Kind: opNeighAdd, IP: a("10.0.0.2"), Neigh: n1},
			},
		},
		{
			name: "dynamic to static re-adds",
			link: link{MTU: 0}, neighs: map[netip.Addr]neigh{a("::1"): {MAC: n1.MAC, Static: true}},
			have: &vppIf{Addrs: pfx(), Neighs: map[netip.Addr]neigh{a("::1"): n1}},
			want: []op{{Kind: opNeighAdd, IP: a("::1"), Neigh: neigh{MAC: n1.MAC, Static: true}}},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []op
			got = append(got, diffLink(tt.link, tt.have)...)
			got = append(got, diffAddrs(tt.addrs, tt.have)...)
			got = append(got, diffNeighs(tt.neighs, tt.have)...)
			if d := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b }), cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); d != "" {
				t.Fatalf("ops (-want +got):\n%s", d)
			}
			for _, o := range got {
				tt.have.apply(o)
			}
			var again []op
			again = append(again, diffLink(tt.link, tt.have)...)
			again = append(again, diffAddrs(tt.addrs, tt.have)...)
			again = append(again, diffNeighs(tt.neighs, tt.have)...)
			if len(again) != 0 {
				t.Errorf("not converged after applying: %v", again)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   Config
		err  string
	}{
		{"ok", Config{Pairs: []PairSpec{{VPP: "G0", Linux: "e0"}}, VLANs: []VLANSpec{{Parent: "G0", VLAN: 100, Linux: "e0.100"}}}, ""},
		{"long name", Config{Pairs: []PairSpec{{VPP: "G0", Linux: "abcdefghijklmnop"}}}, "1 to 15 bytes"},
		{"linux twice", Config{Pairs: []PairSpec{{VPP: "G0", Linux: "e0"}, {VPP: "G1", Linux: "e0"}}}, "paired twice"},
		{"vpp twice", Config{Pairs: []PairSpec{{VPP: "G0", Linux: "e0"}, {VPP: "G0", Linux: "e1"}}}, "paired twice"},
		{"bad vlan", Config{Pairs: []PairSpec{{VPP: "G0", Linux: "e0"}}, VLANs: []VLANSpec{{Parent: "G0", VLAN: 4095, Linux: "v"}}}, "not a VLAN id"},
		{"unpaired parent", Config{VLANs: []VLANSpec{{Parent: "G0", VLAN: 5, Linux: "v"}}}, "not a declared pair"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.in.Validate()
			if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("Validate() = %v, want %q", err, tt.err)
			}
		})
	}
}

func TestSetDefaults(t *testing.T) {
	for _, tt := range []struct {
		name, netns, lcp, want string
	}{
		{"from the netns path", "/run/netns/dataplane", "", "dataplane"},
		{"explicit", "/run/netns/dataplane", "other", "other"},
		{"current namespace", "", "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := Config{Netns: tt.netns, LCPNetns: tt.lcp}
			c.setDefaults()
			if c.LCPNetns != tt.want {
				t.Errorf("LCPNetns = %q, want %q", c.LCPNetns, tt.want)
			}
			if c.ReplyTimeout <= 0 || c.Logger == nil || c.Events <= 0 {
				t.Errorf("defaults missing: %+v", c)
			}
		})
	}
}
