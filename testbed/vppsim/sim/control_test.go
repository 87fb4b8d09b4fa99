package sim_test

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/ethernet_types"
	interfaces "go.fd.io/govpp/binapi/interface"
	"go.fd.io/govpp/binapi/interface_types"
	"go.fd.io/govpp/binapi/ip"
	"go.fd.io/govpp/binapi/memclnt"
	"go.fd.io/govpp/binapi/mpls"
	"go.fd.io/govpp/binapi/vpe"
	"go.fd.io/govpp/codec"

	"github.com/lcpfib/lcpfib/testbed/vppsim/sim"
)

func TestShowVersion(t *testing.T) {
	_, conn := startAndConnect(t)
	got, err := vpe.NewServiceClient(conn).ShowVersion(ctxFor(t), &vpe.ShowVersion{})
	if err != nil {
		t.Fatalf("ShowVersion: %v", err)
	}
	if got.Program != "vpe" || !strings.HasPrefix(got.Version, "25.10") {
		t.Errorf("ShowVersion = program %q version %q, want vpe 25.10*", got.Program, got.Version)
	}
}

func TestControlPing(t *testing.T) {
	srv, conn := startAndConnect(t)
	c := memclnt.NewServiceClient(conn)
	for range 3 { // the health check pings every second; pings never wear out
		got, err := c.ControlPing(ctxFor(t), &memclnt.ControlPing{})
		if err != nil {
			t.Fatalf("ControlPing: %v", err)
		}
		if got.VpePID != srv.PID() {
			t.Errorf("vpe_pid = %d, want %d", got.VpePID, srv.PID())
		}
	}
}

// TestUnimplementedMessages checks that a client sees messages vppsim
// does not implement as missing, as it would with a VPP lacking a plugin.
func TestUnimplementedMessages(t *testing.T) {
	_, conn := startAndConnect(t)
	for _, m := range []api.Message{&ip.IPRouteLookup{}, &interfaces.SwInterfaceSetTable{}, &mpls.MplsTunnelAddDel{}} {
		if _, err := conn.GetMessageID(m); err == nil {
			t.Errorf("%s is advertised, want it missing", m.GetMessageName())
		}
	}
	for _, m := range []api.Message{&ip.IPRouteAddDel{}, &ip.IPRouteV2Dump{}, &memclnt.ControlPingReply{}, &mpls.MplsRouteAddDel{}, &interfaces.SwInterfaceSetFlags{}, &interfaces.SwInterfaceEvent{}} {
		if _, err := conn.GetMessageID(m); err != nil {
			t.Errorf("%s: %v", m.GetMessageName(), err)
		}
	}
}

func TestSwInterfaceDump(t *testing.T) {
	_, conn := startAndConnect(t, "eth0", "TAP1")
	local0 := &interfaces.SwInterfaceDetails{
		InterfaceName: "local0", InterfaceDevType: "local", Mtu: []uint32{0, 0, 0, 0},
	}
	eth0 := &interfaces.SwInterfaceDetails{
		SwIfIndex: 1, SupSwIfIndex: 1, InterfaceName: "eth0", InterfaceDevType: "dpdk",
		L2Address: ethernet_types.MacAddress{0x02, 0xfe, 0, 0, 0, 1},
		LinkMtu:   9000, Mtu: []uint32{9000, 0, 0, 0},
	}
	tap1 := &interfaces.SwInterfaceDetails{
		SwIfIndex: 2, SupSwIfIndex: 2, InterfaceName: "TAP1", InterfaceDevType: "dpdk",
		L2Address: ethernet_types.MacAddress{0x02, 0xfe, 0, 0, 0, 2},
		LinkMtu:   9000, Mtu: []uint32{9000, 0, 0, 0},
	}
	tests := []struct {
		name string
		req  *interfaces.SwInterfaceDump
		want []*interfaces.SwInterfaceDetails
	}{
		{"all with ~0", &interfaces.SwInterfaceDump{SwIfIndex: ^interface_types.InterfaceIndex(0)}, []*interfaces.SwInterfaceDetails{local0, eth0, tap1}},
		{"sw_if_index 0 means all", &interfaces.SwInterfaceDump{}, []*interfaces.SwInterfaceDetails{local0, eth0, tap1}},
		{"one by index", &interfaces.SwInterfaceDump{SwIfIndex: 2}, []*interfaces.SwInterfaceDetails{tap1}},
		{"missing index", &interfaces.SwInterfaceDump{SwIfIndex: 99}, nil},
		{"filter is a case-insensitive substring", &interfaces.SwInterfaceDump{SwIfIndex: 99, NameFilterValid: true, NameFilter: "tap"}, []*interfaces.SwInterfaceDetails{tap1}},
		{"empty filter matches all", &interfaces.SwInterfaceDump{NameFilterValid: true}, []*interfaces.SwInterfaceDetails{local0, eth0, tap1}},
		{"filter matching nothing", &interfaces.SwInterfaceDump{NameFilterValid: true, NameFilter: "bond"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := interfaces.NewServiceClient(conn).SwInterfaceDump(ctxFor(t), tt.req)
			if err != nil {
				t.Fatalf("SwInterfaceDump: %v", err)
			}
			got := drain(t, st.Recv)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("details (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAddInterfaceErrors(t *testing.T) {
	srv := startSim(t, "eth0")
	for _, in := range []sim.Interface{
		{},
		{Name: "eth0"},
		{Name: "local0"},
		{Name: strings.Repeat("x", 64)},
		{Name: "eth1", MAC: net.HardwareAddr{1, 2, 3}},
	} {
		if idx, err := srv.AddInterface(in); err == nil {
			t.Errorf("AddInterface(%+v) = %d, want an error", in, idx)
		}
	}
	if idx, err := srv.AddInterface(sim.Interface{Name: "eth1"}); err != nil || idx != 2 {
		t.Errorf("AddInterface(eth1) = %d, %v; want 2", idx, err)
	}
}

func TestDisconnectDeletesRegistration(t *testing.T) {
	srv := startSim(t)
	conn := connect(t, srv)
	if n := srv.Clients(); n != 1 {
		t.Fatalf("Clients() = %d, want 1", n)
	}
	conn.Disconnect()
	waitFor(t, func() bool { return srv.Clients() == 0 })
}

// waitFor polls cond until it holds or the test times out.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(rpcTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// rawClient speaks the socket protocol by hand.
type rawClient struct {
	t     testing.TB
	nc    net.Conn
	index uint32
	ids   map[string]uint16
}

func dialRaw(t *testing.T, srv *sim.Server) *rawClient { return dialRawTB(t, srv) }

func dialRawTB(t testing.TB, srv *sim.Server) *rawClient {
	t.Helper()
	nc, err := net.Dial("unix", srv.SocketPath())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { nc.Close() })
	if err := nc.SetDeadline(time.Now().Add(rpcTimeout)); err != nil {
		t.Fatal(err)
	}
	return &rawClient{t: t, nc: nc}
}

// write sends one frame: a 16-byte header with the payload length in
// bytes 8..11, then the payload.
func (c *rawClient) write(length uint32, payload []byte) {
	c.t.Helper()
	frame := make([]byte, 16, 16+len(payload))
	binary.BigEndian.PutUint32(frame[8:12], length)
	if _, err := c.nc.Write(append(frame, payload...)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *rawClient) read() []byte {
	c.t.Helper()
	var hdr [16]byte
	if _, err := io.ReadFull(c.nc, hdr[:]); err != nil {
		c.t.Fatalf("reading header: %v", err)
	}
	msg := make([]byte, binary.BigEndian.Uint32(hdr[8:12]))
	if _, err := io.ReadFull(c.nc, msg); err != nil {
		c.t.Fatalf("reading message: %v", err)
	}
	return msg
}

// handshake does what socketclient does: sockclnt_create with id 15 and
// context 123.
func (c *rawClient) handshake() {
	c.t.Helper()
	msg, err := codec.EncodeMsg(&memclnt.SockclntCreate{Name: "raw"}, 15)
	if err != nil {
		c.t.Fatal(err)
	}
	msg[5] = 123
	c.write(uint32(len(msg)), msg)
	reply := c.read()
	var r memclnt.SockclntCreateReply
	if err := codec.DecodeMsg(reply, &r); err != nil {
		c.t.Fatalf("decoding sockclnt_create_reply: %v", err)
	}
	if got := binary.BigEndian.Uint32(reply[6:10]); got != 123 {
		c.t.Errorf("sockclnt_create_reply context = %d, want 123", got)
	}
	if r.Response != 0 || r.Index&(1<<31) == 0 || int(r.Count) != len(r.MessageTable) {
		c.t.Errorf("sockclnt_create_reply = response %d index %#x count %d/%d",
			r.Response, r.Index, r.Count, len(r.MessageTable))
	}
	c.index = r.Index
	c.ids = make(map[string]uint16)
	for _, e := range r.MessageTable {
		c.ids[e.Name] = e.Index
	}
}

// request encodes a request of the client's.
func (c *rawClient) request(m api.Message, context uint32) []byte {
	c.t.Helper()
	id, ok := c.ids[m.GetMessageName()+"_"+m.GetCrcString()]
	if !ok {
		c.t.Fatalf("%s not in the message table", m.GetMessageName())
	}
	msg, err := codec.EncodeMsg(m, id)
	if err != nil {
		c.t.Fatal(err)
	}
	binary.BigEndian.PutUint32(msg[2:6], c.index)
	binary.BigEndian.PutUint32(msg[6:10], context)
	return msg
}

// expectClosed checks that the server hung up.
func (c *rawClient) expectClosed() {
	c.t.Helper()
	var b [1]byte
	if n, err := io.ReadFull(c.nc, b[:]); !errors.Is(err, io.EOF) {
		c.t.Errorf("read = %d, %v; want EOF from a server that closed the connection", n, err)
	}
}

func TestRawHandshake(t *testing.T) {
	srv := startSim(t)
	c := dialRaw(t, srv)
	c.handshake()
	for name, want := range map[string]uint16{
		"sockclnt_create_455fb9c4":       15,
		"sockclnt_create_reply_35166268": 16,
		"sockclnt_delete_8ac76db6":       17,
		"control_ping_51077d14":          23,
		"control_ping_reply_f6b0b8ca":    24,
	} {
		if got := c.ids[name]; got != want {
			t.Errorf("message table: %s = %d, want %d", name, got, want)
		}
	}

	// A message id with no handler is dropped, as VPP does; the client
	// stays connected and the next request is answered.
	c.write(10, []byte{0xff, 0xf0, 0, 0, 0, 0, 0, 0, 0, 1})
	ping := c.request(&memclnt.ControlPing{}, 77)
	c.write(uint32(len(ping)), ping)
	reply := c.read()
	var r memclnt.ControlPingReply
	if err := codec.DecodeMsg(reply, &r); err != nil {
		t.Fatal(err)
	}
	if got := binary.BigEndian.Uint16(reply); got != 24 || binary.BigEndian.Uint32(reply[2:6]) != 77 || r.VpePID != srv.PID() {
		t.Errorf("control_ping_reply = id %d context %d pid %d", got, binary.BigEndian.Uint32(reply[2:6]), r.VpePID)
	}

	// sockclnt_delete answers 1 and hangs up.
	del := c.request(&memclnt.SockclntDelete{Index: c.index}, 78)
	c.write(uint32(len(del)), del)
	var dr memclnt.SockclntDeleteReply
	if err := codec.DecodeMsg(c.read(), &dr); err != nil {
		t.Fatal(err)
	}
	if dr.Response != 1 {
		t.Errorf("sockclnt_delete_reply response = %d, want 1", dr.Response)
	}
	c.expectClosed()
}

// TestMalformedMessageClosesOnlyThatClient sends broken frames on raw
// connections while a GoVPP client keeps working.
func TestMalformedMessageClosesOnlyThatClient(t *testing.T) {
	srv, conn := startAndConnect(t, "eth0")
	tests := []struct {
		name      string
		handshake bool
		send      func(c *rawClient)
	}{
		{"payload too short for an id", false, func(c *rawClient) { c.write(1, []byte{0}) }},
		{"length beyond the limit", false, func(c *rawClient) { c.write(0xffffffff, []byte{0, 23}) }},
		{"request shorter than its header", true, func(c *rawClient) {
			c.write(4, []byte{0, 23, 0, 0}) // control_ping without client_index and context
		}},
		{"request shorter than its fixed fields", true, func(c *rawClient) {
			msg := c.request(&ip.IPTableAddDel{IsAdd: true}, 1)
			c.write(uint32(len(msg)-1), msg[:len(msg)-1])
		}},
		{"truncated variable-length request", true, func(c *rawClient) {
			msg := c.request(&ip.IPRouteAddDel{IsAdd: true}, 1)
			msg[len(msg)-1] = 3 // n_paths 3, no paths follow
			c.write(uint32(len(msg)), msg)
		}},
		{"string longer than the message", true, func(c *rawClient) {
			msg := c.request(&interfaces.SwInterfaceDump{NameFilterValid: true, NameFilter: "eth"}, 1)
			binary.BigEndian.PutUint32(msg[len(msg)-7:], 1000) // name_filter length
			c.write(uint32(len(msg)), msg)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dialRaw(t, srv)
			if tt.handshake {
				c.handshake()
			}
			tt.send(c)
			c.expectClosed()

			if _, err := memclnt.NewServiceClient(conn).ControlPing(ctxFor(t), &memclnt.ControlPing{}); err != nil {
				t.Errorf("the other client's ControlPing: %v", err)
			}
		})
	}
	waitFor(t, func() bool { return srv.Clients() == 1 })
}
