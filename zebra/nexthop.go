package zebra

import (
	"fmt"
	"net/netip"

	"github.com/mdlayher/netlink"
	"github.com/mdlayher/netlink/nlenc"
)

// NexthopMessage is the body of an RTM_NEWNEXTHOP or RTM_DELNEXTHOP
// message: a struct nhmsg and its NHA_* attributes. zebra sends one for
// every nexthop and nexthop group before the routes that use it, unless it
// runs with "no fpm use-next-hop-groups".
type NexthopMessage struct {
	Family   uint8  // nh_family: FamilyInet or FamilyInet6 for one nexthop, FamilyUnspec for a group
	Scope    uint8  // nh_scope
	Protocol uint8  // nh_protocol: 11 (zebra)
	Flags    uint32 // nh_flags

	Attributes NexthopAttributes
}

// NexthopAttributes are the NHA_* attributes zebra sends; others are
// skipped. A zero value means the attribute was absent.
type NexthopAttributes struct {
	ID        uint32        // NHA_ID
	Group     []GroupMember // NHA_GROUP
	Blackhole bool          // NHA_BLACKHOLE
	OutIface  uint32        // NHA_OIF: Linux ifindex
	Gateway   netip.Addr    // NHA_GATEWAY
	EncapType uint16        // NHA_ENCAP_TYPE: EncapMPLS, or another type this package ignores
	Encap     []LSE         // NHA_ENCAP's MPLS_IPTUNNEL_DST when EncapType is EncapMPLS: the labels pushed
}

// GroupMember is one struct nexthop_grp of NHA_GROUP.
type GroupMember struct {
	ID     uint32 // id of a single nexthop
	Weight uint8  // the weight minus one, as the kernel encodes it
}

// MarshalBinary encodes m as the body of a netlink message, attributes in
// the order zebra writes them.
func (m NexthopMessage) MarshalBinary() ([]byte, error) {
	a := m.Attributes
	ae := netlink.NewAttributeEncoder()
	if a.ID != 0 {
		ae.Uint32(nhaID, a.ID)
	}
	if len(a.Group) > 0 {
		ae.Do(nhaGroup, func() ([]byte, error) {
			b := make([]byte, sizeofNexthopGrp*len(a.Group))
			for i, g := range a.Group {
				e := b[i*sizeofNexthopGrp:]
				nlenc.PutUint32(e[0:4], g.ID)
				e[4] = g.Weight
				// resvd1 and resvd2 stay zero.
			}
			return b, nil
		})
	}
	ae.Flag(nhaBlackhole, a.Blackhole)
	if a.Gateway.IsValid() {
		ae.Do(nhaGateway, func() ([]byte, error) {
			if m.Family == FamilyUnspec { // see UnmarshalBinary
				return a.Gateway.AsSlice(), nil
			}
			return encodeAddr(m.Family, a.Gateway)
		})
	}
	if a.OutIface != 0 {
		ae.Uint32(nhaOif, a.OutIface)
	}
	if err := encodeLabels(ae, nhaEncapType, nhaEncap, a.EncapType, a.Encap); err != nil {
		return nil, err
	}
	attrs, err := ae.Encode()
	if err != nil {
		return nil, err
	}
	b := make([]byte, sizeofNhmsg, sizeofNhmsg+len(attrs))
	b[0], b[1], b[2] = m.Family, m.Scope, m.Protocol
	// b[3] is nhmsg.resvd.
	nlenc.PutUint32(b[4:8], m.Flags)
	return append(b, attrs...), nil
}

// UnmarshalBinary decodes the body of a nexthop message. Families other
// than IPv4, IPv6 and unspecified (groups) are reported as unsupported.
func (m *NexthopMessage) UnmarshalBinary(b []byte) error {
	if len(b) < sizeofNhmsg {
		return fmt.Errorf("%w: nhmsg of %d bytes", errShort, len(b))
	}
	*m = NexthopMessage{
		Family:   b[0],
		Scope:    b[1],
		Protocol: b[2],
		Flags:    nlenc.Uint32(b[4:8]),
	}
	if m.Family != FamilyUnspec && addrLen(m.Family) == 0 {
		return fmt.Errorf("%w: nexthop family %d", errUnsupported, m.Family)
	}
	ad, err := netlink.NewAttributeDecoder(b[sizeofNhmsg:])
	if err != nil {
		return err
	}
	a := &m.Attributes
	var enc encap
	for ad.Next() {
		switch ad.Type() {
		case nhaID:
			a.ID = ad.Uint32()
		case nhaGroup:
			ad.Do(func(b []byte) (err error) {
				a.Group, err = unmarshalGroup(b)
				return err
			})
		case nhaBlackhole:
			a.Blackhole = ad.Flag()
		case nhaOif:
			a.OutIface = ad.Uint32()
		case nhaGateway:
			ad.Do(func(b []byte) (err error) {
				if m.Family == FamilyUnspec {
					// FRR 8.4 sends some labelled nexthops with nh_family
					// AF_UNSPEC (an nhg_hash_entry whose afi stayed
					// AFI_UNSPEC): the length tells the family.
					a.Gateway, err = decodeAddrByLen(b)
					return err
				}
				a.Gateway, err = decodeAddr(m.Family, b)
				return err
			})
		case nhaEncapType:
			enc.typ = ad.Uint16()
		case nhaEncap:
			ad.Do(func(b []byte) error {
				enc.raw, enc.set = b, true
				return nil
			})
		}
	}
	if err := ad.Err(); err != nil {
		return err
	}
	a.EncapType = enc.typ
	a.Encap, err = enc.labels()
	return err
}

// unmarshalGroup decodes NHA_GROUP, an array of struct nexthop_grp.
func unmarshalGroup(b []byte) ([]GroupMember, error) {
	if len(b)%sizeofNexthopGrp != 0 {
		return nil, fmt.Errorf("%w: %d bytes", errGroupLen, len(b))
	}
	if len(b) == 0 {
		return nil, nil
	}
	g := make([]GroupMember, len(b)/sizeofNexthopGrp)
	for i := range g {
		e := b[i*sizeofNexthopGrp : (i+1)*sizeofNexthopGrp]
		g[i] = GroupMember{ID: nlenc.Uint32(e[0:4]), Weight: e[4]}
	}
	return g, nil
}
