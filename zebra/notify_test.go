package zebra

import (
	"context"
	"encoding/binary"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lcpfib/lcpfib/fpm"
	"github.com/lcpfib/lcpfib/rib"
)

func TestNotificationBytes(t *testing.T) {
	k := rib.Key{Table: TableMain, Prefix: netip.MustParsePrefix("192.0.2.0/24")}
	got := appendNotification(nil, k, notice{kind: rib.Unicast, protocol: 196})
	want := []byte{
		36, 0, 0, 0, // nlmsg_len 36
		24, 0, // nlmsg_type RTM_NEWROUTE
		1, 0, // nlmsg_flags NLM_F_REQUEST: FRR skips messages without it
		0, 0, 0, 0, // nlmsg_seq
		0, 0, 0, 0, // nlmsg_pid
		2,             // rtm_family AF_INET
		24,            // rtm_dst_len
		0,             // rtm_src_len: FRR refuses IPv4 source-specific routes
		0,             // rtm_tos
		0,             // rtm_table: the VRF id (default VRF) as FRR's FPM reader wants it
		196,           // rtm_protocol: static; zebra matches the route entry by it
		0,             // rtm_scope
		1,             // rtm_type RTN_UNICAST (FRR ignores other types but blackhole/unreachable/prohibit)
		0, 0x40, 0, 0, // rtm_flags RTM_F_OFFLOAD
		8, 0, 1, 0, // RTA_DST, 8 bytes
		192, 0, 2, 0,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("(-want +got)\n%s", d)
	}

	// Failed, IPv6, blackhole.
	k6 := rib.Key{Table: TableMain, Prefix: netip.MustParsePrefix("2001:db8::/32")}
	got = appendNotification(got[:0], k6, notice{kind: rib.Blackhole, protocol: 186, failed: true})
	ms, err := UnmarshalMessages(got)
	if err != nil || len(ms) != 1 {
		t.Fatalf("decode: %v %v", ms, err)
	}
	rm := ms[0].Route
	if rm.Family != FamilyInet6 || rm.DstLength != 32 || rm.Type != RouteBlackhole || rm.Protocol != 186 ||
		rm.Flags != RouteFlagOffloadFailed || rm.Table != 0 || rm.Attributes.Dst != k6.Prefix.Addr() {
		t.Fatalf("decoded %+v", rm)
	}
}

// frameSink collects what a Notifier sends.
type frameSink struct {
	mu     sync.Mutex
	frames [][]byte
	down   bool
}

func (s *frameSink) Send(ctx context.Context, b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return fpm.ErrNoConnection
	}
	s.frames = append(s.frames, append([]byte(nil), b...))
	return nil
}

// messages decodes every frame the sink got.
func (s *frameSink) messages(t *testing.T) []RouteMessage {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []RouteMessage
	for _, b := range s.frames {
		var f fpm.Frame
		if err := f.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		if len(b) > 65535 || int(binary.BigEndian.Uint16(b[2:4])) != len(b) {
			t.Fatalf("bad frame length %d", len(b))
		}
		ms, err := UnmarshalMessages(f.Payload)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			out = append(out, *m.Route)
		}
	}
	return out
}

func TestNotifier(t *testing.T) {
	sink := &frameSink{}
	n := NewNotifier(sink, NotifierOptions{Delay: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	route := func(p string, table uint32, proto uint8, src rib.Source) *rib.Route {
		return &rib.Route{Key: rib.Key{Table: table, Prefix: netip.MustParsePrefix(p)}, Kind: rib.Unicast, Source: src, Protocol: proto}
	}
	// 5,000 installed routes: several frames, each under 64 KiB.
	for i := range 5000 {
		n.Result(route(netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 8), byte(i), 0}), 24).String(), TableMain, 186, rib.SourceFRR), nil)
	}
	n.Result(route("192.0.2.0/24", TableMain, 196, rib.SourceFRR), errTestVPP)
	// Not notified: another table, a kernel route, BIRD's.
	n.Result(route("198.51.100.0/24", 100, 196, rib.SourceFRR), nil)
	n.Result(route("198.51.100.0/24", TableMain, ProtoKernel, rib.SourceFRR), nil)
	n.Result(route("203.0.113.0/24", TableMain, 186, rib.SourceBIRD), nil)
	deadline := time.Now().Add(5 * time.Second)
	for n.Stats().Sent+n.Stats().Failed < 5001 {
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v", n.Stats())
		}
		time.Sleep(time.Millisecond)
	}
	ms := sink.messages(t)
	if len(ms) != 5001 || len(sink.frames) < 2 {
		t.Fatalf("%d notifications in %d frames", len(ms), len(sink.frames))
	}
	failed := 0
	for _, m := range ms {
		if m.Flags == RouteFlagOffloadFailed {
			failed++
			if m.Attributes.Dst != netip.MustParseAddr("192.0.2.0") || m.Protocol != 196 {
				t.Fatalf("failed notification %+v", m)
			}
		}
	}
	if failed != 1 {
		t.Fatalf("%d failed notifications, want 1", failed)
	}

	// Without a connection they are dropped and counted.
	sink.mu.Lock()
	sink.down = true
	sink.mu.Unlock()
	n.Result(route("192.0.2.0/24", TableMain, 196, rib.SourceFRR), nil)
	for deadline := time.Now().Add(5 * time.Second); n.Stats().Dropped != 1; {
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v", n.Stats())
		}
		time.Sleep(time.Millisecond)
	}
}

var errTestVPP = errorString("VPPApiError: No matching interface for probe (-54)")

type errorString string

func (e errorString) Error() string { return string(e) }
