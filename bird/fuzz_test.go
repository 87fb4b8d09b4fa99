package bird

import (
	"testing"

	api "github.com/osrg/gobgp/v3/api"
	"github.com/osrg/gobgp/v3/pkg/packet/bgp"
	"google.golang.org/protobuf/types/known/anypb"
)

var attrTypes = []string{typeNextHop, typeMpReach, typeLocalPref, typeCommunities, typeLargeCommunities}

// FuzzDecode feeds the route convention decoder arbitrary wire bytes as
// GoBGP's NLRI and attributes: it must never panic, and what it accepts
// must be a valid, masked prefix with a usable next hop or a sink.
func FuzzDecode(f *testing.F) {
	t := &testing.T{}
	seeds := []*api.Path{
		v4path(t, "192.0.2.0/24", 7, bgp.NewPathAttributeNextHop("10.0.0.2"), bgp.NewPathAttributeLocalPref(250),
			bgp.NewPathAttributeCommunities([]uint32{65535<<16 | 666}), bgp.NewPathAttributeLargeCommunities([]*bgp.LargeCommunity{lc(1, 3), lc(2, 7)})),
		v6path(t, "2001:db8:100::/48", "fe80::1", bgp.NewPathAttributeLargeCommunities([]*bgp.LargeCommunity{lc(1, 3)})),
	}
	for _, p := range seeds {
		for _, a := range p.Pattrs {
			for i, typ := range attrTypes {
				if a.TypeUrl == typ {
					f.Add(p.Nlri.Value, uint8(i), a.Value)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, nlri []byte, which uint8, attr []byte) {
		p := &api.Path{
			Nlri:   &anypb.Any{TypeUrl: typeIPAddressPrefix, Value: nlri},
			Pattrs: []*anypb.Any{{TypeUrl: attrTypes[int(which)%len(attrTypes)], Value: attr}},
		}
		r, err := decode(p, testASN)
		if err != nil {
			return
		}
		if !r.prefix.IsValid() || r.prefix != r.prefix.Masked() {
			t.Fatalf("accepted prefix %v", r.prefix)
		}
		if r.kind == 0 && !r.path.Gateway.IsValid() && r.path.Ifindex == 0 {
			t.Fatalf("accepted a unicast path with nowhere to go: %+v", r)
		}
	})
}
