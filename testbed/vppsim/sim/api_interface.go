package sim

import (
	"go.fd.io/govpp/api"
	interfaces "go.fd.io/govpp/binapi/interface"
	"go.fd.io/govpp/binapi/interface_types"
	"go.fd.io/govpp/binapi/ip"
	"go.fd.io/govpp/binapi/ip_types"
)

// The interface.api handlers (and ip_address_dump), after
// src/vnet/interface_api.c and src/vnet/ip/ip_api.c.

// serveSwInterfaceDump is vl_api_sw_interface_dump_t_handler. Without a
// name filter, a sw_if_index other than 0 and ~0 selects one interface
// (none if it does not exist); otherwise every interface whose name
// contains the filter, ignoring case, or all of them, is sent.
func serveSwInterfaceDump(s *Server, c *conn, r *request) error {
	var m interfaces.SwInterfaceDump
	if err := decode(&m, r); err != nil {
		return err
	}
	idx := uint32(m.SwIfIndex)
	if !m.NameFilterValid && idx != noIndex && idx != 0 {
		if i := s.vpp.iface(idx); i != nil {
			c.send(i.details(s.vpp.hw(i)), r.context)
		}
		return nil
	}
	for _, i := range s.vpp.ifaces {
		if i == nil || (m.NameFilterValid && !i.matches(m.NameFilter)) {
			continue
		}
		c.send(i.details(s.vpp.hw(i)), r.context)
	}
	return nil
}

// serveSwInterfaceSetFlags is vl_api_sw_interface_set_flags_t_handler:
// only the admin-up flag is taken; -2 for an unknown interface.
func serveSwInterfaceSetFlags(s *Server, c *conn, r *request) error {
	var m interfaces.SwInterfaceSetFlags
	if err := decode(&m, r); err != nil {
		return err
	}
	var rv api.VPPApiError
	if i := s.vpp.iface(uint32(m.SwIfIndex)); i == nil {
		rv = api.INVALID_SW_IF_INDEX
	} else {
		s.vpp.setAdmin(s, i, m.Flags&interface_types.IF_STATUS_API_FLAG_ADMIN_UP != 0)
	}
	c.send(&interfaces.SwInterfaceSetFlagsReply{Retval: int32(rv)}, r.context)
	return nil
}

// serveSwInterfaceSetMtu is vl_api_sw_interface_set_mtu_t_handler: the
// four per-protocol MTUs (L3, IPv4, IPv6, MPLS) are stored as given.
func serveSwInterfaceSetMtu(s *Server, c *conn, r *request) error {
	var m interfaces.SwInterfaceSetMtu
	if err := decode(&m, r); err != nil {
		return err
	}
	var rv api.VPPApiError
	if i := s.vpp.iface(uint32(m.SwIfIndex)); i == nil {
		rv = api.INVALID_SW_IF_INDEX
	} else {
		var mtu [4]uint32
		copy(mtu[:], m.Mtu)
		s.vpp.setProtocolMTU(i, mtu)
	}
	c.send(&interfaces.SwInterfaceSetMtuReply{Retval: int32(rv)}, r.context)
	return nil
}

// serveHwInterfaceSetMtu is vl_api_hw_interface_set_mtu_t_handler.
func serveHwInterfaceSetMtu(s *Server, c *conn, r *request) error {
	var m interfaces.HwInterfaceSetMtu
	if err := decode(&m, r); err != nil {
		return err
	}
	rv := api.INVALID_SW_IF_INDEX
	if i := s.vpp.iface(uint32(m.SwIfIndex)); i != nil {
		rv = s.vpp.setHwMTU(i, m.Mtu)
	}
	c.send(&interfaces.HwInterfaceSetMtuReply{Retval: int32(rv)}, r.context)
	return nil
}

// serveSwInterfaceAddDelAddress is
// vl_api_sw_interface_add_del_address_t_handler: del_all removes every
// address (of both families) whatever else the request says.
func serveSwInterfaceAddDelAddress(s *Server, c *conn, r *request) error {
	var m interfaces.SwInterfaceAddDelAddress
	if err := decode(&m, r); err != nil {
		return err
	}
	var rv api.VPPApiError
	switch i := s.vpp.iface(uint32(m.SwIfIndex)); {
	case i == nil:
		rv = api.INVALID_SW_IF_INDEX
	case m.DelAll:
		s.vpp.flushAddresses(i)
	default:
		p, ok := decodePrefix(ip_types.Prefix(m.Prefix))
		if !ok {
			rv = api.INVALID_VALUE // vppsim's choice; VPP does not check
			break
		}
		rv = s.vpp.addrAddDel(i, p, m.IsAdd)
	}
	c.send(&interfaces.SwInterfaceAddDelAddressReply{Retval: int32(rv)}, r.context)
	return nil
}

// serveIPAddressDump is vl_api_ip_address_dump_t_handler: one interface's
// addresses of one family, in the order they were added; nothing for an
// unknown interface.
func serveIPAddressDump(s *Server, c *conn, r *request) error {
	var m ip.IPAddressDump
	if err := decode(&m, r); err != nil {
		return err
	}
	i := s.vpp.iface(uint32(m.SwIfIndex))
	if i == nil {
		return nil
	}
	for _, a := range i.addrs {
		if a.Addr().Is6() != m.IsIPv6 {
			continue
		}
		c.send(&ip.IPAddressDetails{SwIfIndex: m.SwIfIndex, Prefix: ip_types.AddressWithPrefix(encodePrefix(a))}, r.context)
	}
	return nil
}

// serveWantInterfaceEvents is the want_interface_events pub_sub_handler.
func serveWantInterfaceEvents(s *Server, c *conn, r *request) error {
	var m interfaces.WantInterfaceEvents
	if err := decode(&m, r); err != nil {
		return err
	}
	var rv api.VPPApiError
	reg := r.clientIndex &^ regHandleBit
	if _, ok := s.vpp.regs[reg]; !ok {
		return nil // no registration: VPP drops the request
	}
	rv = s.vpp.wantInterfaceEvents(reg, m.EnableDisable != 0, m.PID)
	c.send(&interfaces.WantInterfaceEventsReply{Retval: int32(rv)}, r.context)
	return nil
}

// serveCreateVlanSubif is vl_api_create_vlan_subif_t_handler: a dot1q
// exact-match sub-interface whose sub id is the VLAN id.
func serveCreateVlanSubif(s *Server, c *conn, r *request) error {
	var m interfaces.CreateVlanSubif
	if err := decode(&m, r); err != nil {
		return err
	}
	rv, idx := api.INVALID_SW_IF_INDEX, noIndex
	if i := s.vpp.iface(uint32(m.SwIfIndex)); i != nil {
		flags := interface_types.SUB_IF_API_FLAG_ONE_TAG | interface_types.SUB_IF_API_FLAG_EXACT_MATCH
		idx, rv = s.vpp.createSubif(i, m.VlanID, m.VlanID, flags)
	}
	c.send(&interfaces.CreateVlanSubifReply{Retval: int32(rv), SwIfIndex: ifIndex(idx)}, r.context)
	return nil
}

// serveCreateSubif is vl_api_create_subif_t_handler for what vppsim
// models: one tag (dot1q or dot1ad), outer VLAN id given. Anything else
// (no tags, two tags, default, any-VLAN) is refused with -7.
func serveCreateSubif(s *Server, c *conn, r *request) error {
	var m interfaces.CreateSubif
	if err := decode(&m, r); err != nil {
		return err
	}
	rv, idx := api.INVALID_SW_IF_INDEX, noIndex
	const modelled = interface_types.SUB_IF_API_FLAG_ONE_TAG | interface_types.SUB_IF_API_FLAG_EXACT_MATCH | interface_types.SUB_IF_API_FLAG_DOT1AD
	if i := s.vpp.iface(uint32(m.SwIfIndex)); i != nil {
		if m.SubIfFlags&interface_types.SUB_IF_API_FLAG_ONE_TAG == 0 || m.SubIfFlags&^modelled != 0 {
			rv = api.INVALID_VALUE
		} else {
			idx, rv = s.vpp.createSubif(i, m.SubID, uint32(m.OuterVlanID), m.SubIfFlags)
		}
	}
	c.send(&interfaces.CreateSubifReply{Retval: int32(rv), SwIfIndex: ifIndex(idx)}, r.context)
	return nil
}

// serveDeleteSubif is vl_api_delete_subif_t_handler.
func serveDeleteSubif(s *Server, c *conn, r *request) error {
	var m interfaces.DeleteSubif
	if err := decode(&m, r); err != nil {
		return err
	}
	rv := s.vpp.deleteSubif(s, uint32(m.SwIfIndex))
	c.send(&interfaces.DeleteSubifReply{Retval: int32(rv)}, r.context)
	return nil
}
