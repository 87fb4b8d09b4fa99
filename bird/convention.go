package bird

import (
	"errors"
	"fmt"
	"net/netip"

	api "github.com/osrg/gobgp/v3/api"

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

// decode reads a path GoBGP received. asn is the bridge's AS, the large
// communities' global administrator.
//
// GoBGP hands paths over as protobuf Any values. The few messages the
// convention needs are read straight from their wire bytes (wire.go):
// unmarshalling each into a new message cost a third of the bridge's
// time and most of its garbage at full-table scale.
func decode(p *api.Path, asn uint32) (received, error) {
	var r received
	if p.GetNlri() == nil {
		return r, errors.New("path without NLRI")
	}
	if p.Nlri.GetTypeUrl() != typeIPAddressPrefix {
		return r, fmt.Errorf("NLRI %s is not an IP prefix", p.Nlri.GetTypeUrl())
	}
	plen, addr, err := readPrefix(p.Nlri.GetValue())
	if err != nil {
		return r, fmt.Errorf("NLRI: %w", err)
	}
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return r, fmt.Errorf("NLRI prefix %q: %w", addr, err)
	}
	if a.Is4In6() {
		return r, fmt.Errorf("NLRI prefix %s/%d: IPv4-mapped", a, plen)
	}
	if int(plen) > a.BitLen() {
		return r, fmt.Errorf("NLRI prefix %s/%d: length beyond the address", a, plen)
	}
	r.prefix = netip.PrefixFrom(a, int(plen)).Masked()
	r.id = p.Identifier
	if p.IsWithdraw {
		r.withdraw = true
		return r, nil
	}
	r.pref = 100 // BGP's default LOCAL_PREF when the filter sets none
	var gw netip.Addr
	for _, at := range p.Pattrs {
		v := at.GetValue()
		switch at.GetTypeUrl() {
		case typeNextHop:
			s, err := readString(v, 1)
			if err != nil {
				return r, fmt.Errorf("NEXT_HOP: %w", err)
			}
			if gw, err = netip.ParseAddr(s); err != nil {
				return r, fmt.Errorf("NEXT_HOP %q: %w", s, err)
			}
		case typeMpReach:
			hops, err := readStrings(v, 2)
			if err != nil {
				return r, fmt.Errorf("MP_REACH_NLRI: %w", err)
			}
			if gw, err = mpNexthop(hops); err != nil {
				return r, err
			}
		case typeLocalPref:
			if r.pref, err = readUint32(v, 1); err != nil {
				return r, fmt.Errorf("LOCAL_PREF: %w", err)
			}
		case typeCommunities:
			err := readPackedUint32(v, 1, func(c uint32) {
				if c == communityBlackhole {
					r.kind = rib.Blackhole
				}
			})
			if err != nil {
				return r, fmt.Errorf("COMMUNITIES: %w", err)
			}
		case typeLargeCommunities:
			err := readLargeCommunities(v, func(ga, d1, d2 uint32) error {
				if ga != asn {
					return nil
				}
				switch d1 {
				case lcIfindex:
					r.path.Ifindex = d2
				case lcType:
					switch d2 {
					case rtnBlackhole:
						r.kind = rib.Blackhole
					case rtnUnreachable:
						r.kind = rib.Unreachable
					case rtnProhibit:
						r.kind = rib.Prohibit
					default:
						return fmt.Errorf("large community (%d, %d, %d): unknown route type %d", asn, lcType, d2, d2)
					}
				}
				return nil
			})
			if err != nil {
				return r, err
			}
		}
	}
	if r.kind != rib.Unicast {
		r.path = rib.Path{}
		return r, nil
	}
	if usable(gw) {
		r.path.Gateway = gw.Unmap()
	}
	switch {
	case !r.path.Gateway.IsValid() && r.path.Ifindex == 0:
		return r, fmt.Errorf("%w: next hop %v is BIRD's own address and no interface (large community (%d, %d, ifindex)) came with it", errNoNexthop, gw, asn, lcIfindex)
	case r.path.Gateway.IsLinkLocalUnicast() && r.path.Ifindex == 0:
		return r, fmt.Errorf("%w: link-local gateway %s without an interface (large community (%d, %d, ifindex))", errNoNexthop, r.path.Gateway, asn, lcIfindex)
	}
	r.path.Weight = 1
	return r, nil
}

// mpNexthop picks the gateway from MP_REACH_NLRI's next hops (RFC 2545
// sends a global address, then optionally a link-local one): the first
// that is a real gateway, or else the first.
func mpNexthop(hops []string) (netip.Addr, error) {
	var best netip.Addr
	for _, h := range hops {
		a, err := netip.ParseAddr(h)
		if err != nil {
			return netip.Addr{}, fmt.Errorf("MP_REACH_NLRI next hop %q: %w", h, err)
		}
		if !best.IsValid() || (!usable(best) && usable(a)) {
			best = a
		}
	}
	return best, nil
}

// usable reports whether a BGP next hop is a gateway; a loopback or
// unspecified one stands for "no gateway".
func usable(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsValid() && !a.IsLoopback() && !a.IsUnspecified()
}
