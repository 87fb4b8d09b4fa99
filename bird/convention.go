package bird

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/osrg/gobgp/v3/pkg/packet/bgp"

	"github.com/lcpfib/lcpfib/rib"
)

// The route convention between BIRD's export filter (contrib/bird/lcpfib.conf)
// and the bridge. BGP has no words for a Linux interface or a blackhole, so
// the filter writes them as communities; large communities use the
// bridge's AS number as their global administrator (ASN below).
//
//	BGP next hop          the route's gateway (filter: bgp_next_hop = gw).
//	                      A loopback or unspecified next hop means "no
//	                      gateway": an interface route. BIRD puts its own
//	                      (loopback) session address there when the filter
//	                      leaves the next hop alone.
//	(ASN, 1, ifindex)     the outgoing interface, as the Linux ifindex in
//	                      the dataplane namespace (filter: ifindex). Needed
//	                      for interface routes and IPv6 link-local gateways.
//	65535:666             blackhole (RFC 7999 BLACKHOLE).
//	(ASN, 2, 6|7|8)       blackhole, unreachable, prohibit (the Linux
//	                      rtm_type values).
//	LOCAL_PREF            BIRD's preference (filter: bgp_local_pref =
//	                      preference); with add-path, the highest wins.
const (
	lcIfindex = 1
	lcType    = 2

	communityBlackhole = 65535<<16 | 666

	rtnBlackhole   = 6
	rtnUnreachable = 7
	rtnProhibit    = 8
)

// received is one path as BIRD sent it, decoded by the convention.
type received struct {
	prefix   netip.Prefix
	id       uint32 // add-path identifier; 0 without add-path
	withdraw bool
	pref     uint32
	kind     rib.Kind
	path     rib.Path // the next hop of a unicast route
}

// errNoNexthop: a unicast route the bridge cannot forward (no usable
// gateway and no interface).
var errNoNexthop = errors.New("no usable next hop")

// item is one path of an UPDATE, or an End-of-RIB marker.
type item struct {
	eor family // non-zero: End-of-RIB for this family
	rc  received
	err error // the path breaks the convention: treated as withdrawn
}

// attrs is what an UPDATE's path attributes say by the convention; every
// prefix the UPDATE announces shares it.
type attrs struct {
	pref uint32
	kind rib.Kind
	path rib.Path
	err  error
}

// decodeUpdate appends the UPDATE's paths to dst. asn is the bridge's AS,
// the large communities' global administrator. The attributes are read
// once per UPDATE; BIRD packs the prefixes that share them into one.
func decodeUpdate(u *bgp.BGPUpdate, asn uint32, dst []item) []item {
	if eor, rf := u.IsEndOfRib(); eor {
		switch rf {
		case bgp.RF_IPv4_UC:
			return append(dst, item{eor: ipv4})
		case bgp.RF_IPv6_UC:
			return append(dst, item{eor: ipv6})
		}
		return dst
	}
	withdraw := func(n bgp.AddrPrefixInterface, v6 bool) {
		it := item{}
		it.rc.prefix, it.err = prefixOf(n, v6)
		it.rc.id = n.PathIdentifier()
		it.rc.withdraw = true
		dst = append(dst, it)
	}
	for _, n := range u.WithdrawnRoutes {
		withdraw(n, false)
	}
	common := attrs{pref: 100} // BGP's default LOCAL_PREF when the filter sets none
	var nexthop netip.Addr
	var reach *bgp.PathAttributeMpReachNLRI
	for _, a := range u.PathAttributes {
		switch a := a.(type) {
		case *bgp.PathAttributeNextHop:
			nexthop, _ = netip.AddrFromSlice(a.Value)
		case *bgp.PathAttributeMpReachNLRI:
			reach = a
		case *bgp.PathAttributeMpUnreachNLRI:
			v6, ok := unicast(a.AFI, a.SAFI)
			for _, n := range a.Value {
				if ok {
					withdraw(n, v6)
				}
			}
		case *bgp.PathAttributeLocalPref:
			common.pref = a.Value
		case *bgp.PathAttributeCommunities:
			for _, c := range a.Value {
				if c == communityBlackhole {
					common.kind = rib.Blackhole
				}
			}
		case *bgp.PathAttributeLargeCommunities:
			for _, c := range a.Values {
				if common.err == nil {
					common.err = common.large(c, asn)
				}
			}
		}
	}
	announce := func(n bgp.AddrPrefixInterface, v6 bool, at *attrs) {
		it := item{err: at.err}
		var err error
		it.rc.prefix, err = prefixOf(n, v6)
		if err != nil {
			it.err = err
		}
		it.rc.id = n.PathIdentifier()
		it.rc.pref, it.rc.kind, it.rc.path = at.pref, at.kind, at.path
		dst = append(dst, it)
	}
	if len(u.NLRI) > 0 {
		v4 := common.finish(asn, nexthop)
		for _, n := range u.NLRI {
			announce(n, false, &v4)
		}
	}
	if reach != nil {
		v6, ok := unicast(reach.AFI, reach.SAFI)
		if ok {
			gw, _ := netip.AddrFromSlice(reach.Nexthop)
			if ll, _ := netip.AddrFromSlice(reach.LinkLocalNexthop); !usable(gw) && usable(ll) {
				gw = ll // RFC 2545: a global address, then optionally a link-local one
			}
			at := common.finish(asn, gw)
			for _, n := range reach.Value {
				announce(n, v6, &at)
			}
		}
	}
	return dst
}

// unicast reports whether AFI/SAFI is IPv4 or IPv6 unicast, and which.
func unicast(afi uint16, safi uint8) (v6, ok bool) {
	if safi != bgp.SAFI_UNICAST {
		return false, false
	}
	switch afi {
	case bgp.AFI_IP:
		return false, true
	case bgp.AFI_IP6:
		return true, true
	}
	return false, false
}

// prefixOf converts GoBGP's NLRI; the prefix must be of the family the
// UPDATE carries it in.
func prefixOf(n bgp.AddrPrefixInterface, v6 bool) (netip.Prefix, error) {
	var ip []byte
	var bits uint8
	switch n := n.(type) {
	case *bgp.IPAddrPrefix:
		ip, bits = n.Prefix, n.Length
	case *bgp.IPv6AddrPrefix:
		ip, bits = n.Prefix, n.Length
	default:
		return netip.Prefix{}, fmt.Errorf("NLRI %v is not an IP prefix", n)
	}
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return netip.Prefix{}, fmt.Errorf("NLRI prefix of %d bytes", len(ip))
	}
	if !v6 {
		a = a.Unmap()
	}
	switch {
	case a.Is6() != v6:
		return netip.Prefix{}, fmt.Errorf("NLRI prefix %s/%d in the other address family", a, bits)
	case int(bits) > a.BitLen():
		return netip.Prefix{}, fmt.Errorf("NLRI prefix %s/%d: length beyond the address", a, bits)
	}
	return netip.PrefixFrom(a, int(bits)).Masked(), nil
}

// large applies one large community.
func (at *attrs) large(c *bgp.LargeCommunity, asn uint32) error {
	if c.ASN != asn {
		return nil
	}
	switch c.LocalData1 {
	case lcIfindex:
		at.path.Ifindex = c.LocalData2
	case lcType:
		switch c.LocalData2 {
		case rtnBlackhole:
			at.kind = rib.Blackhole
		case rtnUnreachable:
			at.kind = rib.Unreachable
		case rtnProhibit:
			at.kind = rib.Prohibit
		default:
			return fmt.Errorf("large community (%d, %d, %d): unknown route type %d", asn, lcType, c.LocalData2, c.LocalData2)
		}
	}
	return nil
}

// finish completes the attributes with the BGP next hop gw.
func (at attrs) finish(asn uint32, gw netip.Addr) attrs {
	if at.err != nil {
		return at
	}
	if at.kind != rib.Unicast {
		at.path = rib.Path{}
		return at
	}
	if usable(gw) {
		at.path.Gateway = gw.Unmap()
	}
	switch {
	case !at.path.Gateway.IsValid() && at.path.Ifindex == 0:
		at.err = fmt.Errorf("%w: next hop %v is BIRD's own address and no interface (large community (%d, %d, ifindex)) came with it", errNoNexthop, gw, asn, lcIfindex)
	case at.path.Gateway.IsLinkLocalUnicast() && at.path.Ifindex == 0:
		at.err = fmt.Errorf("%w: link-local gateway %s without an interface (large community (%d, %d, ifindex))", errNoNexthop, at.path.Gateway, asn, lcIfindex)
	}
	at.path.Weight = 1
	return at
}

// usable reports whether a BGP next hop is a gateway; a loopback or
// unspecified one stands for "no gateway".
func usable(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsValid() && !a.IsLoopback() && !a.IsUnspecified()
}
