package vpp

import (
	"fmt"
	"net/netip"

	"go.fd.io/govpp/binapi/fib_types"
	"go.fd.io/govpp/binapi/ip"
	"go.fd.io/govpp/binapi/ip_types"

	"github.com/lcpfib/lcpfib/rib"
)

// Linux routing table numbers with a special meaning.
const (
	LinuxTableMain  = 254
	LinuxTableLocal = 255
)

// invalidIndex is VPP's ~0: "no interface", which makes a path recursive.
const invalidIndex = ^uint32(0)

// TableID maps a Linux routing table to a VPP FIB table id. ok is false for
// tables that are never programmed (local).
func TableID(linux uint32) (id uint32, ok bool) {
	switch linux {
	case LinuxTableMain:
		return 0, true
	case LinuxTableLocal:
		return 0, false
	}
	return linux, true
}

// Interfaces resolves Linux ifindexes in the dataplane namespace to VPP
// sw_if_index values.
type Interfaces interface {
	SwIfIndex(linuxIfindex uint32) (uint32, bool)
}

// UnresolvedError says a route cannot be programmed because none of its
// paths leads out of an interface VPP knows.
type UnresolvedError struct {
	Ifindexes []uint32
}

func (e *UnresolvedError) Error() string {
	return fmt.Sprintf("no VPP interface paired with Linux ifindex %v", e.Ifindexes)
}

// routeAdd builds the ip_route_add_del that makes VPP forward as r says. It
// always replaces the whole path set (is_multipath=0), which is exactly one
// call whatever changed. Paths whose interface has no VPP twin are left out;
// if that leaves none, it returns an *UnresolvedError.
func routeAdd(r *rib.Route, vppTable uint32, ifs Interfaces) (*ip.IPRouteAddDel, error) {
	m := &ip.IPRouteAddDel{IsAdd: true}
	m.Route.TableID = vppTable
	m.Route.Prefix = ToPrefix(r.Prefix)
	proto := NhProto(r.Prefix.Addr())
	switch r.Kind {
	case rib.Blackhole:
		m.Route.Paths = []fib_types.FibPath{specialPath(fib_types.FIB_API_PATH_TYPE_DROP, proto)}
	case rib.Unreachable:
		m.Route.Paths = []fib_types.FibPath{specialPath(fib_types.FIB_API_PATH_TYPE_ICMP_UNREACH, proto)}
	case rib.Prohibit:
		m.Route.Paths = []fib_types.FibPath{specialPath(fib_types.FIB_API_PATH_TYPE_ICMP_PROHIBIT, proto)}
	case rib.Unicast:
		m.Route.Paths = make([]fib_types.FibPath, 0, len(r.Paths))
		var missing []uint32
		for _, p := range r.Paths {
			fp, ok := unicastPath(p, proto, ifs)
			if !ok {
				missing = append(missing, p.Ifindex)
				continue
			}
			m.Route.Paths = append(m.Route.Paths, fp)
		}
		if len(m.Route.Paths) == 0 {
			if len(missing) == 0 {
				return nil, fmt.Errorf("unicast route %s has no paths", r.Key)
			}
			return nil, &UnresolvedError{Ifindexes: missing}
		}
	default:
		return nil, fmt.Errorf("route %s: unsupported kind %s", r.Key, r.Kind)
	}
	if len(m.Route.Paths) > 255 {
		return nil, fmt.Errorf("route %s: %d paths, VPP takes at most 255", r.Key, len(m.Route.Paths))
	}
	m.Route.NPaths = uint8(len(m.Route.Paths))
	return m, nil
}

// routeDel builds the ip_route_add_del that removes the whole entry.
func routeDel(p netip.Prefix, vppTable uint32) *ip.IPRouteAddDel {
	m := &ip.IPRouteAddDel{IsAdd: false}
	m.Route.TableID = vppTable
	m.Route.Prefix = ToPrefix(p)
	return m
}

func specialPath(t fib_types.FibPathType, proto fib_types.FibPathNhProto) fib_types.FibPath {
	return fib_types.FibPath{SwIfIndex: invalidIndex, Type: t, Proto: proto, Weight: 1}
}

func unicastPath(p rib.Path, routeProto fib_types.FibPathNhProto, ifs Interfaces) (fib_types.FibPath, bool) {
	fp := fib_types.FibPath{SwIfIndex: invalidIndex, Proto: routeProto, Weight: 1}
	if p.Weight > 1 {
		fp.Weight = uint8(min(p.Weight, 255))
	}
	setLabels(&fp, p.Labels)
	if p.Gateway.IsValid() {
		fp.Proto = NhProto(p.Gateway)
		fp.Nh.Address = ToUnion(p.Gateway)
	}
	if p.Ifindex != 0 {
		sw, ok := ifs.SwIfIndex(p.Ifindex)
		if !ok {
			return fp, false
		}
		fp.SwIfIndex = sw
	}
	return fp, true
}

// NhProto is the fib_path next-hop protocol of an address.
func NhProto(a netip.Addr) fib_types.FibPathNhProto {
	if a.Is4() {
		return fib_types.FIB_API_PATH_NH_PROTO_IP4
	}
	return fib_types.FIB_API_PATH_NH_PROTO_IP6
}

// ToUnion converts an address to VPP's address union.
func ToUnion(a netip.Addr) ip_types.AddressUnion {
	var u ip_types.AddressUnion
	if a.Is4() {
		u.SetIP4(ip_types.IP4Address(a.As4()))
	} else {
		u.SetIP6(ip_types.IP6Address(a.As16()))
	}
	return u
}

// ToPrefix converts a prefix to VPP's.
func ToPrefix(p netip.Prefix) ip_types.Prefix {
	out := ip_types.Prefix{Len: uint8(p.Bits())}
	out.Address.Un = ToUnion(p.Addr())
	if p.Addr().Is4() {
		out.Address.Af = ip_types.ADDRESS_IP4
	} else {
		out.Address.Af = ip_types.ADDRESS_IP6
	}
	return out
}

// FromPrefix converts a VPP prefix to a netip.Prefix, masked.
func FromPrefix(p ip_types.Prefix) netip.Prefix {
	return netip.PrefixFrom(FromAddress(p.Address.Af, p.Address.Un), int(p.Len)).Masked()
}

// FromAddress converts a VPP address union of the given family.
func FromAddress(af ip_types.AddressFamily, u ip_types.AddressUnion) netip.Addr {
	if af == ip_types.ADDRESS_IP6 {
		return netip.AddrFrom16(u.GetIP6())
	}
	return netip.AddrFrom4(u.GetIP4())
}
