package sim

import (
	"net/netip"
	"time"

	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/ip_neighbor"
	"go.fd.io/govpp/binapi/ip_types"
)

// The ip_neighbor.api handlers, after src/vnet/ip-neighbor/ip_neighbor_api.c.

// serveIPNeighborAddDel is vl_api_ip_neighbor_add_del_t_handler: -2 for
// an unknown interface, then ip_neighbor_add or ip_neighbor_del. The
// reply's stats_index is ~0 for a delete.
func serveIPNeighborAddDel(s *Server, c *conn, r *request) error {
	var m ip_neighbor.IPNeighborAddDel
	if err := decode(&m, r); err != nil {
		return err
	}
	n := &m.Neighbor
	rv, stats := api.INVALID_SW_IF_INDEX, noIndex
	if i := s.vpp.iface(uint32(n.SwIfIndex)); i != nil {
		a := decodeAddress(n.IPAddress)
		if m.IsAdd {
			rv, stats = s.vpp.neighborAdd(i, a, n.MacAddress, n.Flags, time.Now())
		} else {
			rv = s.vpp.neighborDel(i, a)
		}
	}
	c.send(&ip_neighbor.IPNeighborAddDelReply{Retval: int32(rv), StatsIndex: stats}, r.context)
	return nil
}

// serveIPNeighborDump is vl_api_ip_neighbor_dump_t_handler: the
// neighbours of one family on one interface, or on all of them for
// sw_if_index ~0, by interface and address.
func serveIPNeighborDump(s *Server, c *conn, r *request) error {
	var m ip_neighbor.IPNeighborDump
	if err := decode(&m, r); err != nil {
		return err
	}
	ip6 := m.Af == ip_types.ADDRESS_IP6
	now := time.Now()
	send := func(i *iface) {
		for _, n := range i.sortedNeighbors(!ip6, ip6) {
			c.send(&ip_neighbor.IPNeighborDetails{
				Age: now.Sub(n.updated).Seconds(),
				Neighbor: ip_neighbor.IPNeighbor{
					SwIfIndex:  ifIndex(i.swIfIndex),
					Flags:      n.apiFlags(),
					MacAddress: n.mac,
					IPAddress:  encodeAddress(n.ip),
				},
			}, r.context)
		}
	}
	if idx := uint32(m.SwIfIndex); idx != noIndex {
		if i := s.vpp.iface(idx); i != nil {
			send(i)
		}
		return nil
	}
	for _, i := range s.vpp.ifaces {
		if i != nil {
			send(i)
		}
	}
	return nil
}

// decodeAddress is ip_address_decode.
func decodeAddress(a ip_types.Address) netip.Addr {
	u := a.Un.XXX_UnionData
	if a.Af == ip_types.ADDRESS_IP6 {
		return netip.AddrFrom16(u)
	}
	return netip.AddrFrom4([4]byte(u[:4]))
}

// encodeAddress is ip_address_encode.
func encodeAddress(a netip.Addr) ip_types.Address {
	var out ip_types.Address
	if a.Is4() {
		b := a.As4()
		copy(out.Un.XXX_UnionData[:], b[:])
	} else {
		out.Af = ip_types.ADDRESS_IP6
		out.Un.XXX_UnionData = a.As16()
	}
	return out
}
