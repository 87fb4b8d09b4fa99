package pairing

import (
	"net/netip"
	"slices"
)

// Neighbour states as the kernel names them (include/uapi/linux/neighbour.h).
const (
	nudIncomplete = 0x01
	nudReachable  = 0x02
	nudStale      = 0x04
	nudDelay      = 0x08
	nudProbe      = 0x10
	nudFailed     = 0x20
	nudNoARP      = 0x40
	nudPermanent  = 0x80
)

// usableNUD reports whether a neighbour in this state belongs in VPP:
// REACHABLE, STALE, DELAY, PROBE and PERMANENT have a MAC Linux would use;
// INCOMPLETE and FAILED do not.
func usableNUD(state int) bool {
	if state&(nudIncomplete|nudFailed) != 0 {
		return false
	}
	return state&(nudReachable|nudStale|nudDelay|nudProbe|nudPermanent) != 0
}

// linkLocal is fe80::/10. VPP gives every IPv6-enabled interface its own
// link-local address and manages it itself (ip6_link); adding Linux's
// (different, EUI-64 or random) one would give the VPP interface two, and
// deleting VPP's would break ND. So IPv6 link-local addresses are never
// mirrored in either direction.
var linkLocal = netip.MustParsePrefix("fe80::/10")

// managedPrefix reports whether an interface address is mirrored to VPP.
func managedPrefix(p netip.Prefix) bool {
	return p.IsValid() && !linkLocal.Contains(p.Addr())
}

// link is what the Watcher mirrors of a Linux interface.
type link struct {
	Index int
	Name  string
	Up    bool // IFF_UP: administratively up
	MTU   uint32
}

// neigh is one usable neighbour: its MAC and whether it is PERMANENT
// (a static entry in VPP).
type neigh struct {
	MAC    [6]byte
	Static bool
}

// linuxState is the mirror of the dataplane namespace.
type linuxState struct {
	links  map[int]link
	addrs  map[int]map[netip.Prefix]bool
	neighs map[int]map[netip.Addr]neigh
}

func newLinuxState() *linuxState {
	return &linuxState{links: map[int]link{}, addrs: map[int]map[netip.Prefix]bool{}, neighs: map[int]map[netip.Addr]neigh{}}
}

// ifindexByName finds a link by name.
func (s *linuxState) ifindexByName(name string) (int, bool) {
	for i, l := range s.links {
		if l.Name == name {
			return i, true
		}
	}
	return 0, false
}

// setLink records a new or changed link.
func (s *linuxState) setLink(l link) { s.links[l.Index] = l }

// delLink forgets a link and everything on it.
func (s *linuxState) delLink(ifindex int) {
	delete(s.links, ifindex)
	delete(s.addrs, ifindex)
	delete(s.neighs, ifindex)
}

// setAddr adds or removes an address; unmanaged ones are ignored.
func (s *linuxState) setAddr(ifindex int, p netip.Prefix, present bool) bool {
	if !managedPrefix(p) {
		return false
	}
	m := s.addrs[ifindex]
	if present {
		if m == nil {
			m = map[netip.Prefix]bool{}
			s.addrs[ifindex] = m
		}
		m[p] = true
	} else {
		delete(m, p)
	}
	return true
}

// setNeigh records a neighbour update: usable entries are kept, anything
// else (FAILED, INCOMPLETE, deleted, no MAC) is removed.
func (s *linuxState) setNeigh(ifindex int, ip netip.Addr, mac []byte, state int, deleted bool) bool {
	if !ip.IsValid() || ip.IsMulticast() {
		return false
	}
	ip = ip.Unmap()
	m := s.neighs[ifindex]
	if deleted || !usableNUD(state) || len(mac) != 6 || state&nudNoARP != 0 {
		delete(m, ip)
		return true
	}
	if m == nil {
		m = map[netip.Addr]neigh{}
		s.neighs[ifindex] = m
	}
	var n neigh
	copy(n.MAC[:], mac)
	n.Static = state&nudPermanent != 0
	m[ip] = n
	return true
}

// vppIf is what VPP holds on one paired interface, as far as the Watcher
// knows (refreshed from dumps on every resync).
type vppIf struct {
	Up     bool
	MTU    uint32
	Addrs  map[netip.Prefix]bool
	Neighs map[netip.Addr]neigh
}

func newVppIf() *vppIf {
	return &vppIf{Addrs: map[netip.Prefix]bool{}, Neighs: map[netip.Addr]neigh{}}
}

type opKind uint8

const (
	opFlags opKind = iota + 1
	opMTU
	opAddrDel
	opAddrAdd
	opNeighDel
	opNeighAdd
)

func (k opKind) String() string {
	return [...]string{"", "flags", "mtu", "addr-del", "addr-add", "neigh-del", "neigh-add"}[k]
}

// op is one VPP call that brings an interface closer to Linux's state.
type op struct {
	Kind   opKind
	Up     bool
	MTU    uint32
	Prefix netip.Prefix
	IP     netip.Addr
	Neigh  neigh
}

// diffLink returns the calls that make have's link state equal to l's.
// MTU 0 (unknown) is never applied.
func diffLink(l link, have *vppIf) []op {
	var ops []op
	if l.MTU != 0 && l.MTU != have.MTU {
		ops = append(ops, op{Kind: opMTU, MTU: l.MTU})
	}
	if l.Up != have.Up {
		ops = append(ops, op{Kind: opFlags, Up: l.Up})
	}
	return ops
}

// diffAddrs returns the calls that make have's addresses equal to want
// (deletes first, so a prefix-length change frees the address first).
func diffAddrs(want map[netip.Prefix]bool, have *vppIf) []op {
	var ops []op
	for _, p := range sortedPrefixes(have.Addrs) {
		if !want[p] && managedPrefix(p) {
			ops = append(ops, op{Kind: opAddrDel, Prefix: p})
		}
	}
	for _, p := range sortedPrefixes(want) {
		if !have.Addrs[p] {
			ops = append(ops, op{Kind: opAddrAdd, Prefix: p})
		}
	}
	return ops
}

// diffNeigh returns the calls, if any, that make VPP's entry for ip equal
// to Linux's. VPP refuses to turn a static entry dynamic by adding over it
// (ip_neighbor_add keeps the static one), so that takes a delete first.
func diffNeigh(ip netip.Addr, want map[netip.Addr]neigh, have *vppIf) []op {
	w, wok := want[ip]
	h, hok := have.Neighs[ip]
	switch {
	case wok && hok && h.Static && !w.Static:
		return []op{{Kind: opNeighDel, IP: ip, Neigh: h}, {Kind: opNeighAdd, IP: ip, Neigh: w}}
	case wok && (!hok || w != h):
		return []op{{Kind: opNeighAdd, IP: ip, Neigh: w}}
	case !wok && hok:
		return []op{{Kind: opNeighDel, IP: ip, Neigh: h}}
	}
	return nil
}

// diffNeighs returns every neighbour call for one interface, in address order.
func diffNeighs(want map[netip.Addr]neigh, have *vppIf) []op {
	keys := make([]netip.Addr, 0, len(want)+len(have.Neighs))
	for ip := range want {
		keys = append(keys, ip)
	}
	for ip := range have.Neighs {
		if _, ok := want[ip]; !ok {
			keys = append(keys, ip)
		}
	}
	slices.SortFunc(keys, netip.Addr.Compare)
	var ops []op
	for _, ip := range keys {
		ops = append(ops, diffNeigh(ip, want, have)...)
	}
	return ops
}

func sortedPrefixes(m map[netip.Prefix]bool) []netip.Prefix {
	ps := make([]netip.Prefix, 0, len(m))
	for p := range m {
		ps = append(ps, p)
	}
	slices.SortFunc(ps, func(a, b netip.Prefix) int {
		if c := a.Addr().Compare(b.Addr()); c != 0 {
			return c
		}
		return a.Bits() - b.Bits()
	})
	return ps
}

// apply records a call VPP accepted.
func (v *vppIf) apply(o op) {
	switch o.Kind {
	case opFlags:
		v.Up = o.Up
	case opMTU:
		v.MTU = o.MTU
	case opAddrAdd:
		v.Addrs[o.Prefix] = true
	case opAddrDel:
		delete(v.Addrs, o.Prefix)
	case opNeighAdd:
		v.Neighs[o.IP] = o.Neigh
	case opNeighDel:
		delete(v.Neighs, o.IP)
	}
}
