package sim

import (
	"cmp"
	"net/netip"
	"slices"

	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/fib_types"
)

// pathKind is VPP's fib_path_type_t; the order matters, paths sort by it.
type pathKind uint8

const (
	kindAttachedNextHop pathKind = iota
	kindAttached
	kindRecursive
	kindSpecial
	kindExclusive
	kindDeag
	kindIntfRx
	kindUDPEncap
	kindReceive
	kindBIERImp
	kindBIERTable
	kindBIERFmask
	kindDVR
)

// specialKind says what a kindSpecial path does with a packet.
type specialKind uint8

const (
	specialDrop specialKind = iota
	specialUnreach
	specialProhibit
)

// noIndex is VPP's ~0: no interface, no table.
const noIndex = ^uint32(0)

// path is one FIB path as VPP keeps it (fib_path_t), built from an API
// fib_path by decodePath and turned back into one by encode.
type path struct {
	kind       pathKind
	special    specialKind
	proto      fib_types.FibPathNhProto
	weight     uint8
	preference uint8
	flags      fib_types.FibPathFlags // resolve-via-host/attached only
	swIfIndex  uint32
	nh         netip.Addr // valid for IP next-hop protocols
	tableID    uint32     // recursive and deag paths: where to look up
	nhTable    *fibTable  // IP recursive paths: the table tableID named at decode
	rpfID      uint32     // deag paths with an RPF id, else noIndex
	// viaLabel and nhMPLS are an MPLS next hop's: the local label it
	// resolves through (0: a lookup in the table) and the MPLS table.
	viaLabel uint32
	nhMPLS   *mplsTable
	labels   []fib_types.FibMplsLabel // out labels, outermost first
}

// isIP reports whether the next-hop protocol is IPv4 or IPv6.
func isIP(p fib_types.FibPathNhProto) bool {
	return p == fib_types.FIB_API_PATH_NH_PROTO_IP4 || p == fib_types.FIB_API_PATH_NH_PROTO_IP6
}

// decodeNH reads a next hop from an address union the way VPP's to_ip46
// does: the first 4 bytes for IPv4, all 16 for IPv6.
func decodeNH(proto fib_types.FibPathNhProto, u [16]byte) netip.Addr {
	if proto == fib_types.FIB_API_PATH_NH_PROTO_IP6 {
		return netip.AddrFrom16(u)
	}
	return netip.AddrFrom4([4]byte(u[:4]))
}

// decodePath is fib_api_path_decode: it validates an API path against the
// state and returns VPP's path for it, or the retval VPP would answer.
func (v *vpp) decodePath(in *fib_types.FibPath) (path, api.VPPApiError) {
	p := path{
		proto:      in.Proto,
		weight:     in.Weight,
		preference: in.Preference,
		flags:      in.Flags & (fib_types.FIB_API_PATH_FLAG_RESOLVE_VIA_HOST | fib_types.FIB_API_PATH_FLAG_RESOLVE_VIA_ATTACHED),
		swIfIndex:  noIndex,
		tableID:    noIndex,
		rpfID:      noIndex,
	}
	if p.weight == 0 {
		p.weight = 1 // VPP: "a weight of 0 is a meaningless value"
	}
	if in.Proto > fib_types.FIB_API_PATH_NH_PROTO_BIER {
		return path{}, -1 // fib_api_path_nh_proto_to_dpo fails with -1
	}

	switch in.Type {
	case fib_types.FIB_API_PATH_TYPE_DVR:
		p.kind, p.swIfIndex = kindDVR, in.SwIfIndex
	case fib_types.FIB_API_PATH_TYPE_INTERFACE_RX:
		p.kind, p.swIfIndex = kindIntfRx, in.SwIfIndex
	case fib_types.FIB_API_PATH_TYPE_DROP:
		p.kind, p.special = kindSpecial, specialDrop
	case fib_types.FIB_API_PATH_TYPE_LOCAL:
		p.kind, p.swIfIndex = kindReceive, in.SwIfIndex
		p.nh = zeroAddr(in.Proto)
	case fib_types.FIB_API_PATH_TYPE_ICMP_UNREACH:
		p.kind, p.special = kindSpecial, specialUnreach
	case fib_types.FIB_API_PATH_TYPE_ICMP_PROHIBIT:
		p.kind, p.special = kindSpecial, specialProhibit
	case fib_types.FIB_API_PATH_TYPE_CLASSIFY:
		return path{}, api.NO_SUCH_TABLE // vppsim has no classify tables
	case fib_types.FIB_API_PATH_TYPE_UDP_ENCAP, fib_types.FIB_API_PATH_TYPE_BIER_IMP:
		return path{}, api.UNIMPLEMENTED
	case fib_types.FIB_API_PATH_TYPE_NORMAL, fib_types.FIB_API_PATH_TYPE_SOURCE_LOOKUP:
		if rv := v.decodeNormalPath(in, &p); rv != 0 {
			return path{}, rv
		}
	default:
		return path{}, api.INVALID_VALUE
	}

	if n := int(in.NLabels); n > 0 {
		if n > len(in.LabelStack) {
			return path{}, api.INVALID_VALUE
		}
		p.labels = slices.Clone(in.LabelStack[:n])
	}
	return p, 0
}

// decodeNormalPath handles the IP next-hop part of fib_api_path_decode and
// the type deduction of fib_path_create.
func (v *vpp) decodeNormalPath(in *fib_types.FibPath, p *path) api.VPPApiError {
	if in.Proto == fib_types.FIB_API_PATH_NH_PROTO_MPLS {
		return v.decodeMPLSNextHop(in, p)
	}
	if !isIP(in.Proto) {
		return api.UNIMPLEMENTED // Ethernet and BIER next hops
	}
	p.nh = decodeNH(in.Proto, in.Nh.Address.XXX_UnionData)
	p.swIfIndex = in.SwIfIndex
	if in.RpfID != 0 && in.RpfID != noIndex {
		p.rpfID = in.RpfID
	}
	if p.swIfIndex == noIndex {
		// Recursive or deag: the next-hop table must exist.
		p.nhTable = v.table(in.Proto == fib_types.FIB_API_PATH_NH_PROTO_IP6, in.TableID)
		if p.nhTable == nil {
			return api.NO_SUCH_FIB
		}
		p.tableID = in.TableID
	} else if v.iface(p.swIfIndex) == nil {
		return api.NO_MATCHING_INTERFACE
	}

	switch {
	case p.rpfID != noIndex:
		p.kind, p.tableID = kindDeag, in.TableID
	case p.swIfIndex != noIndex && p.nh.IsUnspecified():
		p.kind = kindAttached
	case p.swIfIndex != noIndex:
		p.kind = kindAttachedNextHop
	case p.nh.IsUnspecified():
		p.kind = kindDeag
	default:
		p.kind = kindRecursive
	}
	return 0
}

// decodeMPLSNextHop is the MPLS next hop of fib_api_path_decode and
// fib_path_create: the interface is ignored and the via label (end of
// stack clear) is resolved in the MPLS table at fib index 0, the first
// one created; label 0 makes the path a lookup in that table.
//
// VPP checks neither the label nor that the table exists: it would index
// its forwarding array with the label and dereference a missing table.
// vppsim answers -7 and -3 instead.
func (v *vpp) decodeMPLSNextHop(in *fib_types.FibPath, p *path) api.VPPApiError {
	if in.Nh.ViaLabel > maxLabel {
		return api.INVALID_VALUE
	}
	t := v.mplsByIndex(0)
	if t == nil {
		return api.NO_SUCH_FIB
	}
	p.viaLabel, p.nhMPLS, p.tableID = in.Nh.ViaLabel, t, t.id
	if p.viaLabel == 0 {
		p.kind = kindDeag
	} else {
		p.kind = kindRecursive
	}
	return 0
}

// zeroAddr is the unspecified address of an IP protocol.
func zeroAddr(proto fib_types.FibPathNhProto) netip.Addr {
	if proto == fib_types.FIB_API_PATH_NH_PROTO_IP6 {
		return netip.IPv6Unspecified()
	}
	return netip.IPv4Unspecified()
}

// encode is fib_path_encode followed by fib_api_path_encode: the path as
// ip_route_details shows it.
func (p *path) encode() fib_types.FibPath {
	out := fib_types.FibPath{
		SwIfIndex:  noIndex,
		Weight:     p.weight,
		Preference: p.preference,
		Proto:      p.proto,
		Flags:      p.flags,
	}
	withNH := false
	switch p.kind {
	case kindReceive:
		out.Type, out.SwIfIndex, withNH = fib_types.FIB_API_PATH_TYPE_LOCAL, p.swIfIndex, true
	case kindAttached:
		out.SwIfIndex = p.swIfIndex
	case kindAttachedNextHop:
		out.SwIfIndex, withNH = p.swIfIndex, true
	case kindRecursive, kindDeag:
		withNH = p.kind == kindRecursive
		// fib_api_path_encode reports the table of IP lookups only; an
		// MPLS next hop shows neither its table nor its via label.
		if isIP(p.proto) {
			out.TableID = p.tableID
		}
	case kindDVR:
		out.Type, out.SwIfIndex = fib_types.FIB_API_PATH_TYPE_DVR, p.swIfIndex
	case kindIntfRx:
		out.Type, out.SwIfIndex = fib_types.FIB_API_PATH_TYPE_INTERFACE_RX, p.swIfIndex
	case kindSpecial:
		switch p.special {
		case specialUnreach:
			out.Type = fib_types.FIB_API_PATH_TYPE_ICMP_UNREACH
		case specialProhibit:
			out.Type = fib_types.FIB_API_PATH_TYPE_ICMP_PROHIBIT
		default:
			out.Type = fib_types.FIB_API_PATH_TYPE_DROP
		}
	}
	if withNH && p.nh.IsValid() {
		if p.nh.Is4() {
			b := p.nh.As4()
			copy(out.Nh.Address.XXX_UnionData[:], b[:])
		} else {
			out.Nh.Address.XXX_UnionData = p.nh.As16()
		}
	}
	for i, l := range p.labels {
		// VPP encodes label, ttl and exp; is_uniform is not reported back.
		out.LabelStack[i] = fib_types.FibMplsLabel{Label: l.Label, TTL: l.TTL, Exp: l.Exp}
	}
	out.NLabels = uint8(len(p.labels))
	return out
}

// comparePaths is fib_path_cmp_i: paths are the same path when they have
// the same type, protocol and type-specific key. Weight and preference do
// not make a different path.
func comparePaths(a, b *path) int {
	if c := cmp.Compare(a.kind, b.kind); c != 0 {
		return c
	}
	if c := cmp.Compare(a.proto, b.proto); c != 0 {
		return c
	}
	switch a.kind {
	case kindAttachedNextHop:
		if c := a.nh.Compare(b.nh); c != 0 {
			return c
		}
		return cmp.Compare(a.swIfIndex, b.swIfIndex)
	case kindAttached, kindIntfRx, kindDVR:
		return cmp.Compare(a.swIfIndex, b.swIfIndex)
	case kindRecursive:
		if c := a.nh.Compare(b.nh); c != 0 {
			return c
		}
		if c := cmp.Compare(a.viaLabel, b.viaLabel); c != 0 {
			return c
		}
		return cmp.Compare(a.tableID, b.tableID)
	case kindDeag:
		if c := cmp.Compare(a.tableID, b.tableID); c != 0 {
			return c
		}
		return cmp.Compare(a.rpfID, b.rpfID)
	}
	return 0 // special, exclusive and receive paths all compare equal
}

// comparePathsForSort is fib_path_cmp_for_sort: preference first, so the
// best paths lead the list, then identity.
func comparePathsForSort(a, b path) int {
	if c := cmp.Compare(a.preference, b.preference); c != 0 {
		return c
	}
	return comparePaths(&a, &b)
}

// sortPaths orders a path list the way VPP's path-lists keep it.
func sortPaths(ps []path) {
	slices.SortStableFunc(ps, comparePathsForSort)
}

// recursiveHost returns the host prefix a recursive path resolves through
// and the table it lives in, if the path is recursive.
func (p *path) recursiveHost() (netip.Prefix, *fibTable, bool) {
	if p.kind != kindRecursive || p.nhTable == nil {
		return netip.Prefix{}, nil, false
	}
	return netip.PrefixFrom(p.nh, p.nh.BitLen()), p.nhTable, true
}

// equalPaths reports whether two path lists are the same in every field a
// client set or a dump shows, labels, weights and preferences included:
// what the change log compares to tell a change from a no-op.
func equalPaths(a, b []path) bool {
	return slices.EqualFunc(a, b, func(x, y path) bool {
		return x.kind == y.kind && x.special == y.special && x.proto == y.proto &&
			x.weight == y.weight && x.preference == y.preference && x.flags == y.flags &&
			x.swIfIndex == y.swIfIndex && x.nh == y.nh && x.tableID == y.tableID &&
			x.rpfID == y.rpfID && x.viaLabel == y.viaLabel && slices.Equal(x.labels, y.labels)
	})
}
