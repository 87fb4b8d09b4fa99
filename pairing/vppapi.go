package pairing

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"reflect"
	"time"

	"go.fd.io/govpp/adapter/socketclient"
	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/ethernet_types"
	interfaces "go.fd.io/govpp/binapi/interface"
	"go.fd.io/govpp/binapi/interface_types"
	"go.fd.io/govpp/binapi/ip"
	"go.fd.io/govpp/binapi/ip_neighbor"
	"go.fd.io/govpp/binapi/ip_types"
	"go.fd.io/govpp/binapi/lcp"
	"go.fd.io/govpp/binapi/memclnt"
	"go.fd.io/govpp/core"

	"github.com/lcpfib/lcpfib/vpp"
)

// requiredMessages are the messages the Watcher uses; a VPP without
// linux-cp is refused at connect with the list of what is missing.
var requiredMessages = []api.Message{
	&memclnt.ControlPing{}, &memclnt.ControlPingReply{},
	&interfaces.SwInterfaceDump{}, &interfaces.SwInterfaceDetails{},
	&interfaces.SwInterfaceSetFlags{}, &interfaces.SwInterfaceSetFlagsReply{},
	&interfaces.SwInterfaceSetMtu{}, &interfaces.SwInterfaceSetMtuReply{},
	&interfaces.SwInterfaceAddDelAddress{}, &interfaces.SwInterfaceAddDelAddressReply{},
	&ip.IPAddressDump{}, &ip.IPAddressDetails{},
	&ip_neighbor.IPNeighborAddDel{}, &ip_neighbor.IPNeighborAddDelReply{},
	&ip_neighbor.IPNeighborDump{}, &ip_neighbor.IPNeighborDetails{},
	&lcp.LcpItfPairGet{}, &lcp.LcpItfPairGetReply{}, &lcp.LcpItfPairDetails{},
	&lcp.LcpItfPairAddDelV2{}, &lcp.LcpItfPairAddDelV2Reply{},
	&interfaces.CreateVlanSubif{}, &interfaces.CreateVlanSubifReply{},
	&interfaces.WantInterfaceEvents{}, &interfaces.WantInterfaceEventsReply{}, &interfaces.SwInterfaceEvent{},
}

// vppAPI is the Watcher's GoVPP connection: every call has a deadline and
// is counted by message name.
type vppAPI struct {
	conn    *core.Connection
	timeout time.Duration
	stats   *counters
	events  api.Watcher // sw_interface_event, nil until watchInterfaces
	pipe    api.Stream  // pipelining stream, nil until first used (pipeline.go)
}

func dialVPP(ctx context.Context, socket string, connectTimeout, timeout time.Duration, stats *counters) (*vppAPI, uint32, error) {
	client := socketclient.NewVppClient(socket)
	client.SetClientName("lcpfib-pairing")
	client.SetConnectTimeout(connectTimeout)
	conn, err := core.Connect(client)
	if err != nil {
		return nil, 0, fmt.Errorf("connecting to VPP API socket %s: %w", socket, err)
	}
	v := &vppAPI{conn: conn, timeout: timeout, stats: stats}
	ch, err := conn.NewAPIChannel()
	if err != nil {
		conn.Disconnect()
		return nil, 0, fmt.Errorf("opening API channel: %w", err)
	}
	err = ch.CheckCompatiblity(requiredMessages...)
	ch.Close()
	if err != nil {
		conn.Disconnect()
		var ce *api.CompatibilityError
		if errors.As(err, &ce) {
			return nil, 0, fmt.Errorf("VPP lacks API messages the pairing needs: %v", ce.IncompatibleMessages)
		}
		return nil, 0, fmt.Errorf("checking API compatibility: %w", err)
	}
	pid, err := v.ping(ctx)
	if err != nil {
		conn.Disconnect()
		return nil, 0, err
	}
	return v, pid, nil
}

func (v *vppAPI) close() {
	if v.pipe != nil {
		v.pipe.Close()
	}
	if v.events != nil {
		v.events.Close()
	}
	v.conn.Disconnect()
}

// watchInterfaces subscribes to sw_interface_event (admin and link
// changes, deletions) and returns the channel they arrive on.
func (v *vppAPI) watchInterfaces(ctx context.Context) (<-chan api.Message, error) {
	ew, err := v.conn.WatchEventWithOptions(ctx, &interfaces.SwInterfaceEvent{}, core.WithEventBufferSize(1024), core.WithNotifBufferSize(1024))
	if err != nil {
		return nil, fmt.Errorf("watching sw_interface_event: %w", err)
	}
	v.events = ew
	if err := v.call(ctx, &interfaces.WantInterfaceEvents{EnableDisable: 1, PID: uint32(os.Getpid())}, &interfaces.WantInterfaceEventsReply{}); err != nil {
		return nil, err
	}
	return ew.Events(), nil
}

// call invokes one request with the deadline and turns a non-zero retval
// into an api.VPPApiError.
func (v *vppAPI) call(ctx context.Context, req, reply api.Message) error {
	name := req.GetMessageName()
	v.stats.vppCall(name)
	cctx, cancel := context.WithTimeout(ctx, v.timeout)
	defer cancel()
	err := v.conn.Invoke(cctx, req, reply)
	if err == nil {
		err = api.RetvalToVPPApiError(retval(reply))
	}
	if err != nil {
		v.stats.vppError(name)
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// retval reads the Retval field every *_reply has.
func retval(m api.Message) int32 {
	f := reflect.ValueOf(m).Elem().FieldByName("Retval")
	if !f.IsValid() {
		return 0
	}
	return int32(f.Int())
}

func (v *vppAPI) dump(ctx context.Context, req api.Message, each func(api.Message) error) error {
	name := req.GetMessageName()
	v.stats.vppCall(name)
	if err := vpp.Dump(ctx, v.conn, req, v.timeout, each); err != nil {
		v.stats.vppError(name)
		return err
	}
	return nil
}

func (v *vppAPI) ping(ctx context.Context) (uint32, error) {
	var r memclnt.ControlPingReply
	if err := v.call(ctx, &memclnt.ControlPing{}, &r); err != nil {
		return 0, err
	}
	return r.VpePID, nil
}

// vppInterface is what sw_interface_dump says of one interface.
type vppInterface struct {
	SwIfIndex uint32
	Name      string
	Sup       uint32 // parent of a sub-interface; itself otherwise
	VLAN      uint16 // outer VLAN id of a sub-interface
	Up        bool
	MTU       uint32 // L3 MTU
	P2P       bool
}

func (v *vppAPI) interfaces(ctx context.Context) (map[uint32]vppInterface, error) {
	out := map[uint32]vppInterface{}
	err := v.dump(ctx, &interfaces.SwInterfaceDump{SwIfIndex: ^interface_types.InterfaceIndex(0)}, func(m api.Message) error {
		d, ok := m.(*interfaces.SwInterfaceDetails)
		if !ok {
			return nil
		}
		i := vppInterface{
			SwIfIndex: uint32(d.SwIfIndex),
			Name:      d.InterfaceName,
			Sup:       d.SupSwIfIndex,
			VLAN:      d.SubOuterVlanID,
			Up:        d.Flags&interface_types.IF_STATUS_API_FLAG_ADMIN_UP != 0,
			P2P:       d.Type == interface_types.IF_API_TYPE_P2P,
		}
		if len(d.Mtu) > 0 {
			i.MTU = d.Mtu[0]
		}
		out[i.SwIfIndex] = i
		return nil
	})
	return out, err
}

// lcpPair is one linux-cp pair as VPP reports it.
type lcpPair struct {
	Phy      uint32 // the VPP interface
	Host     uint32 // VPP's side of the TAP/TUN
	HostName string
	Netns    string
}

func (v *vppAPI) pairs(ctx context.Context) ([]lcpPair, error) {
	var out []lcpPair
	cursor := uint32(0)
	for range 1 << 16 {
		s, err := v.conn.NewStream(ctx, core.WithReplyTimeout(v.timeout), core.WithReplySize(1<<12))
		if err != nil {
			return nil, fmt.Errorf("lcp_itf_pair_get: opening stream: %w", err)
		}
		v.stats.vppCall("lcp_itf_pair_get")
		var rep *lcp.LcpItfPairGetReply
		err = s.SendMsg(&lcp.LcpItfPairGet{Cursor: cursor})
		for err == nil && rep == nil {
			var m api.Message
			m, err = s.RecvMsg()
			switch m := m.(type) {
			case *lcp.LcpItfPairDetails:
				out = append(out, lcpPair{Phy: uint32(m.PhySwIfIndex), Host: uint32(m.HostSwIfIndex), HostName: m.HostIfName, Netns: m.Netns})
			case *lcp.LcpItfPairGetReply:
				rep = m
			}
		}
		s.Close()
		if err == nil {
			if rerr := api.RetvalToVPPApiError(rep.Retval); rerr != nil && !errors.Is(rerr, api.EAGAIN) {
				err = rerr
			}
		}
		if err != nil {
			v.stats.vppError("lcp_itf_pair_get")
			return nil, fmt.Errorf("lcp_itf_pair_get: %w", err)
		}
		if rep.Retval == 0 || rep.Cursor == ^uint32(0) || rep.Cursor == cursor {
			return out, nil
		}
		cursor = rep.Cursor
	}
	return nil, fmt.Errorf("lcp_itf_pair_get: cursor does not end")
}

func (v *vppAPI) addPair(ctx context.Context, sw uint32, host string, tun bool, netns string) error {
	t := lcp.LCP_API_ITF_HOST_TAP
	if tun {
		t = lcp.LCP_API_ITF_HOST_TUN
	}
	return v.call(ctx, &lcp.LcpItfPairAddDelV2{IsAdd: true, SwIfIndex: interface_types.InterfaceIndex(sw), HostIfName: host, HostIfType: t, Netns: netns}, &lcp.LcpItfPairAddDelV2Reply{})
}

func (v *vppAPI) createVLAN(ctx context.Context, parent uint32, vlan uint16) (uint32, error) {
	var r interfaces.CreateVlanSubifReply
	if err := v.call(ctx, &interfaces.CreateVlanSubif{SwIfIndex: interface_types.InterfaceIndex(parent), VlanID: uint32(vlan)}, &r); err != nil {
		return 0, err
	}
	return uint32(r.SwIfIndex), nil
}

// addrs dumps the addresses of one interface, both families.
func (v *vppAPI) addrs(ctx context.Context, sw uint32) (map[netip.Prefix]bool, error) {
	out := map[netip.Prefix]bool{}
	for _, v6 := range []bool{false, true} {
		err := v.dump(ctx, &ip.IPAddressDump{SwIfIndex: interface_types.InterfaceIndex(sw), IsIPv6: v6}, func(m api.Message) error {
			if d, ok := m.(*ip.IPAddressDetails); ok {
				if p, ok := fromAddressWithPrefix(d.Prefix); ok {
					out[p] = true
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// neighs dumps every IP neighbour VPP holds, by sw_if_index.
func (v *vppAPI) neighs(ctx context.Context) (map[uint32]map[netip.Addr]neigh, error) {
	out := map[uint32]map[netip.Addr]neigh{}
	for _, af := range []ip_types.AddressFamily{ip_types.ADDRESS_IP4, ip_types.ADDRESS_IP6} {
		err := v.dump(ctx, &ip_neighbor.IPNeighborDump{SwIfIndex: ^interface_types.InterfaceIndex(0), Af: af}, func(m api.Message) error {
			d, ok := m.(*ip_neighbor.IPNeighborDetails)
			if !ok {
				return nil
			}
			sw := uint32(d.Neighbor.SwIfIndex)
			if out[sw] == nil {
				out[sw] = map[netip.Addr]neigh{}
			}
			out[sw][fromAddress(d.Neighbor.IPAddress)] = neigh{
				MAC:    d.Neighbor.MacAddress,
				Static: d.Neighbor.Flags&ip_neighbor.IP_API_NEIGHBOR_FLAG_STATIC != 0,
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// do sends one op for interface sw. Answers that say VPP already is in
// the wanted state (address in use on add, not found on delete, no such
// neighbour on delete) count as success.
func (v *vppAPI) do(ctx context.Context, sw uint32, o op) error {
	idx := interface_types.InterfaceIndex(sw)
	var err error
	switch o.Kind {
	case opFlags:
		var f interface_types.IfStatusFlags
		if o.Up {
			f = interface_types.IF_STATUS_API_FLAG_ADMIN_UP
		}
		err = v.call(ctx, &interfaces.SwInterfaceSetFlags{SwIfIndex: idx, Flags: f}, &interfaces.SwInterfaceSetFlagsReply{})
	case opMTU:
		// L3, IPv4, IPv6, MPLS: all follow the Linux MTU.
		err = v.call(ctx, &interfaces.SwInterfaceSetMtu{SwIfIndex: idx, Mtu: []uint32{o.MTU, o.MTU, o.MTU, o.MTU}}, &interfaces.SwInterfaceSetMtuReply{})
	case opAddrAdd, opAddrDel:
		err = v.call(ctx, &interfaces.SwInterfaceAddDelAddress{SwIfIndex: idx, IsAdd: o.Kind == opAddrAdd, Prefix: toAddressWithPrefix(o.Prefix)}, &interfaces.SwInterfaceAddDelAddressReply{})
		if o.Kind == opAddrAdd && errors.Is(err, api.ADDRESS_IN_USE) || o.Kind == opAddrDel && errors.Is(err, api.ADDRESS_NOT_FOUND_FOR_INTERFACE) {
			err = nil
		}
	case opNeighAdd, opNeighDel:
		err = neighResult(o, v.call(ctx, neighReq(sw, o), &ip_neighbor.IPNeighborAddDelReply{}))
	}
	return err
}

// neighReq is the ip_neighbor_add_del for a neighbour op.
func neighReq(sw uint32, o op) *ip_neighbor.IPNeighborAddDel {
	n := ip_neighbor.IPNeighbor{SwIfIndex: interface_types.InterfaceIndex(sw), MacAddress: ethernet_types.MacAddress(o.Neigh.MAC), IPAddress: toAddress(o.IP)}
	if o.Neigh.Static {
		n.Flags = ip_neighbor.IP_API_NEIGHBOR_FLAG_STATIC
	}
	return &ip_neighbor.IPNeighborAddDel{IsAdd: o.Kind == opNeighAdd, Neighbor: n}
}

// neighResult: deleting a neighbour VPP does not have is success.
func neighResult(o op, err error) error {
	if o.Kind == opNeighDel && errors.Is(err, api.NO_SUCH_ENTRY) {
		return nil
	}
	return err
}

func toAddress(a netip.Addr) ip_types.Address {
	a = a.Unmap()
	if a.Is4() {
		return ip_types.Address{Af: ip_types.ADDRESS_IP4, Un: ip_types.AddressUnionIP4(a.As4())}
	}
	return ip_types.Address{Af: ip_types.ADDRESS_IP6, Un: ip_types.AddressUnionIP6(a.As16())}
}

func fromAddress(a ip_types.Address) netip.Addr {
	if a.Af == ip_types.ADDRESS_IP4 {
		return netip.AddrFrom4(a.Un.GetIP4())
	}
	return netip.AddrFrom16(a.Un.GetIP6())
}

func toAddressWithPrefix(p netip.Prefix) ip_types.AddressWithPrefix {
	return ip_types.AddressWithPrefix{Address: toAddress(p.Addr()), Len: uint8(p.Bits())}
}

func fromAddressWithPrefix(p ip_types.AddressWithPrefix) (netip.Prefix, bool) {
	pf := netip.PrefixFrom(fromAddress(p.Address), int(p.Len))
	return pf, pf.IsValid()
}

// prefixFromIPNet converts a netlink address.
func prefixFromIPNet(n *net.IPNet) (netip.Prefix, bool) {
	if n == nil {
		return netip.Prefix{}, false
	}
	a, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ones, _ := n.Mask.Size()
	p := netip.PrefixFrom(a.Unmap(), ones)
	return p, p.IsValid()
}
