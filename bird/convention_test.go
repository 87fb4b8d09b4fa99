package bird

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	api "github.com/osrg/gobgp/v3/api"
	"github.com/osrg/gobgp/v3/pkg/apiutil"
	"github.com/osrg/gobgp/v3/pkg/packet/bgp"

	"github.com/lcpfib/lcpfib/rib"
)

const testASN = 4200000000

func lc(d1, d2 uint32) *bgp.LargeCommunity { return bgp.NewLargeCommunity(testASN, d1, d2) }

// v4path and v6path build what GoBGP's watch hands the bridge.
func v4path(t *testing.T, prefix string, id uint32, attrs ...bgp.PathAttributeInterface) *api.Path {
	t.Helper()
	p := netip.MustParsePrefix(prefix)
	nlri := bgp.NewIPAddrPrefix(uint8(p.Bits()), p.Addr().String())
	nlri.SetPathIdentifier(id)
	ap, err := apiutil.NewPath(nlri, false, append([]bgp.PathAttributeInterface{bgp.NewPathAttributeOrigin(0)}, attrs...), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return ap
}

func v6path(t *testing.T, prefix, nexthop string, attrs ...bgp.PathAttributeInterface) *api.Path {
	t.Helper()
	p := netip.MustParsePrefix(prefix)
	nlri := bgp.NewIPv6AddrPrefix(uint8(p.Bits()), p.Addr().String())
	attrs = append([]bgp.PathAttributeInterface{bgp.NewPathAttributeMpReachNLRI(nexthop, []bgp.AddrPrefixInterface{nlri})}, attrs...)
	ap, err := apiutil.NewPath(nlri, false, attrs, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return ap
}

func TestDecode(t *testing.T) {
	nh := bgp.NewPathAttributeNextHop
	large := func(cs ...*bgp.LargeCommunity) bgp.PathAttributeInterface {
		return bgp.NewPathAttributeLargeCommunities(cs)
	}
	gw := netip.MustParseAddr
	tests := []struct {
		name string
		in   *api.Path
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
			got, err := decode(tt.in, testASN)
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

func TestDecodeWithdrawAndBadNLRI(t *testing.T) {
	p := v4path(t, "192.0.2.0/24", 3, bgp.NewPathAttributeNextHop("10.0.0.2"))
	p.IsWithdraw = true
	got, err := decode(p, testASN)
	if err != nil || !got.withdraw || got.id != 3 || got.prefix != netip.MustParsePrefix("192.0.2.0/24") {
		t.Fatalf("withdraw decoded as %+v, %v", got, err)
	}
	p.Nlri = nil
	if _, err := decode(p, testASN); err == nil {
		t.Fatal("a path without NLRI decoded")
	}
	bad := v4path(t, "192.0.2.0/24", 0, bgp.NewPathAttributeNextHop("10.0.0.2"))
	bad.Nlri = p.Pattrs[0] // an attribute where the NLRI belongs
	if _, err := decode(bad, testASN); err == nil {
		t.Fatal("an attribute decoded as NLRI")
	}
}
