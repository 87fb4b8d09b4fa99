package sim

import (
	"net/netip"
	"slices"
	"time"

	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/ethernet_types"
	"go.fd.io/govpp/binapi/ip_neighbor"
)

// Neighbours (ARP and ND entries), after ip_neighbor_add and
// ip_neighbor_del in src/vnet/ip-neighbor/ip_neighbor.c. VPP checks
// nothing about the address: one outside the interface's subnets is
// accepted.

// neighbor is one ip_neighbor_t.
type neighbor struct {
	ip      netip.Addr
	mac     ethernet_types.MacAddress
	static  bool // else dynamic
	noFIB   bool // IP_NEIGHBOR_FLAG_NO_FIB_ENTRY: no /32 (/128) adj-fib
	stats   uint32
	updated time.Time
}

// apiFlags are the flags ip_neighbor_details reports.
func (n *neighbor) apiFlags() ip_neighbor.IPNeighborFlags {
	var f ip_neighbor.IPNeighborFlags
	if n.static {
		f |= ip_neighbor.IP_API_NEIGHBOR_FLAG_STATIC
	}
	if n.noFIB {
		f |= ip_neighbor.IP_API_NEIGHBOR_FLAG_NO_FIB_ENTRY
	}
	return f
}

// detail is the neighbour as a change's Detail: "MAC static|dynamic
// [no-fib-entry]".
func (n *neighbor) detail() string {
	s := n.mac.String()
	if n.static {
		s += " static"
	} else {
		s += " dynamic"
	}
	if n.noFIB {
		s += " no-fib-entry"
	}
	return s
}

// neighborAdd is ip_neighbor_add. Adding an existing neighbour answers 0
// and the same stats index; it may make a dynamic entry static (never
// the reverse) and change its MAC, except that a dynamic add over a
// static entry with another MAC is refused with -2. The stats index is
// that of the neighbour's adjacency, created with its adj-fib entry; a
// no-fib-entry neighbour has none (~0).
func (v *vpp) neighborAdd(i *iface, ip netip.Addr, mac ethernet_types.MacAddress, flags ip_neighbor.IPNeighborFlags, now time.Time) (api.VPPApiError, uint32) {
	static := flags&ip_neighbor.IP_API_NEIGHBOR_FLAG_STATIC != 0
	n := i.neighbors[ip]
	if n == nil {
		n = &neighbor{ip: ip, mac: mac, static: static, noFIB: flags&ip_neighbor.IP_API_NEIGHBOR_FLAG_NO_FIB_ENTRY != 0, stats: noIndex, updated: now}
		if !n.noFIB {
			n.stats = v.adjs.get()
		}
		if i.neighbors == nil {
			i.neighbors = make(map[netip.Addr]*neighbor)
		}
		i.neighbors[ip] = n
		v.log.ifaceDetail(ChangeNeighborAdd, i.swIfIndex, netip.PrefixFrom(ip, ip.BitLen()), n.detail())
		return 0, n.stats
	}
	if !static && n.static {
		if n.mac != mac {
			return api.INVALID_SW_IF_INDEX, noIndex
		}
		return 0, n.stats
	}
	changed := static && !n.static
	n.static = n.static || static
	n.updated = now
	if n.mac != mac {
		n.mac, changed = mac, true
	}
	if changed {
		v.log.ifaceDetail(ChangeNeighborUpdate, i.swIfIndex, netip.PrefixFrom(ip, ip.BitLen()), n.detail())
	}
	return 0, n.stats
}

// neighborDel is ip_neighbor_del: -6 if there is no such neighbour.
func (v *vpp) neighborDel(i *iface, ip netip.Addr) api.VPPApiError {
	n := i.neighbors[ip]
	if n == nil {
		return api.NO_SUCH_ENTRY
	}
	v.dropNeighbor(i, n)
	return 0
}

func (v *vpp) dropNeighbor(i *iface, n *neighbor) {
	delete(i.neighbors, n.ip)
	if n.stats != noIndex {
		v.adjs.put(n.stats)
	}
	v.log.ifaceDetail(ChangeNeighborDelete, i.swIfIndex, netip.PrefixFrom(n.ip, n.ip.BitLen()), n.detail())
}

// flushNeighbors removes every neighbour of an interface being deleted.
func (v *vpp) flushNeighbors(i *iface) {
	for _, n := range i.sortedNeighbors(true, true) {
		v.dropNeighbor(i, n)
	}
}

// sortedNeighbors returns the interface's neighbours of the families
// asked for, by address.
func (i *iface) sortedNeighbors(ip4, ip6 bool) []*neighbor {
	out := make([]*neighbor, 0, len(i.neighbors))
	for _, n := range i.neighbors {
		if (n.ip.Is4() && ip4) || (n.ip.Is6() && ip6) {
			out = append(out, n)
		}
	}
	slices.SortFunc(out, func(a, b *neighbor) int { return a.ip.Compare(b.ip) })
	return out
}
