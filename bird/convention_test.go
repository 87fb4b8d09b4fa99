package bird

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/osrg/gobgp/v3/pkg/packet/bgp"

	"github.com/lcpfib/lcpfib/rib"
)

const testASN = 4200000000

func lc(d1, d2 uint32) *bgp.LargeCommunity { return bgp.NewLargeCommunity(testASN, d1, d2) }

// addPathBoth is the decoding option of a session with add-path for both
// families.
var addPathBoth = &bgp.MarshallingOption{AddPath: map[bgp.RouteFamily]bgp.BGPAddPathMode{
	bgp.RF_IPv4_UC: bgp.BGP_ADD_PATH_RECEIVE, bgp.RF_IPv6_UC: bgp.BGP_ADD_PATH_RECEIVE}}

// wire encodes an UPDATE as BIRD would send it (add-path on) and decodes
// it the way a session does.
func wire(t testing.TB, withdrawn []*bgp.IPAddrPrefix, attrs []bgp.PathAttributeInterface, nlri []*bgp.IPAddrPrefix) []item {
	t.Helper()
	b, err := bgp.NewBGPUpdateMessage(withdrawn, attrs, nlri).Serialize(&bgp.MarshallingOption{AddPath: map[bgp.RouteFamily]bgp.BGPAddPathMode{
		bgp.RF_IPv4_UC: bgp.BGP_ADD_PATH_SEND, bgp.RF_IPv6_UC: bgp.BGP_ADD_PATH_SEND}})
	if err != nil {
		t.Fatal(err)
	}
	var h bgp.BGPHeader
	if err := h.DecodeFromBytes(b); err != nil {
		t.Fatal(err)
	}
	m, err := parseBody(&h, b[bgp.BGP_HEADER_LENGTH:], addPathBoth)
	if err != nil {
		t.Fatal(err)
	}
	return decodeUpdate(m.Body.(*bgp.BGPUpdate), testASN, nil)
}

func v4nlri(prefix string, id uint32) *bgp.IPAddrPrefix {
	p := netip.MustParsePrefix(prefix)
	n := bgp.NewIPAddrPrefix(uint8(p.Bits()), p.Addr().String())
	n.SetPathLocalIdentifier(id) // what GoBGP's encoder sends
	return n
}

// v4path and v6path are one-prefix UPDATEs.
func v4path(t testing.TB, prefix string, id uint32, attrs ...bgp.PathAttributeInterface) []item {
	return wire(t, nil, append([]bgp.PathAttributeInterface{bgp.NewPathAttributeOrigin(0)}, attrs...), []*bgp.IPAddrPrefix{v4nlri(prefix, id)})
}

func v6path(t testing.TB, prefix, nexthop string, attrs ...bgp.PathAttributeInterface) []item {
	p := netip.MustParsePrefix(prefix)
	nlri := bgp.NewIPv6AddrPrefix(uint8(p.Bits()), p.Addr().String())
	attrs = append([]bgp.PathAttributeInterface{bgp.NewPathAttributeOrigin(0), bgp.NewPathAttributeMpReachNLRI(nexthop, []bgp.AddrPrefixInterface{nlri})}, attrs...)
	return wire(t, nil, attrs, nil)
}

func TestDecode(t *testing.T) {
	nh := bgp.NewPathAttributeNextHop
	large := func(cs ...*bgp.LargeCommunity) bgp.PathAttributeInterface {
		return bgp.NewPathAttributeLargeCommunities(cs)
	}
	gw := netip.MustParseAddr
	tests := []struct {
		name string
		in   []item
		want received
		err  error // errors.Is target; nil: success
	}{
		{
			name: "gateway and interface, BGP's default preference",
			in:   v4path(t, "192.0.2.0/24", 0, nh("10.0.0.2"), large(lc(1, 3))),
			want: received{prefix: netip.MustParsePrefix("192.0.2.0/24"), pref: 100,
				path: rib.Path{Gateway: gw("10.0.0.2"), Ifindex: 3, Weight: 1}},
		},
		{
			name: "LOCAL_PREF is BIRD's preference; add-path identifier kept",
			in:   v4path(t, "192.0.2.0/24", 7, nh("10.0.0.2"), bgp.NewPathAttributeLocalPref(250), large(lc(1, 3))),
			want: received{prefix: netip.MustParsePrefix("192.0.2.0/24"), id: 7, pref: 250,
				path: rib.Path{Gateway: gw("10.0.0.2"), Ifindex: 3, Weight: 1}},
		},
		{
			name: "interface route: BIRD's own loopback address as next hop",
			in:   v4path(t, "192.0.2.64/26", 0, nh("127.0.0.2"), large(lc(1, 5))),
			want: received{prefix: netip.MustParsePrefix("192.0.2.64/26"), pref: 100, path: rib.Path{Ifindex: 5, Weight: 1}},
		},
		{
			name: "blackhole by RFC 7999 community",
			in:   v4path(t, "203.0.113.0/26", 0, nh("127.0.0.2"), bgp.NewPathAttributeCommunities([]uint32{65535<<16 | 666}), large(lc(1, 0))),
			want: received{prefix: netip.MustParsePrefix("203.0.113.0/26"), pref: 100, kind: rib.Blackhole},
		},
		{
			name: "unreachable",
			in:   v4path(t, "203.0.113.64/26", 0, nh("127.0.0.2"), large(lc(2, 7), lc(1, 0))),
			want: received{prefix: netip.MustParsePrefix("203.0.113.64/26"), pref: 100, kind: rib.Unreachable},
		},
		{
			name: "prohibit",
			in:   v4path(t, "203.0.113.128/26", 0, nh("127.0.0.2"), large(lc(2, 8))),
			want: received{prefix: netip.MustParsePrefix("203.0.113.128/26"), pref: 100, kind: rib.Prohibit},
		},
		{
			name: "another AS's large communities are not the convention",
			in:   v4path(t, "192.0.2.0/24", 0, nh("10.0.0.2"), large(bgp.NewLargeCommunity(65000, 2, 6))),
			want: received{prefix: netip.MustParsePrefix("192.0.2.0/24"), pref: 100, path: rib.Path{Gateway: gw("10.0.0.2"), Weight: 1}},
		},
		{
			name: "IPv6 global gateway",
			in:   v6path(t, "2001:db8:300::/48", "2001:db8::2", large(lc(1, 3))),
			want: received{prefix: netip.MustParsePrefix("2001:db8:300::/48"), pref: 100,
				path: rib.Path{Gateway: gw("2001:db8::2"), Ifindex: 3, Weight: 1}},
		},
		{
			name: "IPv6 link-local gateway with its interface",
			in:   v6path(t, "2001:db8:100::/48", "fe80::1", large(lc(1, 3))),
			want: received{prefix: netip.MustParsePrefix("2001:db8:100::/48"), pref: 100,
				path: rib.Path{Gateway: gw("fe80::1"), Ifindex: 3, Weight: 1}},
		},
		{
			name: "IPv6 link-local gateway without an interface cannot be used",
			in:   v6path(t, "2001:db8:100::/48", "fe80::1"),
			err:  errNoNexthop,
		},
		{
			name: "no gateway and no interface cannot be used",
			in:   v4path(t, "192.0.2.0/24", 0, nh("127.0.0.2")),
			err:  errNoNexthop,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.in) != 1 {
				t.Fatalf("decoded %d items, want 1: %+v", len(tt.in), tt.in)
			}
			got, err := tt.in[0].rc, tt.in[0].err
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(received{}), cmp.Comparer(func(a, b rib.Path) bool { return a == b }), cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeWithdrawAndEndOfRIB(t *testing.T) {
	got := wire(t, []*bgp.IPAddrPrefix{v4nlri("192.0.2.0/24", 3)}, nil, nil)
	if len(got) != 1 || !got[0].rc.withdraw || got[0].rc.id != 3 || got[0].err != nil || got[0].rc.prefix != netip.MustParsePrefix("192.0.2.0/24") {
		t.Fatalf("IPv4 withdraw decoded as %+v", got)
	}
	v6 := bgp.NewIPv6AddrPrefix(48, "2001:db8:100::")
	v6.SetPathLocalIdentifier(9)
	got = wire(t, nil, []bgp.PathAttributeInterface{bgp.NewPathAttributeMpUnreachNLRI([]bgp.AddrPrefixInterface{v6})}, nil)
	if len(got) != 1 || !got[0].rc.withdraw || got[0].rc.id != 9 || got[0].rc.prefix != netip.MustParsePrefix("2001:db8:100::/48") {
		t.Fatalf("IPv6 withdraw decoded as %+v", got)
	}
	if got := wire(t, nil, nil, nil); len(got) != 1 || got[0].eor != ipv4 {
		t.Fatalf("IPv4 End-of-RIB decoded as %+v", got)
	}
	m := bgp.NewEndOfRib(bgp.RF_IPv6_UC).Body.(*bgp.BGPUpdate)
	if got := wire(t, nil, m.PathAttributes, nil); len(got) != 1 || got[0].eor != ipv6 {
		t.Fatalf("IPv6 End-of-RIB decoded as %+v", got)
	}
}

// TestDecodeSharedAttributes: every prefix of an UPDATE gets its
// attributes; a convention error marks each of them.
func TestDecodeSharedAttributes(t *testing.T) {
	attrs := []bgp.PathAttributeInterface{bgp.NewPathAttributeOrigin(0), bgp.NewPathAttributeNextHop("10.0.0.2"), bgp.NewPathAttributeLocalPref(200)}
	got := wire(t, nil, attrs, []*bgp.IPAddrPrefix{v4nlri("192.0.2.0/24", 1), v4nlri("198.51.100.0/24", 2)})
	if len(got) != 2 {
		t.Fatalf("decoded %+v", got)
	}
	for i, it := range got {
		if it.err != nil || it.rc.pref != 200 || it.rc.path.Gateway != netip.MustParseAddr("10.0.0.2") || it.rc.id != uint32(i+1) {
			t.Fatalf("item %d: %+v", i, it)
		}
	}
	bad := append(attrs[:2:2], bgp.NewPathAttributeLargeCommunities([]*bgp.LargeCommunity{lc(2, 99)}))
	got = wire(t, nil, bad, []*bgp.IPAddrPrefix{v4nlri("192.0.2.0/24", 1), v4nlri("198.51.100.0/24", 2)})
	if len(got) != 2 || got[0].err == nil || got[1].err == nil || !got[1].rc.prefix.IsValid() {
		t.Fatalf("unknown route type decoded as %+v", got)
	}
}

// BenchmarkDecodeUpdate: a full UPDATE as BIRD packs a table (IPv4 /24s
// with add-path identifiers sharing one set of attributes), through
// GoBGP's decoder and the convention; reported per prefix.
func BenchmarkDecodeUpdate(b *testing.B) {
	attrs := []bgp.PathAttributeInterface{bgp.NewPathAttributeOrigin(0), bgp.NewPathAttributeAsPath(nil),
		bgp.NewPathAttributeNextHop("10.0.0.2"), bgp.NewPathAttributeLocalPref(200),
		bgp.NewPathAttributeLargeCommunities([]*bgp.LargeCommunity{lc(1, 3)})}
	var nlri []*bgp.IPAddrPrefix
	for i := range 500 {
		nlri = append(nlri, v4nlri(netip.PrefixFrom(netip.AddrFrom4([4]byte{100, byte(i >> 8), byte(i), 0}), 24).String(), 1))
	}
	m := bgp.NewBGPUpdateMessage(nil, attrs, nlri)
	raw, err := m.Serialize(&bgp.MarshallingOption{AddPath: map[bgp.RouteFamily]bgp.BGPAddPathMode{bgp.RF_IPv4_UC: bgp.BGP_ADD_PATH_SEND}})
	if err != nil {
		b.Fatal(err)
	}
	var h bgp.BGPHeader
	if err := h.DecodeFromBytes(raw); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var items []item
	for b.Loop() {
		m, err := parseBody(&h, raw[bgp.BGP_HEADER_LENGTH:], addPathBoth)
		if err != nil {
			b.Fatal(err)
		}
		items = decodeUpdate(m.Body.(*bgp.BGPUpdate), testASN, items[:0])
	}
	if len(items) != len(nlri) {
		b.Fatalf("%d items", len(items))
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(nlri)), "ns/prefix")
}
