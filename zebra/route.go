package zebra

import (
	"fmt"
	"net/netip"

	"github.com/mdlayher/netlink"
	"github.com/mdlayher/netlink/nlenc"
)

// RouteMessage is the body of an RTM_NEWROUTE or RTM_DELROUTE message: a
// struct rtmsg and the attributes zebra sends. Values are kept as on the
// wire; Prefix and TableID interpret them.
type RouteMessage struct {
	Family    uint8  // rtm_family: FamilyInet, FamilyInet6 or FamilyMPLS
	DstLength uint8  // rtm_dst_len
	SrcLength uint8  // rtm_src_len: non-zero only for source-specific routes
	Tos       uint8  // rtm_tos
	Table     uint8  // rtm_table; RTA_TABLE overrides it (see TableID)
	Protocol  uint8  // rtm_protocol: 2 kernel, 11 zebra, 186 bgp, 196 static, ...
	Scope     uint8  // rtm_scope
	Type      uint8  // rtm_type: RouteUnicast, RouteBlackhole, ...; 0 in deletes
	Flags     uint32 // rtm_flags

	Attributes RouteAttributes
}

// RouteAttributes are the RTA_* attributes of a route message that matter
// here; others are skipped. A zero value means the attribute was absent.
type RouteAttributes struct {
	Dst       netip.Addr // RTA_DST; absent for a default route
	Gateway   netip.Addr // RTA_GATEWAY, or RTA_VIA for a gateway of the other family
	OutIface  uint32     // RTA_OIF: Linux ifindex
	Priority  uint32     // RTA_PRIORITY (metric)
	Table     uint32     // RTA_TABLE
	NexthopID uint32     // RTA_NH_ID: nexthop-group mode
	Multipath []NextHop  // RTA_MULTIPATH

	// MPLS (see mpls.go).
	InLabel   LSE    // RTA_DST of an MPLS route: the incoming label
	NewDst    []LSE  // RTA_NEWDST of an MPLS route: the labels it swaps to; absent: pop
	EncapType uint16 // RTA_ENCAP_TYPE: EncapMPLS, or another type this package ignores
	Encap     []LSE  // RTA_ENCAP's MPLS_IPTUNNEL_DST when EncapType is EncapMPLS: the labels pushed
}

// NextHop is one struct rtnexthop of RTA_MULTIPATH and its attributes.
type NextHop struct {
	Flags   uint8  // rtnh_flags
	Hops    uint8  // rtnh_hops: the weight minus one (the legacy module sends the weight)
	Ifindex uint32 // rtnh_ifindex: Linux ifindex
	Gateway netip.Addr

	NewDst    []LSE  // RTA_NEWDST (MPLS routes)
	EncapType uint16 // RTA_ENCAP_TYPE
	Encap     []LSE  // RTA_ENCAP's MPLS_IPTUNNEL_DST when EncapType is EncapMPLS
}

// TableID is the route's table: RTA_TABLE when present, else rtm_table.
func (m *RouteMessage) TableID() uint32 {
	if m.Attributes.Table != 0 {
		return m.Attributes.Table
	}
	return uint32(m.Table)
}

// Prefix is the destination, RTA_DST/rtm_dst_len with host bits cleared; a
// message without RTA_DST is the family's default route.
func (m *RouteMessage) Prefix() (netip.Prefix, error) {
	bits := addrLen(m.Family) * 8
	if bits == 0 {
		return netip.Prefix{}, fmt.Errorf("%w: family %d", errUnsupported, m.Family)
	}
	if int(m.DstLength) > bits {
		return netip.Prefix{}, fmt.Errorf("%w: /%d", errPrefixLen, m.DstLength)
	}
	dst := m.Attributes.Dst
	if !dst.IsValid() {
		dst = netip.IPv4Unspecified()
		if m.Family == FamilyInet6 {
			dst = netip.IPv6Unspecified()
		}
	}
	return netip.PrefixFrom(dst, int(m.DstLength)).Masked(), nil
}

// MarshalBinary encodes m as the body of a netlink message, attributes in
// the order zebra writes them.
func (m RouteMessage) MarshalBinary() ([]byte, error) {
	a := m.Attributes
	ae := netlink.NewAttributeEncoder()
	if a.Dst.IsValid() {
		ae.Do(rtaDst, func() ([]byte, error) { return encodeAddr(m.Family, a.Dst) })
	}
	if a.InLabel != 0 {
		ae.Bytes(rtaDst, encodeLabelStack([]LSE{a.InLabel}))
	}
	if a.Priority != 0 {
		ae.Uint32(rtaPriority, a.Priority)
	}
	if a.Table != 0 {
		ae.Uint32(rtaTable, a.Table)
	}
	if a.NexthopID != 0 {
		ae.Uint32(rtaNHID, a.NexthopID)
	}
	if err := encodeLabels(ae, rtaEncapType, rtaEncap, a.EncapType, a.Encap); err != nil {
		return nil, err
	}
	if len(a.NewDst) > 0 {
		ae.Bytes(rtaNewDst, encodeLabelStack(a.NewDst))
	}
	if a.Gateway.IsValid() {
		encodeGateway(ae, m.Family, a.Gateway)
	}
	if a.OutIface != 0 {
		ae.Uint32(rtaOif, a.OutIface)
	}
	if len(a.Multipath) > 0 {
		ae.Do(netlink.Nested|rtaMultipath, func() ([]byte, error) {
			return marshalMultipath(m.Family, a.Multipath)
		})
	}
	attrs, err := ae.Encode()
	if err != nil {
		return nil, err
	}
	b := make([]byte, sizeofRtmsg, sizeofRtmsg+len(attrs))
	b[0], b[1], b[2], b[3] = m.Family, m.DstLength, m.SrcLength, m.Tos
	b[4], b[5], b[6], b[7] = m.Table, m.Protocol, m.Scope, m.Type
	nlenc.PutUint32(b[8:12], m.Flags)
	return append(b, attrs...), nil
}

// UnmarshalBinary decodes the body of a route message. Families other than
// IPv4, IPv6 and MPLS are reported as unsupported.
func (m *RouteMessage) UnmarshalBinary(b []byte) error {
	if len(b) < sizeofRtmsg {
		return fmt.Errorf("%w: rtmsg of %d bytes", errShort, len(b))
	}
	*m = RouteMessage{
		Family:    b[0],
		DstLength: b[1],
		SrcLength: b[2],
		Tos:       b[3],
		Table:     b[4],
		Protocol:  b[5],
		Scope:     b[6],
		Type:      b[7],
		Flags:     nlenc.Uint32(b[8:12]),
	}
	if addrLen(m.Family) == 0 && m.Family != FamilyMPLS {
		return fmt.Errorf("%w: route family %d", errUnsupported, m.Family)
	}
	ad, err := netlink.NewAttributeDecoder(b[sizeofRtmsg:])
	if err != nil {
		return err
	}
	a := &m.Attributes
	var enc encap
	for ad.Next() {
		switch ad.Type() {
		case rtaDst:
			ad.Do(func(b []byte) (err error) {
				if m.Family == FamilyMPLS {
					a.InLabel, err = decodeInLabel(b)
					return err
				}
				a.Dst, err = decodeAddr(m.Family, b)
				return err
			})
		case rtaGateway:
			ad.Do(func(b []byte) (err error) {
				a.Gateway, err = decodeGateway(m.Family, b)
				return err
			})
		case rtaVia:
			ad.Do(func(b []byte) (err error) {
				a.Gateway, err = decodeVia(b)
				return err
			})
		case rtaOif:
			a.OutIface = ad.Uint32()
		case rtaPriority:
			a.Priority = ad.Uint32()
		case rtaTable:
			a.Table = ad.Uint32()
		case rtaNHID:
			a.NexthopID = ad.Uint32()
		case rtaMultipath:
			ad.Do(func(b []byte) (err error) {
				a.Multipath, err = unmarshalMultipath(m.Family, b)
				return err
			})
		default:
			decodeLabelAttr(ad, &enc, &a.NewDst)
		}
	}
	if err := ad.Err(); err != nil {
		return err
	}
	a.EncapType = enc.typ
	a.Encap, err = enc.labels()
	return err
}
