package sim

import (
	"go.fd.io/govpp/binapi/memclnt"
	"go.fd.io/govpp/binapi/vpe"
)

// serveSockclntCreate is vl_api_sockclnt_create_t_handler: it names the
// client and answers with its index and the message table.
func serveSockclntCreate(s *Server, c *conn, r *request) error {
	var m memclnt.SockclntCreate
	if err := decode(&m, r); err != nil {
		return err
	}
	table := make([]memclnt.MessageTableEntry, len(s.table.entries))
	for i, e := range s.table.entries {
		table[i] = memclnt.MessageTableEntry{Index: e.id, Name: e.name}
	}
	c.send(&memclnt.SockclntCreateReply{
		Index:        c.handle,
		Count:        uint16(len(table)),
		MessageTable: table,
	}, r.context)
	return nil
}

// serveSockclntDelete is vl_api_sockclnt_delete_t_handler: it removes the
// registration the request names, answering response 1 (VPP's success
// value here) and closing that client's socket, or -1 if there is none.
func serveSockclntDelete(s *Server, c *conn, r *request) error {
	var m memclnt.SockclntDelete
	if err := decode(&m, r); err != nil {
		return err
	}
	if c.muted {
		return nil // VPP ignores a delete from an unknown client index
	}
	idx := m.Index &^ regHandleBit
	target, ok := s.vpp.regs[idx]
	if !ok {
		c.send(&memclnt.SockclntDeleteReply{Response: -1}, r.context)
		return nil
	}
	c.send(&memclnt.SockclntDeleteReply{Response: 1}, r.context)
	s.vpp.unregister(idx, target)
	if target == c {
		c.closing = true
	} else {
		_ = target.nc.Close()
	}
	return nil
}

// serveControlPing answers with the VPP's pid, ending any dump before it.
func serveControlPing(s *Server, c *conn, r *request) error {
	c.send(&memclnt.ControlPingReply{VpePID: s.vpp.pid}, r.context)
	return nil
}

// serveShowVersion reports the program and version.
func serveShowVersion(s *Server, c *conn, r *request) error {
	v := s.vpp.version
	c.send(&vpe.ShowVersionReply{
		Program:        v.program,
		Version:        v.version,
		BuildDate:      v.buildDate,
		BuildDirectory: v.buildDirectory,
	}, r.context)
	return nil
}
