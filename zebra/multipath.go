package zebra

import (
	"fmt"
	"math"

	"github.com/mdlayher/netlink"
	"github.com/mdlayher/netlink/nlenc"
)

// unmarshalMultipath decodes the body of RTA_MULTIPATH: struct rtnexthop
// entries back to back, each followed by its own attributes and padded to 4
// bytes.
func unmarshalMultipath(family uint8, b []byte) ([]NextHop, error) {
	var nhs []NextHop
	for len(b) > 0 {
		if len(b) < sizeofRtnexthop {
			return nil, fmt.Errorf("%w: %d bytes left", errRtnexthop, len(b))
		}
		l := int(nlenc.Uint16(b[0:2]))
		if l < sizeofRtnexthop || l > len(b) {
			return nil, fmt.Errorf("%w: rtnh_len %d with %d bytes left", errRtnexthop, l, len(b))
		}
		nh := NextHop{Flags: b[2], Hops: b[3], Ifindex: nlenc.Uint32(b[4:8])}
		ad, err := netlink.NewAttributeDecoder(b[sizeofRtnexthop:l])
		if err != nil {
			return nil, err
		}
		var enc encap
		for ad.Next() {
			switch ad.Type() {
			case rtaGateway:
				ad.Do(func(b []byte) (err error) {
					nh.Gateway, err = decodeGateway(family, b)
					return err
				})
			case rtaVia:
				ad.Do(func(b []byte) (err error) {
					nh.Gateway, err = decodeVia(b)
					return err
				})
			default:
				decodeLabelAttr(ad, &enc, &nh.NewDst)
			}
		}
		if err := ad.Err(); err != nil {
			return nil, err
		}
		nh.EncapType = enc.typ
		if nh.Encap, err = enc.labels(); err != nil {
			return nil, err
		}
		nhs = append(nhs, nh)
		b = b[min(align4(l), len(b)):]
	}
	return nhs, nil
}

// marshalMultipath encodes nhs as the body of RTA_MULTIPATH.
func marshalMultipath(family uint8, nhs []NextHop) ([]byte, error) {
	var b []byte
	for _, nh := range nhs {
		ae := netlink.NewAttributeEncoder()
		// zebra writes the labels before the gateway
		// (_netlink_route_build_multipath).
		if err := encodeLabels(ae, rtaEncapType, rtaEncap, nh.EncapType, nh.Encap); err != nil {
			return nil, err
		}
		if len(nh.NewDst) > 0 {
			ae.Bytes(rtaNewDst, encodeLabelStack(nh.NewDst))
		}
		if nh.Gateway.IsValid() {
			encodeGateway(ae, family, nh.Gateway)
		}
		attrs, err := ae.Encode()
		if err != nil {
			return nil, err
		}
		l := sizeofRtnexthop + len(attrs)
		if l > math.MaxUint16 {
			return nil, fmt.Errorf("%w: rtnexthop of %d bytes", errRtnexthop, l)
		}
		var h [sizeofRtnexthop]byte
		nlenc.PutUint16(h[0:2], uint16(l))
		h[2], h[3] = nh.Flags, nh.Hops
		nlenc.PutUint32(h[4:8], nh.Ifindex)
		b = append(append(b, h[:]...), attrs...)
	}
	return b, nil
}

// align4 rounds n up to the netlink alignment of 4 bytes.
func align4(n int) int { return (n + 3) &^ 3 }
