package sim

import (
	"errors"
	"testing"

	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/fib_types"
	interfaces "go.fd.io/govpp/binapi/interface"
	"go.fd.io/govpp/binapi/interface_types"
	"go.fd.io/govpp/binapi/ip"
	"go.fd.io/govpp/binapi/ip_neighbor"
	"go.fd.io/govpp/binapi/ip_types"
	"go.fd.io/govpp/binapi/lcp"
	"go.fd.io/govpp/binapi/memclnt"
	"go.fd.io/govpp/binapi/mpls"
	"go.fd.io/govpp/codec"
)

// FuzzDispatch feeds arbitrary messages to the dispatcher, socket aside:
// whatever a client sends, the server must not panic, and a message it
// cannot handle must be reported as malformed (so the client is closed)
// or ignored.
func FuzzDispatch(f *testing.F) {
	table, err := newMsgTable(handlers())
	if err != nil {
		f.Fatal(err)
	}
	path := fib_types.FibPath{SwIfIndex: ^uint32(0), Weight: 1}
	path.Nh.Address.XXX_UnionData[0] = 192
	labelled := fib_types.FibPath{SwIfIndex: 1, Weight: 1, NLabels: 2}
	labelled.LabelStack[0].Label, labelled.LabelStack[1].Label = 200, 300
	viaLabel := fib_types.FibPath{SwIfIndex: ^uint32(0), Proto: fib_types.FIB_API_PATH_NH_PROTO_MPLS}
	viaLabel.Nh.ViaLabel = 100
	seeds := []api.Message{
		&memclnt.SockclntCreate{Name: "fuzz"},
		&memclnt.ControlPing{},
		&memclnt.SockclntDelete{Index: regHandleBit | 1},
		&interfaces.SwInterfaceDump{NameFilterValid: true, NameFilter: "eth"},
		&ip.IPTableAddDel{IsAdd: true, Table: ip.IPTable{TableID: 5}},
		&ip.IPRouteAddDel{IsAdd: true, IsMultipath: true, Route: ip.IPRoute{
			Prefix: ip_types.Prefix{Len: 24}, NPaths: 2, Paths: []fib_types.FibPath{path, {SwIfIndex: 1}},
		}},
		&ip.IPRouteAddDelV2{IsAdd: true, Route: ip.IPRouteV2{Src: 9, NPaths: 1, Paths: []fib_types.FibPath{path}}},
		&ip.IPRouteV2Dump{},
		&mpls.MplsTableAddDel{MtIsAdd: true, MtTable: mpls.MplsTable{MtTableID: 0}},
		&mpls.MplsRouteAddDel{MrIsAdd: true, MrRoute: mpls.MplsRoute{
			MrLabel: 100, MrEos: 1, MrNPaths: 2, MrPaths: []fib_types.FibPath{labelled, viaLabel},
		}},
		&mpls.MplsRouteDump{},
		&mpls.SwInterfaceSetMplsEnable{SwIfIndex: 1, Enable: true},
		&interfaces.SwInterfaceSetFlags{SwIfIndex: 1, Flags: interface_types.IF_STATUS_API_FLAG_ADMIN_UP},
		&interfaces.SwInterfaceSetMtu{SwIfIndex: 1, Mtu: []uint32{1500, 0, 0, 0}},
		&interfaces.HwInterfaceSetMtu{SwIfIndex: 1, Mtu: 1500},
		&interfaces.SwInterfaceAddDelAddress{SwIfIndex: 1, IsAdd: true, Prefix: ip_types.AddressWithPrefix{Len: 24}},
		&interfaces.WantInterfaceEvents{EnableDisable: 1, PID: 1},
		&interfaces.CreateVlanSubif{SwIfIndex: 1, VlanID: 10},
		&interfaces.CreateSubif{SwIfIndex: 1, SubID: 3, OuterVlanID: 3, SubIfFlags: interface_types.SUB_IF_API_FLAG_ONE_TAG},
		&interfaces.DeleteSubif{SwIfIndex: 2},
		&ip.IPAddressDump{SwIfIndex: 1},
		&ip_neighbor.IPNeighborAddDel{IsAdd: true, Neighbor: ip_neighbor.IPNeighbor{SwIfIndex: 1}},
		&ip_neighbor.IPNeighborDump{SwIfIndex: ^interface_types.InterfaceIndex(0)},
		&lcp.LcpItfPairAddDelV2{IsAdd: true, SwIfIndex: 1, HostIfName: "e0"},
		&lcp.LcpItfPairAddDelV3{IsAdd: true, SwIfIndex: 1, HostIfName: "e0", Netns: "ns"},
		&lcp.LcpItfPairGetV2{SwIfIndex: ^interface_types.InterfaceIndex(0)},
		&lcp.LcpDefaultNsSet{Netns: "ns"},
	}
	for _, m := range seeds {
		id, ok := table.id(m)
		if !ok {
			f.Fatalf("%s not in the table", m.GetMessageName())
		}
		b, err := codec.EncodeMsg(m, id)
		if err != nil {
			f.Fatal(err)
		}
		if m.GetMessageType() == api.RequestMessage {
			b[5] = 1 // client_index 0x80000001
			b[2] = 0x80
		}
		f.Add(b)
	}

	f.Fuzz(func(t *testing.T, msg []byte) {
		cfg := defaultConfig()
		cfg.pid, cfg.logCap = 1, 16
		s := newServer(cfg, table)
		s.host = fakeHost{} // no TAPs on the machine running the fuzzer
		if _, err := s.AddInterface(Interface{Name: "eth0"}); err != nil {
			t.Fatal(err)
		}
		s.vpp.mplsTableAdd(0, "") // so MPLS routes get past the table check
		c := &conn{s: s, gen: s.vpp}
		c.setRegistration(s.vpp.register(c))
		// Twice: the second run sees the state the first one left.
		for range 2 {
			if err := s.dispatch(c, msg); err != nil && !errors.Is(err, errMalformed) {
				t.Fatalf("dispatch: %v", err)
			}
		}
	})
}

// fakeHost pretends to make host interfaces.
type fakeHost struct{}

func (fakeHost) openTap(hostTapConfig) (*hostTap, uint32, error) { return &hostTap{}, 7, nil }

func (fakeHost) addVLAN(string, uint32, uint16, string, bool) (uint32, error) { return 8, nil }

func (fakeHost) delLink(string, string) error { return nil }
