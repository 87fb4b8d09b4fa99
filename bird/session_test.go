package bird

import (
	"context"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/osrg/gobgp/v3/pkg/packet/bgp"

	"github.com/lcpfib/lcpfib/rib"
)

// sink records what the bridge hands the rib.
type sink struct {
	mu  sync.Mutex
	set map[netip.Prefix]rib.Route
	ch  chan struct{}
}

func (s *sink) Apply(_ context.Context, u rib.Update) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rt := range u.Set {
		s.set[rt.Key.Prefix] = rt
	}
	for _, k := range u.Del {
		delete(s.set, k.Prefix)
	}
	select {
	case s.ch <- struct{}{}:
	default:
	}
	return nil
}

func (s *sink) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.set)
}

// startBridge runs a bridge on a free loopback port with one iBGP peer,
// 127.0.0.1 itself (the test dials from there).
func startBridge(t *testing.T, hold time.Duration) (*Bridge, *sink, netip.AddrPort) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.MustParseAddrPort(ln.Addr().String())
	ln.Close()
	s := &sink{set: map[netip.Prefix]rib.Route{}, ch: make(chan struct{}, 1)}
	b := New(s, Options{Listen: addr, RouterID: netip.MustParseAddr("10.255.0.1"), HoldTime: hold,
		Peers: []Peer{{Address: netip.MustParseAddr("127.0.0.1")}}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return b, s, addr
}

// fakeBIRD is a scripted BGP peer.
type fakeBIRD struct {
	t *testing.T
	c net.Conn
}

func dialBIRD(t *testing.T, addr netip.AddrPort, as uint32, hold uint16) *fakeBIRD {
	t.Helper()
	var c net.Conn
	var err error
	for range 50 { // the bridge may still be starting
		if c, err = net.Dial("tcp", addr.String()); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	f := &fakeBIRD{t: t, c: c}
	caps := []bgp.ParameterCapabilityInterface{
		bgp.NewCapMultiProtocol(bgp.RF_IPv4_UC), bgp.NewCapFourOctetASNumber(as),
		bgp.NewCapAddPath([]*bgp.CapAddPathTuple{bgp.NewCapAddPathTuple(bgp.RF_IPv4_UC, bgp.BGP_ADD_PATH_SEND)}),
		bgp.NewCapGracefulRestart(false, false, 60, nil),
	}
	f.send(bgp.NewBGPOpenMessage(bgp.AS_TRANS, hold, "10.255.0.2", []bgp.OptionParameterInterface{bgp.NewOptionParameterCapability(caps)}))
	return f
}

func (f *fakeBIRD) send(m *bgp.BGPMessage) {
	f.t.Helper()
	b, err := m.Serialize(&bgp.MarshallingOption{AddPath: map[bgp.RouteFamily]bgp.BGPAddPathMode{bgp.RF_IPv4_UC: bgp.BGP_ADD_PATH_SEND}})
	if err != nil {
		f.t.Fatal(err)
	}
	f.raw(b)
}

func (f *fakeBIRD) raw(b []byte) {
	f.t.Helper()
	if _, err := f.c.Write(b); err != nil {
		f.t.Fatal(err)
	}
}

// recv reads the bridge's next message.
func (f *fakeBIRD) recv() (*bgp.BGPMessage, error) {
	f.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	h := make([]byte, bgp.BGP_HEADER_LENGTH)
	if _, err := io.ReadFull(f.c, h); err != nil {
		return nil, err
	}
	var hdr bgp.BGPHeader
	if err := hdr.DecodeFromBytes(h); err != nil {
		return nil, err
	}
	body := make([]byte, int(hdr.Len)-bgp.BGP_HEADER_LENGTH)
	if _, err := io.ReadFull(f.c, body); err != nil {
		return nil, err
	}
	return bgp.ParseBGPBody(&hdr, body)
}

// establish completes the OPEN exchange and reads the bridge's End-of-RIB.
func (f *fakeBIRD) establish() *bgp.BGPOpen {
	f.t.Helper()
	m, err := f.recv()
	if err != nil {
		f.t.Fatal(err)
	}
	op, ok := m.Body.(*bgp.BGPOpen)
	if !ok {
		f.t.Fatalf("bridge sent %T, want OPEN", m.Body)
	}
	f.send(bgp.NewBGPKeepAliveMessage())
	if m, err = f.recv(); err != nil || m.Header.Type != bgp.BGP_MSG_KEEPALIVE {
		f.t.Fatalf("bridge answered %v, %v; want KEEPALIVE", m, err)
	}
	if m, err = f.recv(); err != nil {
		f.t.Fatal(err)
	}
	if eor, rf := m.Body.(*bgp.BGPUpdate).IsEndOfRib(); !eor || rf != bgp.RF_IPv4_UC {
		f.t.Fatalf("bridge sent %v after KEEPALIVE, want the IPv4 End-of-RIB", m.Body)
	}
	return op
}

// notification reads until the bridge's NOTIFICATION (skipping
// KEEPALIVEs) and fails on anything else.
func (f *fakeBIRD) notification() *bgp.BGPNotification {
	f.t.Helper()
	for {
		m, err := f.recv()
		if err != nil {
			f.t.Fatalf("waiting for a NOTIFICATION: %v", err)
		}
		switch b := m.Body.(type) {
		case *bgp.BGPNotification:
			return b
		case *bgp.BGPKeepAlive:
		default:
			f.t.Fatalf("bridge sent %T, want NOTIFICATION", b)
		}
	}
}

func route(prefix string, id uint32, nh string) *bgp.BGPMessage {
	return bgp.NewBGPUpdateMessage(nil, []bgp.PathAttributeInterface{bgp.NewPathAttributeOrigin(0),
		bgp.NewPathAttributeNextHop(nh)}, []*bgp.IPAddrPrefix{v4nlri(prefix, id)})
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("%s: not within 10s", what)
}

func peerStatus(t *testing.T, b *Bridge) PeerStatus {
	st, err := b.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st.Peers[0]
}

// TestSessionOpen: the bridge's OPEN offers what BIRD needs, and routes
// flow once the session is up.
func TestSessionOpen(t *testing.T) {
	b, s, addr := startBridge(t, 9*time.Second)
	f := dialBIRD(t, addr, DefaultASN, 90)
	op := f.establish()
	if op.HoldTime != 9 || op.MyAS != bgp.AS_TRANS || op.ID.String() != "10.255.0.1" {
		t.Fatalf("OPEN: hold %d, AS %d, id %s", op.HoldTime, op.MyAS, op.ID)
	}
	want := map[bgp.BGPCapabilityCode]bool{bgp.BGP_CAP_MULTIPROTOCOL: true, bgp.BGP_CAP_FOUR_OCTET_AS_NUMBER: true,
		bgp.BGP_CAP_ADD_PATH: true, bgp.BGP_CAP_GRACEFUL_RESTART: true}
	for _, p := range op.OptParams {
		for _, c := range p.(*bgp.OptionParameterCapability).Capability {
			delete(want, c.Code())
			if gr, ok := c.(*bgp.CapGracefulRestart); ok && len(gr.Tuples) != 0 {
				t.Errorf("graceful restart capability with families %v: the bridge is a helper only", gr.Tuples)
			}
		}
	}
	if len(want) != 0 {
		t.Errorf("capabilities missing from the OPEN: %v", want)
	}
	f.send(route("192.0.2.0/24", 1, "10.0.0.2"))
	f.send(route("192.0.2.0/24", 2, "10.0.0.3"))
	f.send(bgp.NewEndOfRib(bgp.RF_IPv4_UC))
	waitFor(t, "route in the rib", func() bool { return s.len() == 1 })
	p := peerStatus(t, b)
	if p.State != "established" || p.Paths != 2 || len(p.EndOfRIB) != 1 {
		t.Fatalf("peer status %+v", p)
	}
}

// TestSessionRefusesWrongAS: an OPEN with another AS gets a NOTIFICATION
// (Bad Peer AS) and no session.
func TestSessionRefusesWrongAS(t *testing.T) {
	b, _, addr := startBridge(t, 0)
	f := dialBIRD(t, addr, 65001, 90)
	if m, err := f.recv(); err != nil || m.Header.Type != bgp.BGP_MSG_OPEN {
		t.Fatalf("want the bridge's OPEN first: %v %v", m, err)
	}
	n := f.notification()
	if n.ErrorCode != bgp.BGP_ERROR_OPEN_MESSAGE_ERROR || n.ErrorSubcode != bgp.BGP_ERROR_SUB_BAD_PEER_AS {
		t.Fatalf("NOTIFICATION %d/%d, want OPEN error, bad peer AS", n.ErrorCode, n.ErrorSubcode)
	}
	if p := peerStatus(t, b); p.State == "established" {
		t.Fatalf("peer status %+v", p)
	}
}

// TestSessionEnds: how a session ends decides what happens to its routes.
func TestSessionEnds(t *testing.T) {
	tests := []struct {
		name       string
		end        func(f *fakeBIRD)
		restarting bool // routes kept as stale
	}{
		{"Cease from BIRD withdraws", func(f *fakeBIRD) {
			f.send(bgp.NewBGPNotificationMessage(bgp.BGP_ERROR_CEASE, bgp.BGP_ERROR_SUB_ADMINISTRATIVE_SHUTDOWN, nil))
		}, false},
		{"connection lost keeps them stale", func(f *fakeBIRD) { f.c.Close() }, true},
		{"hold timer expiry keeps them stale", func(f *fakeBIRD) {
			// BIRD sends nothing for longer than the 3 s hold time.
			if n := f.notification(); n.ErrorCode != bgp.BGP_ERROR_HOLD_TIMER_EXPIRED {
				t.Errorf("NOTIFICATION %d/%d, want hold timer expired", n.ErrorCode, n.ErrorSubcode)
			}
		}, true},
		{"a malformed message withdraws", func(f *fakeBIRD) {
			bad, _ := bgp.NewBGPKeepAliveMessage().Serialize()
			bad[0] = 0 // marker
			f.raw(bad)
			if n := f.notification(); n.ErrorCode != bgp.BGP_ERROR_MESSAGE_HEADER_ERROR {
				t.Errorf("NOTIFICATION %d/%d, want a message header error", n.ErrorCode, n.ErrorSubcode)
			}
		}, false},
		{"a second connection from BIRD is a restart", func(f *fakeBIRD) {
			g := dialBIRD(f.t, netip.MustParseAddrPort(f.c.RemoteAddr().String()), DefaultASN, 3)
			g.establish()
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, s, addr := startBridge(t, 3*time.Second)
			f := dialBIRD(t, addr, DefaultASN, 3)
			f.establish()
			f.send(route("192.0.2.0/24", 1, "10.0.0.2"))
			f.send(bgp.NewBGPKeepAliveMessage())
			waitFor(t, "route in the rib", func() bool { return s.len() == 1 })
			f.t = t
			tt.end(f)
			if tt.restarting {
				waitFor(t, "peer restarting", func() bool { return peerStatus(t, b).Restarting })
				if p := peerStatus(t, b); s.len() != 1 || p.Stale != 1 {
					t.Fatalf("restarting: %d routes, peer %+v", s.len(), p)
				}
				return
			}
			waitFor(t, "routes withdrawn", func() bool { return s.len() == 0 })
			if p := peerStatus(t, b); p.State == "established" || p.Restarting {
				t.Fatalf("peer %+v", p)
			}
		})
	}
}

// TestSessionTreatAsWithdraw: an UPDATE with a broken attribute withdraws
// its routes (RFC 7606) and the session stays up.
func TestSessionTreatAsWithdraw(t *testing.T) {
	b, s, addr := startBridge(t, 0)
	f := dialBIRD(t, addr, DefaultASN, 0)
	f.establish()
	f.send(route("192.0.2.0/24", 1, "10.0.0.2"))
	waitFor(t, "route in the rib", func() bool { return s.len() == 1 })
	// ORIGIN, NEXT_HOP, and a MED of 3 bytes instead of 4: malformed.
	attrs := []byte{0x40, 1, 1, 0, 0x40, 3, 4, 10, 0, 0, 2, 0x80, 4, 3, 0, 0, 0}
	nlri := []byte{0, 0, 0, 1, 24, 192, 0, 2} // path id 1, 192.0.2.0/24
	body := append(append([]byte{0, 0, 0, byte(len(attrs))}, attrs...), nlri...)
	raw := append([]byte(strings.Repeat("\xff", 16)), 0, byte(bgp.BGP_HEADER_LENGTH+len(body)), bgp.BGP_MSG_UPDATE)
	raw = append(raw, body...)
	f.raw(raw)
	waitFor(t, "route withdrawn", func() bool { return s.len() == 0 })
	st, err := b.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Invalid != 1 || st.Peers[0].State != "established" {
		t.Fatalf("status %+v", st)
	}
	f.send(route("192.0.2.0/24", 1, "10.0.0.2"))
	waitFor(t, "route back", func() bool { return s.len() == 1 })
}

// TestSessionStopSendsCease: when lcpfib stops, BIRD gets a Cease.
func TestSessionStopSendsCease(t *testing.T) {
	s := &sink{set: map[netip.Prefix]rib.Route{}, ch: make(chan struct{}, 1)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.MustParseAddrPort(ln.Addr().String())
	ln.Close()
	b := New(s, Options{Listen: addr, Peers: []Peer{{Address: netip.MustParseAddr("127.0.0.1")}}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	f := dialBIRD(t, addr, DefaultASN, 90)
	f.establish()
	cancel()
	if n := f.notification(); n.ErrorCode != bgp.BGP_ERROR_CEASE {
		t.Fatalf("NOTIFICATION %d/%d, want Cease", n.ErrorCode, n.ErrorSubcode)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
	if c, err := net.Dial("tcp", addr.String()); err == nil {
		c.Close()
		t.Fatal("listener still open after Run returned")
	}
}
