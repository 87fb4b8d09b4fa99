package bird

import (
	"testing"

	"github.com/osrg/gobgp/v3/pkg/packet/bgp"
)

// FuzzDecodeUpdate feeds a session's decoding (GoBGP's parser, then the
// route convention) arbitrary UPDATE bodies: it must never panic, and what
// it accepts must be a valid, masked prefix with a usable next hop or a
// sink.
func FuzzDecodeUpdate(f *testing.F) {
	seeds := []*bgp.BGPMessage{
		bgp.NewBGPUpdateMessage(nil, []bgp.PathAttributeInterface{bgp.NewPathAttributeOrigin(0), bgp.NewPathAttributeNextHop("10.0.0.2"),
			bgp.NewPathAttributeLocalPref(250), bgp.NewPathAttributeCommunities([]uint32{65535<<16 | 666}),
			bgp.NewPathAttributeLargeCommunities([]*bgp.LargeCommunity{lc(1, 3), lc(2, 7)})}, []*bgp.IPAddrPrefix{v4nlri("192.0.2.0/24", 7)}),
		bgp.NewBGPUpdateMessage(nil, []bgp.PathAttributeInterface{bgp.NewPathAttributeOrigin(0),
			bgp.NewPathAttributeMpReachNLRI("fe80::1", []bgp.AddrPrefixInterface{bgp.NewIPv6AddrPrefix(48, "2001:db8:100::")}),
			bgp.NewPathAttributeLargeCommunities([]*bgp.LargeCommunity{lc(1, 3)})}, nil),
		bgp.NewBGPUpdateMessage([]*bgp.IPAddrPrefix{v4nlri("192.0.2.0/24", 3)}, nil, nil),
		bgp.NewEndOfRib(bgp.RF_IPv6_UC),
	}
	for _, m := range seeds {
		for _, addPath := range []bool{false, true} {
			opt := &bgp.MarshallingOption{}
			if addPath {
				opt = &bgp.MarshallingOption{AddPath: map[bgp.RouteFamily]bgp.BGPAddPathMode{bgp.RF_IPv4_UC: bgp.BGP_ADD_PATH_SEND, bgp.RF_IPv6_UC: bgp.BGP_ADD_PATH_SEND}}
			}
			m.Header.Len = 0
			b, err := m.Serialize(opt)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b[bgp.BGP_HEADER_LENGTH:], addPath)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte, addPath bool) {
		h := bgp.BGPHeader{Len: uint16(bgp.BGP_HEADER_LENGTH + min(len(body), maxMessage)), Type: bgp.BGP_MSG_UPDATE}
		opt := &bgp.MarshallingOption{}
		if addPath {
			opt = addPathBoth
		}
		m, err := parseBody(&h, body[:int(h.Len)-bgp.BGP_HEADER_LENGTH], opt)
		if m == nil {
			if err == nil {
				t.Fatal("no message and no error")
			}
			return
		}
		u, ok := m.Body.(*bgp.BGPUpdate)
		if !ok {
			t.Fatalf("UPDATE decoded as %T", m.Body)
		}
		for _, it := range decodeUpdate(u, testASN, nil) {
			if it.eor != 0 || it.err != nil {
				continue
			}
			r := it.rc
			if !r.prefix.IsValid() || r.prefix != r.prefix.Masked() {
				t.Fatalf("accepted prefix %v", r.prefix)
			}
			if !r.withdraw && r.kind == 0 && !r.path.Gateway.IsValid() && r.path.Ifindex == 0 {
				t.Fatalf("accepted a unicast path with nowhere to go: %+v", r)
			}
		}
	})
}
