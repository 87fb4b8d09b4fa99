package main

import (
	"context"
	"fmt"
	"time"

	"github.com/sirupsen/logrus"
	"go.fd.io/govpp/adapter/socketclient"
	"go.fd.io/govpp/api"
	interfaces "go.fd.io/govpp/binapi/interface"
	"go.fd.io/govpp/binapi/interface_types"
	"go.fd.io/govpp/binapi/ip"
	"go.fd.io/govpp/binapi/memclnt"
	"go.fd.io/govpp/binapi/vpe"
	"go.fd.io/govpp/core"

	"github.com/lcpfib/lcpfib/testbed/vppsim/sim"
	"github.com/lcpfib/lcpfib/vpp"
)

// target is the VPP the benchmark programs: vppsim in this process, or a
// real VPP behind an API socket. The benchmark keeps a GoVPP connection
// of its own to it, for the ceiling and for dumps.
type target struct {
	sim     *sim.Server // nil for a real VPP
	socket  string
	names   [2]string // VPP interfaces paired with eth0 and eth1
	sw      [2]uint32 // their sw_if_index
	ifindex [2]uint32 // Linux ifindex of eth0 and eth1 in the namespace
	conn    *core.Connection
	apiSrc  uint8 // the FIB source id of "API"
	version string
	timeout time.Duration
}

// setupGoVPP keeps GoVPP's logrus output to warnings, as lcpfib does,
// and makes GoVPP wait for the benchmark's own dumps instead of dropping
// their replies: GoVPP v0.13.0 drops a reply when a stream's reply
// channel stays full for core.ReplyChannelTimeout (100 ms), which a dump
// of a million routes hits whenever its reader is descheduled or waits
// for the garbage collector that long. It must run before connecting.
func setupGoVPP() {
	l := logrus.New()
	l.SetLevel(logrus.WarnLevel)
	core.SetLogger(l)
	socketclient.SetLogger(l)
	core.ReplyChannelTimeout = time.Minute
}

// dumpReplies is the reply buffer of the benchmark's dump streams.
const dumpReplies = 1 << 16

// dumpRoutes dumps table 0 of one family, calling each for every entry.
func (t *target) dumpRoutes(ctx context.Context, ip6 bool, each func(*ip.IPRouteV2Details)) error {
	s, err := t.conn.NewStream(ctx, core.WithReplySize(dumpReplies), core.WithReplyTimeout(t.timeout))
	if err != nil {
		return fmt.Errorf("ip_route_v2_dump: %w", err)
	}
	defer s.Close()
	if err := s.SendMsg(&ip.IPRouteV2Dump{Table: ip.IPTable{TableID: 0, IsIP6: ip6}}); err != nil {
		return fmt.Errorf("ip_route_v2_dump: %w", err)
	}
	if err := s.SendMsg(&memclnt.ControlPing{}); err != nil {
		return fmt.Errorf("ip_route_v2_dump: %w", err)
	}
	for {
		m, err := s.RecvMsg()
		if err != nil {
			return fmt.Errorf("ip_route_v2_dump: %w", err)
		}
		switch m := m.(type) {
		case *memclnt.ControlPingReply:
			return nil
		case *ip.IPRouteV2Details:
			each(m)
		default:
			return fmt.Errorf("ip_route_v2_dump: unexpected %s", m.GetMessageName())
		}
	}
}

// connect opens the benchmark's GoVPP connection and resolves the
// interfaces and the API source.
func (t *target) connect(ctx context.Context) error {
	client := socketclient.NewVppClient(t.socket)
	client.SetClientName("lcpfib-bench")
	client.SetConnectTimeout(t.timeout)
	conn, err := core.Connect(client)
	if err != nil {
		return fmt.Errorf("connecting to the VPP API socket %s: %w", t.socket, err)
	}
	t.conn = conn
	byName := map[string]uint32{}
	err = vpp.Dump(ctx, conn, &interfaces.SwInterfaceDump{SwIfIndex: ^interface_types.InterfaceIndex(0)}, t.timeout, func(m api.Message) error {
		if d, ok := m.(*interfaces.SwInterfaceDetails); ok {
			byName[d.InterfaceName] = uint32(d.SwIfIndex)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("listing VPP's interfaces: %w", err)
	}
	for i, n := range t.names {
		sw, ok := byName[n]
		if !ok {
			return fmt.Errorf("VPP has no interface %q (it has %v); name two with -vpp-interfaces", n, keys(byName))
		}
		t.sw[i] = sw
	}
	var sv vpe.ShowVersionReply
	cctx, cancel := context.WithTimeout(ctx, t.timeout)
	err = conn.Invoke(cctx, &vpe.ShowVersion{}, &sv)
	cancel()
	if err != nil {
		return fmt.Errorf("show_version: %w", err)
	}
	t.version = sv.Version
	srcs, err := vpp.Sources(ctx, conn, t.timeout)
	if err != nil {
		return fmt.Errorf("listing VPP's FIB sources: %w", err)
	}
	src, ok := srcs["API"]
	if !ok {
		return fmt.Errorf("VPP has no FIB source named API: %v", srcs)
	}
	t.apiSrc = src
	return nil
}

func (t *target) close() {
	if t.conn != nil {
		t.conn.Disconnect()
	}
}

func keys(m map[string]uint32) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// routeCount returns how many API-source entries VPP's table 0 holds,
// both families. vppsim counts them under its lock; a real VPP is dumped
// (about a second per million routes, on VPP's main thread).
func (t *target) routeCount(ctx context.Context) (int, error) {
	if t.sim != nil {
		n4, _ := t.sim.RouteCount(false, 0, sim.SourceAPI)
		n6, _ := t.sim.RouteCount(true, 0, sim.SourceAPI)
		return n4 + n6, nil
	}
	n := 0
	for _, ip6 := range []bool{false, true} {
		err := t.dumpRoutes(ctx, ip6, func(d *ip.IPRouteV2Details) {
			if d.Route.Src == t.apiSrc {
				n++
			}
		})
		if err != nil {
			return 0, fmt.Errorf("counting VPP's routes: %w", err)
		}
	}
	return n, nil
}

// mark forgets vppsim's change log and request counts (to keep its
// memory bounded) and returns the sequence number changes from now on
// follow. With a real VPP it returns 0.
func (t *target) mark() uint64 {
	if t.sim == nil {
		return 0
	}
	t.sim.ResetLog()
	return t.sim.LastSeq()
}

// changesSince returns how many changes vppsim applied after seq.
func (t *target) changesSince(seq uint64) int {
	return int(t.sim.LastSeq() - seq)
}

// lastChange returns vppsim's latest change.
func (t *target) lastChange() (sim.Change, bool) {
	last := t.sim.LastSeq()
	if last == 0 {
		return sim.Change{}, false
	}
	cs := t.sim.ChangesSince(last - 1)
	if len(cs) == 0 {
		return sim.Change{}, false
	}
	return cs[len(cs)-1], true
}

// tableAddDel creates or deletes a table of both families.
func (t *target) tableAddDel(ctx context.Context, id uint32, add bool) error {
	for _, ip6 := range []bool{false, true} {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Minute) // deleting a table of a million routes takes a while on VPP
		var reply ip.IPTableAddDelReply
		err := t.conn.Invoke(cctx, &ip.IPTableAddDel{IsAdd: add, Table: ip.IPTable{TableID: id, IsIP6: ip6}}, &reply)
		cancel()
		if err == nil {
			err = api.RetvalToVPPApiError(reply.Retval)
		}
		if err != nil {
			return fmt.Errorf("ip_table_add_del table %d ip6 %v add %v: %w", id, ip6, add, err)
		}
	}
	return nil
}
