package zebra

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/mdlayher/netlink"

	"github.com/lcpfib/lcpfib/rib"
)

// MPLS on the wire. zebra sends labels in three places:
//   - label stacks pushed by IP routes: RTA_ENCAP_TYPE LWTUNNEL_ENCAP_MPLS
//     and RTA_ENCAP holding MPLS_IPTUNNEL_DST, at the top of a single-path
//     route or inside each rtnexthop of RTA_MULTIPATH
//     (rt_netlink.c, _netlink_route_encode_label_info);
//   - the same in a nexthop object: NHA_ENCAP_TYPE and NHA_ENCAP
//     (netlink_nexthop_msg_encode);
//   - label switched paths: RTM_NEWROUTE / RTM_DELROUTE of family AF_MPLS
//     whose RTA_DST is the incoming label and RTA_NEWDST the outgoing
//     stack, with RTA_VIA for the gateway (netlink_mpls_multipath_msg_encode).
//
// FRR leaves implicit-null labels out of every stack it encodes
// (build_label_stack), so an LSP that pops has no RTA_NEWDST, and sets the
// bottom-of-stack bit on the last entry. TTL and traffic class are zero.

// Encapsulation types (enum lwtunnel_encap_types) of RTA_ENCAP_TYPE and
// NHA_ENCAP_TYPE.
const (
	EncapNone uint16 = 0 // LWTUNNEL_ENCAP_NONE
	EncapMPLS uint16 = 1 // LWTUNNEL_ENCAP_MPLS: MPLS_IPTUNNEL_DST holds the labels to push
)

// Attributes for MPLS (rtattr_type_t, NHA_*, MPLS_IPTUNNEL_*).
const (
	rtaNewDst       = 19 // RTA_NEWDST: the outgoing label stack of an MPLS route
	rtaEncapType    = 21 // RTA_ENCAP_TYPE: u16
	rtaEncap        = 22 // RTA_ENCAP: nested, per encapsulation type
	nhaEncap        = 8  // NHA_ENCAP: nested, as RTA_ENCAP
	nhaEncapType    = 7  // NHA_ENCAP_TYPE: u16
	mplsIPTunnelDst = 1  // MPLS_IPTUNNEL_DST: the label stack, inside RTA_ENCAP / NHA_ENCAP
)

// MPLS label constants.
const (
	// maxLabelStack is the deepest stack decoded: FRR's MPLS_MAX_LABELS.
	maxLabelStack = rib.MaxLabels
	// labelFirstUnreserved is the first label an LSP may be for; the
	// kernel refuses 0-15 as incoming labels (MPLS_LABEL_FIRST_UNRESERVED).
	labelFirstUnreserved = 16
	// rtmDstLenMPLS is rtm_dst_len of an MPLS route: one label of 20 bits.
	rtmDstLenMPLS = 20
)

var (
	errLabelStack = errors.New("bad MPLS label stack")
	errInLabel    = errors.New("bad incoming label of an MPLS route")
)

// LSE is one MPLS label stack entry (struct mpls_label) as a number: the
// wire's four big-endian bytes are label<<12 | tc<<9 | bos<<8 | ttl.
type LSE uint32

// MakeLSE returns the entry for label (20 bits), traffic class tc (3
// bits), bottom of stack and ttl.
func MakeLSE(label uint32, tc uint8, bos bool, ttl uint8) LSE {
	e := (label&rib.MaxLabel)<<12 | uint32(tc&7)<<9 | uint32(ttl)
	if bos {
		e |= 1 << 8
	}
	return LSE(e)
}

// Label is the entry's 20-bit label.
func (e LSE) Label() uint32 { return uint32(e) >> 12 }

// TC is the traffic class (formerly EXP).
func (e LSE) TC() uint8 { return uint8(e>>9) & 7 }

// BoS reports the bottom-of-stack bit.
func (e LSE) BoS() bool { return e&(1<<8) != 0 }

// TTL is the entry's time to live.
func (e LSE) TTL() uint8 { return uint8(e) }

func (e LSE) String() string {
	s := fmt.Sprintf("%d", e.Label())
	if e.BoS() {
		s += "/S"
	}
	return s
}

// decodeLabelStack decodes an array of label stack entries (RTA_NEWDST,
// MPLS_IPTUNNEL_DST, the RTA_DST of an MPLS route), checking it as the
// kernel does (nla_get_labels): 1 to maxLabelStack entries, the
// bottom-of-stack bit on the last one and only there.
func decodeLabelStack(b []byte) ([]LSE, error) {
	if len(b) == 0 || len(b)%4 != 0 || len(b)/4 > maxLabelStack {
		return nil, fmt.Errorf("%w: %d bytes", errLabelStack, len(b))
	}
	s := make([]LSE, len(b)/4)
	for i := range s {
		s[i] = LSE(uint32(b[4*i])<<24 | uint32(b[4*i+1])<<16 | uint32(b[4*i+2])<<8 | uint32(b[4*i+3]))
		if s[i].BoS() != (i == len(s)-1) {
			return nil, fmt.Errorf("%w: bottom of stack on entry %d of %d", errLabelStack, i+1, len(s))
		}
	}
	return s, nil
}

// encodeLabelStack is the inverse of decodeLabelStack.
func encodeLabelStack(s []LSE) []byte {
	b := make([]byte, 4*len(s))
	for i, e := range s {
		b[4*i], b[4*i+1], b[4*i+2], b[4*i+3] = byte(e>>24), byte(e>>16), byte(e>>8), byte(e)
	}
	return b
}

// decodeInLabel decodes the RTA_DST of an MPLS route: exactly one entry.
func decodeInLabel(b []byte) (LSE, error) {
	s, err := decodeLabelStack(b)
	if err != nil {
		return 0, err
	}
	if len(s) != 1 {
		return 0, fmt.Errorf("%w: RTA_DST of %d labels", errInLabel, len(s))
	}
	return s[0], nil
}

// decodeMPLSEncap decodes the nested RTA_ENCAP / NHA_ENCAP of an
// LWTUNNEL_ENCAP_MPLS encapsulation: MPLS_IPTUNNEL_DST (required) and
// MPLS_IPTUNNEL_TTL (ignored: FRR does not send it).
func decodeMPLSEncap(b []byte) ([]LSE, error) {
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return nil, err
	}
	var s []LSE
	for ad.Next() {
		if ad.Type() == mplsIPTunnelDst {
			ad.Do(func(b []byte) (err error) {
				s, err = decodeLabelStack(b)
				return err
			})
		}
	}
	if err := ad.Err(); err != nil {
		return nil, err
	}
	if s == nil {
		return nil, fmt.Errorf("%w: MPLS encapsulation without MPLS_IPTUNNEL_DST", errLabelStack)
	}
	return s, nil
}

// encap is an encapsulation attribute pair (RTA_ENCAP_TYPE and RTA_ENCAP,
// or NHA_ENCAP_TYPE and NHA_ENCAP) while a message is decoded: the two
// may come in any order, so RTA_ENCAP is kept and decoded once the type
// is known.
type encap struct {
	typ uint16
	raw []byte // RTA_ENCAP's payload, aliasing the message
	set bool   // RTA_ENCAP was present
}

// labels decodes the encapsulation: the label stack of an MPLS one, nil
// for any other type (which this package does not use) or none.
func (e *encap) labels() ([]LSE, error) {
	if e.typ != EncapMPLS || !e.set {
		return nil, nil
	}
	return decodeMPLSEncap(e.raw)
}

// encodeMPLSEncap returns the payload of RTA_ENCAP for a label stack.
func encodeMPLSEncap(s []LSE) ([]byte, error) {
	ae := netlink.NewAttributeEncoder()
	ae.Bytes(mplsIPTunnelDst, encodeLabelStack(s))
	return ae.Encode()
}

// pathLabels turns a decoded stack into the labels a rib.Path pushes or
// swaps to: the label values, with implicit-null entries left out (FRR
// leaves them out itself; a stack of only implicit-null is no label, that
// is, plain IP forwarding or a pop). The decoder bounded the stack, so
// this cannot fail.
func pathLabels(s []LSE) rib.Labels {
	if len(s) == 0 {
		return rib.Labels{}
	}
	ls := make([]uint32, 0, len(s))
	for _, e := range s {
		if e.Label() != rib.LabelImplicitNull {
			ls = append(ls, e.Label())
		}
	}
	l, err := rib.MakeLabels(ls...)
	if err != nil {
		panic(fmt.Sprintf("zebra: decoded label stack %v: %v", s, err)) // decodeLabelStack bounds it
	}
	return l
}

// decodeAddrByLen decodes a gateway in a message whose family is not an
// address family (MPLS routes, AF_UNSPEC nexthops): the length says which.
func decodeAddrByLen(b []byte) (netip.Addr, error) {
	switch len(b) {
	case 4:
		return decodeAddr(FamilyInet, b)
	case 16:
		return decodeAddr(FamilyInet6, b)
	}
	return netip.Addr{}, fmt.Errorf("%w: gateway of %d bytes without an address family", errAddrLen, len(b))
}

// decodeGateway decodes RTA_GATEWAY in a route of the family. An MPLS
// route has no address family of its own; zebra sends RTA_VIA there.
func decodeGateway(family uint8, b []byte) (netip.Addr, error) {
	if family == FamilyMPLS {
		return decodeAddrByLen(b)
	}
	return decodeAddr(family, b)
}

// decodeLabelAttr decodes the MPLS attributes of a route or rtnexthop:
// RTA_ENCAP_TYPE and RTA_ENCAP into enc, RTA_NEWDST into newDst. Others
// are skipped.
func decodeLabelAttr(ad *netlink.AttributeDecoder, enc *encap, newDst *[]LSE) {
	switch ad.Type() {
	case rtaEncapType:
		enc.typ = ad.Uint16()
	case rtaEncap:
		ad.Do(func(b []byte) error {
			enc.raw, enc.set = b, true
			return nil
		})
	case rtaNewDst:
		ad.Do(func(b []byte) (err error) {
			*newDst, err = decodeLabelStack(b)
			return err
		})
	}
}

// encodeLabels adds an encapsulation as zebra writes it: the type
// attribute, then, for MPLS, the nested attribute holding
// MPLS_IPTUNNEL_DST. Labels need the MPLS type.
func encodeLabels(ae *netlink.AttributeEncoder, typeAttr, encapAttr uint16, typ uint16, s []LSE) error {
	if len(s) > 0 && typ != EncapMPLS {
		return fmt.Errorf("%w: labels with encapsulation type %d", errLabelStack, typ)
	}
	if typ != EncapNone {
		ae.Uint16(typeAttr, typ)
	}
	if len(s) > 0 {
		ae.Do(netlink.Nested|encapAttr, func() ([]byte, error) { return encodeMPLSEncap(s) })
	}
	return nil
}
