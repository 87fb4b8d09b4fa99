package sim

import (
	"strings"

	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/lcp"
)

// The lcp.api handlers, after src/plugins/linux-cp/lcp_api.c.

// pairAddDel is what every lcp_itf_pair_add_del version does: -2 for an
// unknown phy (VALIDATE_SW_IF_INDEX), then lcp_itf_pair_create or
// lcp_itf_pair_delete.
func (s *Server) pairAddDel(isAdd bool, phy uint32, name string, typ lcp.LcpItfHostType, ns string) (api.VPPApiError, *lcpPair) {
	if s.vpp.iface(phy) == nil {
		return api.INVALID_SW_IF_INDEX, nil
	}
	if !isAdd {
		return s.vpp.pairDeletePhy(s, phy), nil
	}
	if typ != lcp.LCP_API_ITF_HOST_TUN {
		typ = lcp.LCP_API_ITF_HOST_TAP // api_decode_host_type
	}
	if _, rv := s.vpp.pairAdd(s, phy, name, typ, ns); rv != 0 {
		return rv, nil
	}
	return 0, s.vpp.lcp.byPhy[phy]
}

// serveLcpItfPairAddDel is vl_api_lcp_itf_pair_add_del_t_handler.
func serveLcpItfPairAddDel(s *Server, c *conn, r *request) error {
	var m lcp.LcpItfPairAddDel
	if err := decode(&m, r); err != nil {
		return err
	}
	rv, _ := s.pairAddDel(m.IsAdd, uint32(m.SwIfIndex), m.HostIfName, m.HostIfType, m.Netns)
	c.send(&lcp.LcpItfPairAddDelReply{Retval: int32(rv)}, r.context)
	return nil
}

// serveLcpItfPairAddDelV2 is vl_api_lcp_itf_pair_add_del_v2_t_handler:
// the reply has the host sw_if_index (~0 on failure and for a delete).
func serveLcpItfPairAddDelV2(s *Server, c *conn, r *request) error {
	var m lcp.LcpItfPairAddDelV2
	if err := decode(&m, r); err != nil {
		return err
	}
	rv, p := s.pairAddDel(m.IsAdd, uint32(m.SwIfIndex), m.HostIfName, m.HostIfType, m.Netns)
	host := noIndex
	if p != nil {
		host = p.host
	}
	c.send(&lcp.LcpItfPairAddDelV2Reply{Retval: int32(rv), HostSwIfIndex: ifIndex(host)}, r.context)
	return nil
}

// serveLcpItfPairAddDelV3 is vl_api_lcp_itf_pair_add_del_v3_t_handler:
// the reply also has the Linux ifindex (0 unless a pair was added).
func serveLcpItfPairAddDelV3(s *Server, c *conn, r *request) error {
	var m lcp.LcpItfPairAddDelV3
	if err := decode(&m, r); err != nil {
		return err
	}
	rv, p := s.pairAddDel(m.IsAdd, uint32(m.SwIfIndex), m.HostIfName, m.HostIfType, m.Netns)
	reply := &lcp.LcpItfPairAddDelV3Reply{Retval: int32(rv), HostSwIfIndex: ifIndex(noIndex)}
	if p != nil {
		reply.HostSwIfIndex, reply.VifIndex = ifIndex(p.host), p.vif
	}
	c.send(reply, r.context)
	return nil
}

// sendPairs sends the details of every pair from pool index cursor on,
// as REPLY_AND_DETAILS_MACRO_END does (vppsim never stops early, so the
// reply's cursor is always ~0).
func (s *Server) sendPairs(c *conn, r *request, cursor uint32) {
	for _, p := range s.vpp.lcp.pairs {
		if p != nil && p.index >= cursor {
			c.send(p.details(), r.context)
		}
	}
}

// serveLcpItfPairGet is vl_api_lcp_itf_pair_get_t_handler.
func serveLcpItfPairGet(s *Server, c *conn, r *request) error {
	var m lcp.LcpItfPairGet
	if err := decode(&m, r); err != nil {
		return err
	}
	s.sendPairs(c, r, m.Cursor)
	c.send(&lcp.LcpItfPairGetReply{Cursor: noIndex}, r.context)
	return nil
}

// serveLcpItfPairGetV2 is vl_api_lcp_itf_pair_get_v2_t_handler. For
// sw_if_index ~0 VPP 25.10 walks every pair and, by a slip in lcp_api.c,
// ends with lcp_itf_pair_get_reply, not the v2 reply: vppsim does the
// same, which GoVPP's generated LcpItfPairGetV2 client reports as an
// unexpected message. For one interface it sends that interface's pair
// and the v2 reply, -2 if the interface is unknown or has no pair.
func serveLcpItfPairGetV2(s *Server, c *conn, r *request) error {
	var m lcp.LcpItfPairGetV2
	if err := decode(&m, r); err != nil {
		return err
	}
	idx := uint32(m.SwIfIndex)
	if idx == noIndex {
		s.sendPairs(c, r, m.Cursor)
		c.send(&lcp.LcpItfPairGetReply{Cursor: noIndex}, r.context)
		return nil
	}
	rv := api.INVALID_SW_IF_INDEX
	if p := s.vpp.lcp.byPhy[idx]; p != nil && s.vpp.iface(idx) != nil {
		c.send(p.details(), r.context)
		rv = 0
	}
	c.send(&lcp.LcpItfPairGetV2Reply{Retval: int32(rv), Cursor: noIndex}, r.context)
	return nil
}

// serveLcpDefaultNsSet is vl_api_lcp_default_ns_set_t_handler: the name
// is cut to 31 bytes; "" clears the default. It always succeeds (VPP
// does not check that /run/netns/NAME exists).
func serveLcpDefaultNsSet(s *Server, c *conn, r *request) error {
	var m lcp.LcpDefaultNsSet
	if err := decode(&m, r); err != nil {
		return err
	}
	ns := m.Netns
	if n := strings.IndexByte(ns, 0); n >= 0 {
		ns = ns[:n]
	}
	if len(ns) > 31 {
		ns = ns[:31]
	}
	if ns != s.vpp.lcp.defaultNS {
		s.vpp.lcp.defaultNS = ns
		s.changes.defaultNS(ns)
	}
	c.send(&lcp.LcpDefaultNsSetReply{}, r.context)
	return nil
}

// serveLcpDefaultNsGet is vl_api_lcp_default_ns_get_t_handler.
func serveLcpDefaultNsGet(s *Server, c *conn, r *request) error {
	c.send(&lcp.LcpDefaultNsGetReply{Netns: s.vpp.lcp.defaultNS}, r.context)
	return nil
}
