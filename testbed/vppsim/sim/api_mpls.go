package sim

import (
	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/interface_types"
	"go.fd.io/govpp/binapi/mpls"
)

// The mpls.api handlers, after src/vnet/mpls/mpls_api.c.

// serveMPLSTableAddDel is vl_api_mpls_table_add_del_t_handler: nothing in
// it fails, so the retval is always 0. Unlike IP, table 0 is added and
// deleted like any other.
func serveMPLSTableAddDel(s *Server, c *conn, r *request) error {
	var m mpls.MplsTableAddDel
	if err := decode(&m, r); err != nil {
		return err
	}
	if m.MtIsAdd {
		s.vpp.mplsTableAdd(m.MtTable.MtTableID, m.MtTable.MtName)
	} else {
		s.vpp.mplsTableDelete(m.MtTable.MtTableID)
	}
	c.send(&mpls.MplsTableAddDelReply{}, r.context)
	return nil
}

// serveMPLSTableDump sends every MPLS table in pool order.
func serveMPLSTableDump(s *Server, c *conn, r *request) error {
	for _, t := range s.vpp.mpls.pool {
		if t != nil {
			c.send(&mpls.MplsTableDetails{MtTable: mpls.MplsTable{MtTableID: t.id, MtName: t.name}}, r.context)
		}
	}
	return nil
}

// serveMPLSRouteAddDel is vl_api_mpls_route_add_del_t_handler: the API
// source.
func serveMPLSRouteAddDel(s *Server, c *conn, r *request) error {
	var m mpls.MplsRouteAddDel
	if err := decode(&m, r); err != nil {
		return err
	}
	rv, stats := s.vpp.mplsRouteAddDel(m.MrIsAdd, m.MrIsMultipath, &m.MrRoute, SourceAPI)
	c.send(&mpls.MplsRouteAddDelReply{Retval: int32(rv), StatsIndex: stats}, r.context)
	return nil
}

// mplsRouteAddDel is mpls_route_add_del_t_handler and
// fib_api_route_add_del for an MPLS prefix, checking in VPP's order: the
// table (-3 if it was never added), each path, then the path count. The
// paths' interfaces need not be MPLS-enabled: VPP does not check (only
// MPLS input needs it).
//
// mr_is_multicast is accepted and ignored: VPP would build a replicate
// instead of a load-balance, which no dump shows (mpls_route_details
// always says false). VPP checks neither the label nor the end-of-stack
// bit and would index its forwarding array with them; vppsim answers -7
// for a label above 2^20-1 or an end-of-stack value above 1.
func (v *vpp) mplsRouteAddDel(isAdd, isMultipath bool, route *mpls.MplsRoute, src Source) (api.VPPApiError, uint32) {
	t := v.mplsTable(route.MrTableID)
	if t == nil {
		return api.NO_SUCH_FIB, noIndex
	}
	paths, rv := v.decodePaths(route.MrPaths)
	if rv != 0 {
		return rv, noIndex
	}
	if route.MrLabel > maxLabel || route.MrEos > 1 {
		return api.INVALID_VALUE, noIndex
	}
	if len(paths) == 0 && (isMultipath || isAdd) {
		return errNoPathsInRoute, noIndex
	}
	k := mplsKey{label: route.MrLabel, eos: route.MrEos == 1}
	payload := uint8(dpoProtoMPLS)
	if k.eos {
		payload = route.MrEosProto
	}

	e := t.entries[k]
	var fe *fibEntry
	if e != nil {
		fe = &e.fibEntry
	}
	before := srcPaths(fe, src)
	switch {
	case isAdd:
		if e == nil {
			e = v.mplsEntry(t, k, payload)
			fe = &e.fibEntry
		}
		if isMultipath {
			v.srcPathAdd(fe, src, paths)
		} else {
			v.srcUpdate(fe, src, paths)
		}
	case e == nil: // nothing to delete
	case isMultipath:
		if v.srcPathRemove(fe, src, paths) {
			v.mplsRelease(t, e)
		}
	default:
		if v.srcDelete(fe, src) {
			v.mplsRelease(t, e)
		}
	}
	if after := srcPaths(fe, src); !equalPaths(before, after) {
		v.log.mplsRoute(changeKind(isAdd, isMultipath, before, after), src, t, k, after)
	}
	if !isAdd {
		return 0, noIndex
	}
	return 0, e.stats
}

// serveMPLSRouteDump sends one mpls_route_details per entry of the table,
// by label and end of stack; a table that does not exist sends nothing.
func serveMPLSRouteDump(s *Server, c *conn, r *request) error {
	var m mpls.MplsRouteDump
	if err := decode(&m, r); err != nil {
		return err
	}
	t := s.vpp.mplsTable(m.Table.MtTableID)
	if t == nil || c.muted {
		return nil
	}
	entries := t.sortedEntries()
	c.reserve(len(entries) * routeDetailsLen)
	d := &mpls.MplsRouteDetails{}
	for _, e := range entries {
		d.MrRoute = mpls.MplsRoute{
			MrTableID:  t.id,
			MrLabel:    e.key.label,
			MrEos:      uint8(b2i(e.key.eos)),
			MrEosProto: e.payload,
			MrPaths:    encodePaths(d.MrRoute.MrPaths[:0], e.best().paths),
		}
		d.MrRoute.MrNPaths = uint8(len(d.MrRoute.MrPaths))
		c.send(d, r.context)
	}
	return nil
}

// serveSwInterfaceSetMPLSEnable is
// vl_api_sw_interface_set_mpls_enable_t_handler: -2 for an interface that
// does not exist, -3 while MPLS table 0 does not.
func serveSwInterfaceSetMPLSEnable(s *Server, c *conn, r *request) error {
	var m mpls.SwInterfaceSetMplsEnable
	if err := decode(&m, r); err != nil {
		return err
	}
	var rv api.VPPApiError
	switch ifc := s.vpp.iface(uint32(m.SwIfIndex)); {
	case ifc == nil:
		rv = api.INVALID_SW_IF_INDEX
	case s.vpp.mplsTable(0) == nil:
		rv = api.NO_SUCH_FIB
	default:
		s.vpp.mplsEnable(ifc, m.Enable)
	}
	c.send(&mpls.SwInterfaceSetMplsEnableReply{Retval: int32(rv)}, r.context)
	return nil
}

// serveMPLSInterfaceDump sends the MPLS-enabled interfaces: all of them
// for sw_if_index ~0, else the one named if it is enabled.
func serveMPLSInterfaceDump(s *Server, c *conn, r *request) error {
	var m mpls.MplsInterfaceDump
	if err := decode(&m, r); err != nil {
		return err
	}
	send := func(i *iface) {
		if i != nil && i.mplsCount != 0 {
			c.send(&mpls.MplsInterfaceDetails{SwIfIndex: interface_types.InterfaceIndex(i.swIfIndex)}, r.context)
		}
	}
	if idx := uint32(m.SwIfIndex); idx != noIndex {
		send(s.vpp.iface(idx))
		return nil
	}
	for _, i := range s.vpp.ifaces {
		send(i)
	}
	return nil
}
