package vpp

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.fd.io/govpp/binapi/fib_types"
	"go.fd.io/govpp/binapi/ip"

	"github.com/lcpfib/lcpfib/rib"
)

type ifmap map[uint32]uint32

func (m ifmap) SwIfIndex(i uint32) (uint32, bool) { v, ok := m[i]; return v, ok }

func TestTableID(t *testing.T) {
	for _, tc := range []struct {
		linux, want uint32
		ok          bool
	}{
		{254, 0, true}, {100, 100, true}, {255, 0, false}, {253, 253, true}, {1, 1, true},
	} {
		got, ok := TableID(tc.linux)
		if got != tc.want || ok != tc.ok {
			t.Errorf("TableID(%d) = %d, %v; want %d, %v", tc.linux, got, ok, tc.want, tc.ok)
		}
	}
}

func TestRouteAdd(t *testing.T) {
	ifs := ifmap{2: 1, 3: 2}
	v4 := netip.MustParsePrefix("192.0.2.0/24")
	v6 := netip.MustParsePrefix("2001:db8:100::/48")
	gw := func(s string) netip.Addr { return netip.MustParseAddr(s) }
	nh := func(a string) fib_types.FibPathNh { return fib_types.FibPathNh{Address: ToUnion(gw(a))} }
	ip4, ip6 := fib_types.FIB_API_PATH_NH_PROTO_IP4, fib_types.FIB_API_PATH_NH_PROTO_IP6
	for _, tc := range []struct {
		name  string
		in    rib.Route
		table uint32
		want  []fib_types.FibPath
		err   bool
	}{
		{
			name: "single nexthop",
			in:   rib.Route{Key: rib.Key{Prefix: v4}, Paths: []rib.Path{{Gateway: gw("10.0.0.2"), Ifindex: 2, Weight: 1}}},
			want: []fib_types.FibPath{{SwIfIndex: 1, Weight: 1, Proto: ip4, Nh: nh("10.0.0.2")}},
		},
		{
			name: "weighted ECMP",
			in: rib.Route{Key: rib.Key{Prefix: v4}, Paths: []rib.Path{
				{Gateway: gw("10.0.0.2"), Ifindex: 2, Weight: 3}, {Gateway: gw("10.0.1.2"), Ifindex: 3, Weight: 1}}},
			want: []fib_types.FibPath{
				{SwIfIndex: 1, Weight: 3, Proto: ip4, Nh: nh("10.0.0.2")},
				{SwIfIndex: 2, Weight: 1, Proto: ip4, Nh: nh("10.0.1.2")}},
		},
		{
			name: "interface only (attached)",
			in:   rib.Route{Key: rib.Key{Prefix: v4}, Paths: []rib.Path{{Ifindex: 3, Weight: 1}}},
			want: []fib_types.FibPath{{SwIfIndex: 2, Weight: 1, Proto: ip4}},
		},
		{
			name: "IPv6 link-local nexthop keeps its interface",
			in:   rib.Route{Key: rib.Key{Prefix: v6}, Paths: []rib.Path{{Gateway: gw("fe80::1"), Ifindex: 2, Weight: 1}}},
			want: []fib_types.FibPath{{SwIfIndex: 1, Weight: 1, Proto: ip6, Nh: nh("fe80::1")}},
		},
		{
			name: "IPv4 over IPv6 nexthop (RFC 5549)",
			in:   rib.Route{Key: rib.Key{Prefix: v4}, Paths: []rib.Path{{Gateway: gw("fe80::1"), Ifindex: 2, Weight: 1}}},
			want: []fib_types.FibPath{{SwIfIndex: 1, Weight: 1, Proto: ip6, Nh: nh("fe80::1")}},
		},
		{
			name: "recursive nexthop without interface",
			in:   rib.Route{Key: rib.Key{Prefix: v4}, Paths: []rib.Path{{Gateway: gw("198.51.100.1"), Weight: 1}}},
			want: []fib_types.FibPath{{SwIfIndex: invalidIndex, Weight: 1, Proto: ip4, Nh: nh("198.51.100.1")}},
		},
		{
			name: "unpaired path left out",
			in: rib.Route{Key: rib.Key{Prefix: v4}, Paths: []rib.Path{
				{Gateway: gw("10.0.0.2"), Ifindex: 2, Weight: 1}, {Gateway: gw("10.9.0.2"), Ifindex: 9, Weight: 1}}},
			want: []fib_types.FibPath{{SwIfIndex: 1, Weight: 1, Proto: ip4, Nh: nh("10.0.0.2")}},
		},
		{
			name: "no paired path at all",
			in:   rib.Route{Key: rib.Key{Prefix: v4}, Paths: []rib.Path{{Gateway: gw("10.9.0.2"), Ifindex: 9, Weight: 1}}},
			err:  true,
		},
		{
			name: "blackhole", in: rib.Route{Key: rib.Key{Prefix: v4}, Kind: rib.Blackhole},
			want: []fib_types.FibPath{{SwIfIndex: invalidIndex, Weight: 1, Proto: ip4, Type: fib_types.FIB_API_PATH_TYPE_DROP}},
		},
		{
			name: "unreachable", in: rib.Route{Key: rib.Key{Prefix: v6}, Kind: rib.Unreachable}, table: 100,
			want: []fib_types.FibPath{{SwIfIndex: invalidIndex, Weight: 1, Proto: ip6, Type: fib_types.FIB_API_PATH_TYPE_ICMP_UNREACH}},
		},
		{
			name: "prohibit", in: rib.Route{Key: rib.Key{Prefix: v4}, Kind: rib.Prohibit},
			want: []fib_types.FibPath{{SwIfIndex: invalidIndex, Weight: 1, Proto: ip4, Type: fib_types.FIB_API_PATH_TYPE_ICMP_PROHIBIT}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := routeAdd(&tc.in, tc.table, ifs)
			if tc.err {
				if err == nil {
					t.Fatalf("got %+v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := &ip.IPRouteAddDel{IsAdd: true, Route: ip.IPRoute{
				TableID: tc.table, Prefix: ToPrefix(tc.in.Prefix), NPaths: uint8(len(tc.want)), Paths: tc.want}}
			if d := cmp.Diff(want, got); d != "" {
				t.Fatalf("(-want +got)\n%s", d)
			}
		})
	}
}

func TestPrefixRoundTrip(t *testing.T) {
	for _, s := range []string{"0.0.0.0/0", "192.0.2.0/24", "10.53.0.0/16", "::/0", "2001:db8::/32", "fe80::/64", "2001:db8::1/128"} {
		p := netip.MustParsePrefix(s)
		if got := FromPrefix(ToPrefix(p)); got != p {
			t.Errorf("%s: round trip gave %s", s, got)
		}
	}
}

// BenchmarkRouteAdd builds the request and the digest of a route of one
// and of two paths, as the programmer does for every route it sends.
func BenchmarkRouteAdd(b *testing.B) {
	ifs := ifmap{2: 1, 3: 2}
	for _, n := range []int{1, 2} {
		r := &rib.Route{Key: rib.Key{Table: 254, Prefix: netip.MustParsePrefix("192.0.2.0/24")}, Kind: rib.Unicast}
		for i := range n {
			r.Paths = append(r.Paths, rib.Path{Gateway: netip.AddrFrom4([4]byte{10, 0, byte(i), 2}), Ifindex: uint32(2 + i)})
		}
		b.Run(map[int]string{1: "1path", 2: "2paths"}[n], func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				m, err := routeAdd(r, 0, ifs)
				if err != nil {
					b.Fatal(err)
				}
				_ = digest(m.Route.Paths)
			}
		})
	}
}
