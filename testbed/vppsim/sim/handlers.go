package sim

import (
	"encoding/binary"
	"fmt"

	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/fib"
	"go.fd.io/govpp/binapi/fib_types"
	interfaces "go.fd.io/govpp/binapi/interface"
	"go.fd.io/govpp/binapi/ip"
	"go.fd.io/govpp/binapi/ip_neighbor"
	"go.fd.io/govpp/binapi/lcp"
	"go.fd.io/govpp/binapi/memclnt"
	"go.fd.io/govpp/binapi/mpls"
	"go.fd.io/govpp/binapi/vpe"
)

// handlers lists every message vppsim implements, with the replies each
// one sends. The message table advertises exactly these; message ids are
// given in this order after memclnt's fixed ones.
func handlers() []*handler {
	pathLen := pathWireLen()
	return []*handler{
		// memclnt: the socket handshake and the ping.
		{req: (*memclnt.SockclntCreate)(nil), replies: msgs((*memclnt.SockclntCreateReply)(nil)), serve: serveSockclntCreate},
		{req: (*memclnt.SockclntDelete)(nil), replies: msgs((*memclnt.SockclntDeleteReply)(nil)), serve: serveSockclntDelete},
		{req: (*memclnt.ControlPing)(nil), replies: msgs((*memclnt.ControlPingReply)(nil)), serve: serveControlPing},
		// vpe
		{req: (*vpe.ShowVersion)(nil), replies: msgs((*vpe.ShowVersionReply)(nil)), serve: serveShowVersion},
		// interface
		{
			req:     (*interfaces.SwInterfaceDump)(nil),
			replies: msgs((*interfaces.SwInterfaceDetails)(nil)),
			size:    func(b []byte) uint64 { return 9 + uint64(binary.BigEndian.Uint32(b[5:9])) },
			serve:   serveSwInterfaceDump,
		},
		{req: (*interfaces.SwInterfaceSetFlags)(nil), replies: msgs((*interfaces.SwInterfaceSetFlagsReply)(nil)), serve: serveSwInterfaceSetFlags},
		{req: (*interfaces.SwInterfaceSetMtu)(nil), replies: msgs((*interfaces.SwInterfaceSetMtuReply)(nil)), serve: serveSwInterfaceSetMtu},
		{req: (*interfaces.HwInterfaceSetMtu)(nil), replies: msgs((*interfaces.HwInterfaceSetMtuReply)(nil)), serve: serveHwInterfaceSetMtu},
		{req: (*interfaces.SwInterfaceAddDelAddress)(nil), replies: msgs((*interfaces.SwInterfaceAddDelAddressReply)(nil)), serve: serveSwInterfaceAddDelAddress},
		{req: (*interfaces.WantInterfaceEvents)(nil), replies: msgs((*interfaces.WantInterfaceEventsReply)(nil), (*interfaces.SwInterfaceEvent)(nil)), serve: serveWantInterfaceEvents},
		{req: (*interfaces.CreateVlanSubif)(nil), replies: msgs((*interfaces.CreateVlanSubifReply)(nil)), serve: serveCreateVlanSubif},
		{req: (*interfaces.CreateSubif)(nil), replies: msgs((*interfaces.CreateSubifReply)(nil)), serve: serveCreateSubif},
		{req: (*interfaces.DeleteSubif)(nil), replies: msgs((*interfaces.DeleteSubifReply)(nil)), serve: serveDeleteSubif},
		// ip_neighbor
		{req: (*ip_neighbor.IPNeighborAddDel)(nil), replies: msgs((*ip_neighbor.IPNeighborAddDelReply)(nil)), serve: serveIPNeighborAddDel},
		{req: (*ip_neighbor.IPNeighborDump)(nil), replies: msgs((*ip_neighbor.IPNeighborDetails)(nil)), serve: serveIPNeighborDump},
		// linux-cp
		{req: (*lcp.LcpItfPairAddDel)(nil), replies: msgs((*lcp.LcpItfPairAddDelReply)(nil)), serve: serveLcpItfPairAddDel},
		{req: (*lcp.LcpItfPairAddDelV2)(nil), replies: msgs((*lcp.LcpItfPairAddDelV2Reply)(nil)), serve: serveLcpItfPairAddDelV2},
		{req: (*lcp.LcpItfPairAddDelV3)(nil), replies: msgs((*lcp.LcpItfPairAddDelV3Reply)(nil)), serve: serveLcpItfPairAddDelV3},
		{req: (*lcp.LcpItfPairGet)(nil), replies: msgs((*lcp.LcpItfPairDetails)(nil), (*lcp.LcpItfPairGetReply)(nil)), serve: serveLcpItfPairGet},
		{req: (*lcp.LcpItfPairGetV2)(nil), replies: msgs((*lcp.LcpItfPairDetails)(nil), (*lcp.LcpItfPairGetV2Reply)(nil), (*lcp.LcpItfPairGetReply)(nil)), serve: serveLcpItfPairGetV2},
		{req: (*lcp.LcpDefaultNsSet)(nil), replies: msgs((*lcp.LcpDefaultNsSetReply)(nil)), serve: serveLcpDefaultNsSet},
		{req: (*lcp.LcpDefaultNsGet)(nil), replies: msgs((*lcp.LcpDefaultNsGetReply)(nil)), serve: serveLcpDefaultNsGet},
		// ip
		{req: (*ip.IPTableAddDel)(nil), replies: msgs((*ip.IPTableAddDelReply)(nil)), serve: serveIPTableAddDel},
		{req: (*ip.IPTableDump)(nil), replies: msgs((*ip.IPTableDetails)(nil)), serve: serveIPTableDump},
		{
			req:     (*ip.IPRouteAddDel)(nil),
			replies: msgs((*ip.IPRouteAddDelReply)(nil)),
			size:    func(b []byte) uint64 { return 29 + uint64(b[28])*pathLen },
			serve:   serveIPRouteAddDel,
		},
		{
			req:     (*ip.IPRouteAddDelV2)(nil),
			replies: msgs((*ip.IPRouteAddDelV2Reply)(nil)),
			size:    func(b []byte) uint64 { return 30 + uint64(b[28])*pathLen },
			serve:   serveIPRouteAddDelV2,
		},
		{req: (*ip.IPRouteDump)(nil), replies: msgs((*ip.IPRouteDetails)(nil)), serve: serveIPRouteDump},
		{req: (*ip.IPRouteV2Dump)(nil), replies: msgs((*ip.IPRouteV2Details)(nil)), serve: serveIPRouteV2Dump},
		{req: (*ip.IPAddressDump)(nil), replies: msgs((*ip.IPAddressDetails)(nil)), serve: serveIPAddressDump},
		// fib
		{req: (*fib.FibSourceDump)(nil), replies: msgs((*fib.FibSourceDetails)(nil)), serve: serveFibSourceDump},
		// mpls
		{req: (*mpls.MplsTableAddDel)(nil), replies: msgs((*mpls.MplsTableAddDelReply)(nil)), serve: serveMPLSTableAddDel},
		{req: (*mpls.MplsTableDump)(nil), replies: msgs((*mpls.MplsTableDetails)(nil)), serve: serveMPLSTableDump},
		{
			req:     (*mpls.MplsRouteAddDel)(nil),
			replies: msgs((*mpls.MplsRouteAddDelReply)(nil)),
			size:    func(b []byte) uint64 { return 14 + uint64(b[13])*pathLen },
			serve:   serveMPLSRouteAddDel,
		},
		{req: (*mpls.MplsRouteDump)(nil), replies: msgs((*mpls.MplsRouteDetails)(nil)), serve: serveMPLSRouteDump},
		{req: (*mpls.SwInterfaceSetMplsEnable)(nil), replies: msgs((*mpls.SwInterfaceSetMplsEnableReply)(nil)), serve: serveSwInterfaceSetMPLSEnable},
		{req: (*mpls.MplsInterfaceDump)(nil), replies: msgs((*mpls.MplsInterfaceDetails)(nil)), serve: serveMPLSInterfaceDump},
	}
}

func msgs(m ...api.Message) []api.Message { return m }

// pathWireLen is the size of one fib_path on the wire, from the bindings.
func pathWireLen() uint64 {
	one := &ip.IPRouteAddDel{Route: ip.IPRoute{Paths: make([]fib_types.FibPath, 1)}}
	return uint64(one.Size() - (&ip.IPRouteAddDel{}).Size())
}

// unmarshaler is what generated messages implement.
type unmarshaler interface {
	api.Message
	Unmarshal([]byte) error
}

// decode fills m from a request body whose size parse has checked.
func decode(m unmarshaler, r *request) error {
	if err := m.Unmarshal(r.body); err != nil {
		return fmt.Errorf("%w: decoding %s: %v", errMalformed, m.GetMessageName(), err)
	}
	return nil
}
