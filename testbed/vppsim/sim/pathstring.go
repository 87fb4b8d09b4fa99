package sim

import (
	"strconv"

	"go.fd.io/govpp/binapi/fib_types"
)

// The canonical text form of a path list, as the change log records it:
// the paths in VPP's order (preference, then type and next hop), joined by
// "; ". Each path is its next-hop protocol, then what it points at, then
// the attributes that differ from the defaults:
//
//	ip4 192.0.2.1 if 1                      attached next hop
//	ip4 if 2                                attached (interface only)
//	ip4 198.51.100.7 table 0                recursive
//	ip4 lookup table 5                      deag (" rpf 7" with an RPF id)
//	mpls via-label 100 table 0              MPLS recursive (via a local label)
//	mpls lookup table 0                     MPLS deag
//	ip4 drop | ip4 unreach | ip4 prohibit   special
//	mpls exclusive                          a table's own special entries
//	ip4 local if 1 | ip4 dvr if 1 | ip4 rx if 1
//
// followed by " weight N" (when not 1), " pref N" (when not 0),
// " resolve-via-host", " resolve-via-attached" and " labels L1,L2,..."
// (outermost first; a label shows ":ttl=N", ":exp=N" and ":uniform" when
// set). For example "ip4 192.0.2.1 if 1 weight 3 labels 100,200".

// appendPaths appends the canonical form of ps to b.
func appendPaths(b []byte, ps []path) []byte {
	for i := range ps {
		if i > 0 {
			b = append(b, "; "...)
		}
		b = ps[i].appendText(b)
	}
	return b
}

// appendText appends the canonical form of one path.
func (p *path) appendText(b []byte) []byte {
	b = append(b, protoName(p.proto)...)
	switch p.kind {
	case kindAttachedNextHop:
		b = p.nh.AppendTo(append(b, ' '))
		b = appendIf(b, p.swIfIndex)
	case kindAttached:
		b = appendIf(b, p.swIfIndex)
	case kindRecursive:
		if p.nhMPLS != nil {
			b = strconv.AppendUint(append(b, " via-label "...), uint64(p.viaLabel), 10)
		} else {
			b = p.nh.AppendTo(append(b, ' '))
		}
		b = strconv.AppendUint(append(b, " table "...), uint64(p.tableID), 10)
	case kindDeag:
		b = strconv.AppendUint(append(b, " lookup table "...), uint64(p.tableID), 10)
		if p.rpfID != noIndex {
			b = strconv.AppendUint(append(b, " rpf "...), uint64(p.rpfID), 10)
		}
	case kindSpecial:
		switch p.special {
		case specialUnreach:
			b = append(b, " unreach"...)
		case specialProhibit:
			b = append(b, " prohibit"...)
		default:
			b = append(b, " drop"...)
		}
	case kindExclusive:
		b = append(b, " exclusive"...)
	case kindReceive:
		b = append(b, " local"...)
		if p.swIfIndex != noIndex {
			b = appendIf(b, p.swIfIndex)
		}
	case kindDVR:
		b = appendIf(append(b, " dvr"...), p.swIfIndex)
	case kindIntfRx:
		b = appendIf(append(b, " rx"...), p.swIfIndex)
	default:
		b = strconv.AppendUint(append(b, " type "...), uint64(p.kind), 10)
	}
	if p.weight != 1 {
		b = strconv.AppendUint(append(b, " weight "...), uint64(p.weight), 10)
	}
	if p.preference != 0 {
		b = strconv.AppendUint(append(b, " pref "...), uint64(p.preference), 10)
	}
	if p.flags&fib_types.FIB_API_PATH_FLAG_RESOLVE_VIA_HOST != 0 {
		b = append(b, " resolve-via-host"...)
	}
	if p.flags&fib_types.FIB_API_PATH_FLAG_RESOLVE_VIA_ATTACHED != 0 {
		b = append(b, " resolve-via-attached"...)
	}
	for i, l := range p.labels {
		if i == 0 {
			b = append(b, " labels "...)
		} else {
			b = append(b, ',')
		}
		b = strconv.AppendUint(b, uint64(l.Label), 10)
		if l.TTL != 0 {
			b = strconv.AppendUint(append(b, ":ttl="...), uint64(l.TTL), 10)
		}
		if l.Exp != 0 {
			b = strconv.AppendUint(append(b, ":exp="...), uint64(l.Exp), 10)
		}
		if l.IsUniform != 0 {
			b = append(b, ":uniform"...)
		}
	}
	return b
}

func appendIf(b []byte, swIfIndex uint32) []byte {
	return strconv.AppendUint(append(b, " if "...), uint64(swIfIndex), 10)
}

// protoName names a next-hop protocol as VPP's DPO protocols are named.
func protoName(p fib_types.FibPathNhProto) string {
	switch p {
	case fib_types.FIB_API_PATH_NH_PROTO_IP4:
		return "ip4"
	case fib_types.FIB_API_PATH_NH_PROTO_IP6:
		return "ip6"
	case fib_types.FIB_API_PATH_NH_PROTO_MPLS:
		return "mpls"
	case fib_types.FIB_API_PATH_NH_PROTO_ETHERNET:
		return "ethernet"
	case fib_types.FIB_API_PATH_NH_PROTO_BIER:
		return "bier"
	}
	return "proto-" + strconv.Itoa(int(p))
}
