package zebra

import (
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mdlayher/netlink"

	"github.com/lcpfib/lcpfib/fpm"
	"github.com/lcpfib/lcpfib/rib"
)

// Route flags zebra reads back from the dataplane (rtm_flags).
const (
	RouteFlagOffload       uint32 = 0x4000     // RTM_F_OFFLOAD: installed in the dataplane
	RouteFlagOffloadFailed uint32 = 0x20000000 // RTM_F_OFFLOAD_FAILED: the dataplane could not install it
)

// notifyTable is the rtm_table of a notification for a route of the main
// table. FRR (10.3 and later) reads the table field of a notification as
// the VRF id (dplane_fpm_nl.c: "In the FPM encoding, the vrfid is
// present"), and the main table is the default VRF's, id 0. Routes of other
// tables cannot be named without knowing their VRF, so they are not
// notified.
const notifyTable = 0

// A Sender writes a frame on zebra's current FPM connection; fpm.Server
// implements it.
type Sender interface {
	Send(ctx context.Context, frame []byte) error
}

// NotifierOptions configure a Notifier.
type NotifierOptions struct {
	Logger *slog.Logger
	// Delay gathers results for this long before sending them, so that a
	// table load is notified in large frames. Default 20 ms.
	Delay time.Duration
}

// A Notifier tells zebra, over the FPM connection, which routes the
// dataplane installed (RTM_F_OFFLOAD) and which it could not
// (RTM_F_OFFLOAD_FAILED): RTM_NEWROUTE messages, batched many to a frame.
// FRR 10.3 and later read them (zebra/dplane_fpm_nl.c, fpm_read), which is
// what `bgp suppress-fib-pending` waits for; FRR 8.4 reads and ignores
// them.
//
// Results are merged per route while they wait, so memory is bounded by
// the table. Only FRR's routes of the main table are notified, and not
// kernel routes, which zebra does not install, nor LSPs, which FRR reads
// no notifications for.
type Notifier struct {
	send  Sender
	log   *slog.Logger
	delay time.Duration

	mu      sync.Mutex
	pending *rib.Map[notice]
	wake    chan struct{}

	sent, failed, dropped atomic.Uint64
}

type notice struct {
	kind     rib.Kind
	protocol uint8
	failed   bool
}

// NewNotifier returns a Notifier that sends through s; call Run.
func NewNotifier(s Sender, o NotifierOptions) *Notifier {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Delay <= 0 {
		o.Delay = 20 * time.Millisecond
	}
	return &Notifier{send: s, log: o.Logger, delay: o.Delay, pending: &rib.Map[notice]{}, wake: make(chan struct{}, 1)}
}

// NotifierStats count notifications.
type NotifierStats struct {
	Sent    uint64 // RTM_F_OFFLOAD notifications written
	Failed  uint64 // RTM_F_OFFLOAD_FAILED notifications written
	Dropped uint64 // not written: no connection (zebra replays and they are sent again)
}

// Stats returns the counters.
func (n *Notifier) Stats() NotifierStats {
	return NotifierStats{Sent: n.sent.Load(), Failed: n.failed.Load(), Dropped: n.dropped.Load()}
}

// Result records what the dataplane did with r: err is nil when r is
// installed. It never blocks.
func (n *Notifier) Result(r *rib.Route, err error) {
	if r == nil || r.Source != rib.SourceFRR || r.Table != TableMain || r.Protocol == ProtoKernel || r.IsLSP() {
		return
	}
	n.mu.Lock()
	n.pending.Set(r.Key.Pack(), notice{kind: r.Kind, protocol: r.Protocol, failed: err != nil})
	n.mu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// maxFrame keeps a frame well under FPM's 64 KiB limit.
const maxFrame = 60000

// maxNotification is the size of an IPv6 route's notification.
const maxNotification = sizeofNlmsghdr + sizeofRtmsg + sizeofRtattr + 16

// Run sends pending notifications until ctx is done.
func (n *Notifier) Run(ctx context.Context) error {
	for {
		select {
		case <-n.wake:
		case <-ctx.Done():
			return nil
		}
		select { // gather more
		case <-time.After(n.delay):
		case <-ctx.Done():
			return nil
		}
		n.mu.Lock()
		batch := n.pending
		n.pending = &rib.Map[notice]{}
		n.mu.Unlock()
		n.flush(ctx, batch)
	}
}

func (n *Notifier) flush(ctx context.Context, batch *rib.Map[notice]) {
	var frame []byte
	var ok, bad uint64
	write := func() bool {
		if len(frame) == 0 {
			return true
		}
		f := fpm.Frame{Version: fpm.Version, Type: fpm.TypeNetlink, Payload: frame}
		b, err := f.MarshalBinary()
		if err == nil {
			err = n.send.Send(ctx, b)
		}
		if err != nil {
			if !errors.Is(err, fpm.ErrNoConnection) && ctx.Err() == nil {
				n.log.Warn("sending install notifications to zebra", "err", err)
			}
			return false
		}
		n.sent.Add(ok)
		n.failed.Add(bad)
		frame, ok, bad = frame[:0], 0, 0
		return true
	}
	left := uint64(batch.Len())
	for pk, nt := range batch.All() {
		k := pk.Key()
		if len(frame)+maxNotification > maxFrame-fpm.HeaderLen && !write() {
			n.dropped.Add(left)
			return
		}
		frame = appendNotification(frame, k, nt)
		left--
		if nt.failed {
			bad++
		} else {
			ok++
		}
	}
	if !write() {
		n.dropped.Add(ok + bad)
	}
}

// appendNotification appends one RTM_NEWROUTE notification as FRR's
// reader wants it (rt_netlink.c, netlink_route_read_unicast_ctx;
// zebra_rib.c, rib_process_dplane_notify): NLM_F_REQUEST, the route's type
// and protocol (zebra matches the route entry by protocol), the VRF id in
// rtm_table, RTA_DST, and the offload flag. It writes the bytes itself, as
// a table load notifies a million routes: a netlink header, an rtmsg and
// one attribute, all 4-byte aligned as they are.
func appendNotification(b []byte, k rib.Key, nt notice) []byte {
	family, alen := FamilyInet, 4
	if k.Prefix.Addr().Is6() {
		family, alen = FamilyInet6, 16
	}
	flags := RouteFlagOffload
	if nt.failed {
		flags = RouteFlagOffloadFailed
	}
	n := sizeofNlmsghdr + sizeofRtmsg + sizeofRtattr + alen
	b = binary.NativeEndian.AppendUint32(b, uint32(n))               // nlmsg_len
	b = binary.NativeEndian.AppendUint16(b, uint16(TypeNewRoute))    // nlmsg_type
	b = binary.NativeEndian.AppendUint16(b, uint16(netlink.Request)) // nlmsg_flags
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 0)                            // nlmsg_seq, nlmsg_pid
	b = append(b, family, uint8(k.Prefix.Bits()), 0, 0,              // family, dst_len, src_len, tos
		notifyTable, nt.protocol, 0, routeType(nt.kind)) // table, protocol, scope, type
	b = binary.NativeEndian.AppendUint32(b, flags)                     // rtm_flags
	b = binary.NativeEndian.AppendUint16(b, uint16(sizeofRtattr+alen)) // rta_len
	b = binary.NativeEndian.AppendUint16(b, rtaDst)                    // rta_type
	if alen == 4 {
		a := k.Prefix.Addr().As4()
		return append(b, a[:]...)
	}
	a := k.Prefix.Addr().As16()
	return append(b, a[:]...)
}

func routeType(k rib.Kind) uint8 {
	switch k {
	case rib.Blackhole:
		return RouteBlackhole
	case rib.Unreachable:
		return RouteUnreachable
	case rib.Prohibit:
		return RouteProhibit
	}
	return RouteUnicast
}
