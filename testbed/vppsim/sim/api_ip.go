package sim

import (
	"net/netip"

	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/fib"
	"go.fd.io/govpp/binapi/fib_types"
	"go.fd.io/govpp/binapi/ip"
	"go.fd.io/govpp/binapi/ip_types"
)

// errNoPathsInRoute is VNET_API_ERROR_NO_PATHS_IN_ROUTE (GoVPP v0.13.0
// still calls -52 by its old name, PREFIX_MATCHES_NEXT_HOP).
const errNoPathsInRoute api.VPPApiError = -52

// serveIPTableAddDel is vl_api_ip_table_add_del_t_handler: adding an
// existing table and deleting a missing one both succeed; table 0 is
// neither added nor deleted.
func serveIPTableAddDel(s *Server, c *conn, r *request) error {
	var m ip.IPTableAddDel
	if err := decode(&m, r); err != nil {
		return err
	}
	if m.IsAdd {
		s.vpp.createTable(m.Table.IsIP6, m.Table.TableID, m.Table.Name)
	} else {
		s.vpp.deleteTable(m.Table.IsIP6, m.Table.TableID)
	}
	c.send(&ip.IPTableAddDelReply{}, r.context)
	return nil
}

// serveIPTableDump sends every IPv4 table, then every IPv6 table, in pool
// order.
func serveIPTableDump(s *Server, c *conn, r *request) error {
	for _, f := range s.vpp.fibs {
		for _, t := range f.pool {
			if t == nil {
				continue
			}
			c.send(&ip.IPTableDetails{Table: ip.IPTable{TableID: t.id, IsIP6: t.ip6, Name: t.name}}, r.context)
		}
	}
	return nil
}

// serveIPRouteAddDel is vl_api_ip_route_add_del_t_handler: the API source.
func serveIPRouteAddDel(s *Server, c *conn, r *request) error {
	m := &c.hot.routeAddDel
	if err := decode(m, r); err != nil {
		return err
	}
	rv, stats := s.vpp.routeAddDel(m.IsAdd, m.IsMultipath, m.Route.TableID, m.Route.Prefix, SourceAPI, m.Route.Paths)
	m.Route.Paths = nil
	reply := &c.hot.routeAddDelReply
	*reply = ip.IPRouteAddDelReply{Retval: int32(rv), StatsIndex: stats}
	c.send(reply, r.context)
	return nil
}

// serveIPRouteAddDelV2 is the v2 handler: as v1, under the source the
// request names (0 means the API source).
func serveIPRouteAddDelV2(s *Server, c *conn, r *request) error {
	var m ip.IPRouteAddDelV2
	if err := decode(&m, r); err != nil {
		return err
	}
	src := Source(m.Route.Src)
	if src == SourceInvalid {
		src = SourceAPI
	}
	rv, stats := api.INVALID_VALUE, noIndex
	if src.routable() {
		rv, stats = s.vpp.routeAddDel(m.IsAdd, m.IsMultipath, m.Route.TableID, m.Route.Prefix, src, m.Route.Paths)
	}
	c.send(&ip.IPRouteAddDelV2Reply{Retval: int32(rv), StatsIndex: stats}, r.context)
	return nil
}

// routeAddDel is ip_route_add_del_t_handler and fib_api_route_add_del: it
// validates in VPP's order (table, each path, prefix length, path count)
// and applies the change, logging it if it changed the source's paths.
// The stats index is reported for a successful add only.
func (v *vpp) routeAddDel(isAdd, isMultipath bool, tableID uint32, prefix ip_types.Prefix,
	src Source, apiPaths []fib_types.FibPath) (api.VPPApiError, uint32) {
	if prefix.Address.Af > ip_types.ADDRESS_IP6 {
		return api.INVALID_ADDRESS_FAMILY, noIndex
	}
	ip6 := prefix.Address.Af == ip_types.ADDRESS_IP6
	t := v.table(ip6, tableID)
	if t == nil {
		return api.NO_SUCH_FIB, noIndex
	}
	paths, rv := v.decodePaths(apiPaths)
	if rv != 0 {
		return rv, noIndex
	}
	pfx, ok := decodePrefix(prefix)
	if !ok {
		return api.INVALID_PREFIX_LENGTH, noIndex
	}
	if len(paths) == 0 && (isMultipath || isAdd) {
		return errNoPathsInRoute, noIndex
	}

	// fib_table_entry_path_add2, _update, _path_remove2 and _delete.
	key := keyOf(pfx)
	e := t.entries[key]
	before := srcPaths(e, src)
	switch {
	case isAdd:
		if e == nil {
			e = v.newEntry(t, key, pfx)
		}
		if isMultipath {
			v.srcPathAdd(e, src, paths)
		} else {
			v.srcUpdate(e, src, paths)
		}
	case e == nil: // nothing to delete
	case isMultipath:
		if v.srcPathRemove(e, src, paths) {
			v.release(t, e)
		}
	default:
		if v.srcDelete(e, src) {
			v.release(t, e)
		}
	}
	if after := srcPaths(e, src); !equalPaths(before, after) {
		v.log.route(changeKind(isAdd, isMultipath, before, after), src, t, pfx, after)
	}
	if !isAdd {
		return 0, noIndex
	}
	return 0, e.stats
}

// decodePaths decodes a request's paths; the first that fails decides the
// retval.
func (v *vpp) decodePaths(apiPaths []fib_types.FibPath) ([]path, api.VPPApiError) {
	paths := make([]path, 0, len(apiPaths))
	for i := range apiPaths {
		p, rv := v.decodePath(&apiPaths[i])
		if rv != 0 {
			return nil, rv
		}
		paths = append(paths, p)
	}
	return paths, 0
}

// changeKind classifies a change of a source's paths from before to
// after (which differ).
func changeKind(isAdd, isMultipath bool, before, after []path) ChangeKind {
	switch {
	case len(before) == 0:
		return ChangeAdd
	case len(after) == 0:
		return ChangeDelete
	case isMultipath && isAdd:
		return ChangeAppend
	case isMultipath:
		return ChangeRemovePath
	default:
		return ChangeReplace
	}
}

// decodePrefix is ip_prefix_decode plus fib_prefix_validate; host bits
// are kept, as VPP keeps them.
func decodePrefix(p ip_types.Prefix) (netip.Prefix, bool) {
	u := p.Address.Un.XXX_UnionData
	if p.Address.Af == ip_types.ADDRESS_IP6 {
		if p.Len > 128 {
			return netip.Prefix{}, false
		}
		return netip.PrefixFrom(netip.AddrFrom16(u), int(p.Len)), true
	}
	if p.Len > 32 {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(netip.AddrFrom4([4]byte(u[:4])), int(p.Len)), true
}

// encodePrefix is ip_prefix_encode.
func encodePrefix(p netip.Prefix) ip_types.Prefix {
	out := ip_types.Prefix{Len: uint8(p.Bits())}
	if p.Addr().Is4() {
		out.Address.Af = ip_types.ADDRESS_IP4
		a := p.Addr().As4()
		copy(out.Address.Un.XXX_UnionData[:], a[:])
	} else {
		out.Address.Af = ip_types.ADDRESS_IP6
		out.Address.Un.XXX_UnionData = p.Addr().As16()
	}
	return out
}

// routeDetailsLen is about what one route's details take on the wire with
// one path: frame header, message header, route, path.
const routeDetailsLen = 16 + 6 + 28 + 167

// serveIPRouteDump sends one ip_route_details per entry of the table; a
// table that does not exist sends nothing.
func serveIPRouteDump(s *Server, c *conn, r *request) error {
	var m ip.IPRouteDump
	if err := decode(&m, r); err != nil {
		return err
	}
	t := s.vpp.table(m.Table.IsIP6, m.Table.TableID)
	if t == nil || c.muted {
		return nil
	}
	entries := t.sortedEntries()
	c.reserve(len(entries) * routeDetailsLen)
	d := &ip.IPRouteDetails{}
	for _, e := range entries {
		d.Route = ip.IPRoute{
			TableID:    t.id,
			StatsIndex: e.stats,
			Prefix:     encodePrefix(e.prefix),
			Paths:      encodePaths(d.Route.Paths[:0], t.forwarding(e)),
		}
		c.send(d, r.context)
	}
	return nil
}

// serveIPRouteV2Dump is serveIPRouteDump with each entry's best source;
// a non-zero src selects the entries that source contributes to.
func serveIPRouteV2Dump(s *Server, c *conn, r *request) error {
	var m ip.IPRouteV2Dump
	if err := decode(&m, r); err != nil {
		return err
	}
	t := s.vpp.table(m.Table.IsIP6, m.Table.TableID)
	if t == nil || c.muted {
		return nil
	}
	entries := t.sortedEntries()
	c.reserve(len(entries) * routeDetailsLen)
	d := &ip.IPRouteV2Details{}
	for _, e := range entries {
		if m.Src != 0 && e.source(Source(m.Src)) == nil {
			continue
		}
		d.Route = ip.IPRouteV2{
			TableID:    t.id,
			StatsIndex: e.stats,
			Prefix:     encodePrefix(e.prefix),
			Src:        uint8(e.best().src),
			Paths:      encodePaths(d.Route.Paths[:0], t.forwarding(e)),
		}
		c.send(d, r.context)
	}
	return nil
}

// encodePaths appends the API form of ps to dst.
func encodePaths(dst []fib_types.FibPath, ps []path) []fib_types.FibPath {
	for i := range ps {
		dst = append(dst, ps[i].encode())
	}
	return dst
}

// serveFibSourceDump lists the registered FIB sources in id order, as
// fib_source_walk does.
func serveFibSourceDump(s *Server, c *conn, r *request) error {
	for id, info := range sources {
		c.send(&fib.FibSourceDetails{Src: fib.FibSource{
			Priority: info.priority,
			ID:       uint8(id),
			Name:     info.name,
		}}, r.context)
	}
	return nil
}
