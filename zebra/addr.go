package zebra

import (
	"fmt"
	"net/netip"

	"github.com/mdlayher/netlink"
	"github.com/mdlayher/netlink/nlenc"
)

// addrLen is the length of an address of the family, 0 if the family has no
// IP addresses.
func addrLen(family uint8) int {
	switch family {
	case FamilyInet:
		return 4
	case FamilyInet6:
		return 16
	}
	return 0
}

// decodeAddr decodes an address attribute of a message of the family.
func decodeAddr(family uint8, b []byte) (netip.Addr, error) {
	if n := addrLen(family); n == 0 || len(b) != n {
		return netip.Addr{}, fmt.Errorf("%w: %d bytes for family %d", errAddrLen, len(b), family)
	}
	a, _ := netip.AddrFromSlice(b)
	return a, nil
}

// familyOf is the address family of a.
func familyOf(a netip.Addr) uint8 {
	if a.Is4() {
		return FamilyInet
	}
	return FamilyInet6
}

// encodeAddr returns the bytes of a for a message of the family.
func encodeAddr(family uint8, a netip.Addr) ([]byte, error) {
	if !a.IsValid() || familyOf(a) != family {
		return nil, fmt.Errorf("%w: %s in a message of family %d", errAddrLen, a, family)
	}
	return a.AsSlice(), nil
}

// decodeVia decodes RTA_VIA (struct rtvia: a 16-bit family, then the
// address), which zebra uses for a gateway of the other family, such as an
// IPv6 nexthop of an IPv4 route.
func decodeVia(b []byte) (netip.Addr, error) {
	if len(b) < sizeofRtviaFamily {
		return netip.Addr{}, fmt.Errorf("%w: RTA_VIA of %d bytes", errShort, len(b))
	}
	fam := nlenc.Uint16(b[:sizeofRtviaFamily])
	if fam > 0xff {
		return netip.Addr{}, fmt.Errorf("%w: RTA_VIA family %d", errAddrLen, fam)
	}
	return decodeAddr(uint8(fam), b[sizeofRtviaFamily:])
}

// encodeGateway adds gw to ae as RTA_GATEWAY when it has the message's
// family and as RTA_VIA otherwise.
func encodeGateway(ae *netlink.AttributeEncoder, family uint8, gw netip.Addr) {
	if familyOf(gw) == family {
		ae.Bytes(rtaGateway, gw.AsSlice())
		return
	}
	b := make([]byte, sizeofRtviaFamily, sizeofRtviaFamily+16)
	nlenc.PutUint16(b, uint16(familyOf(gw)))
	ae.Bytes(rtaVia, append(b, gw.AsSlice()...))
}
