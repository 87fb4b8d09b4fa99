package sim

import (
	interfaces "go.fd.io/govpp/binapi/interface"
)

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
			c.send(i.details(), r.context)
		}
		return nil
	}
	for _, i := range s.vpp.ifaces {
		if i == nil || (m.NameFilterValid && !i.matches(m.NameFilter)) {
			continue
		}
		c.send(i.details(), r.context)
	}
	return nil
}
