package zebra

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lcpfib/lcpfib/fpm"
	"github.com/lcpfib/lcpfib/rib"
	"github.com/mdlayher/netlink"
)

// Feed tests on messages built by hand.

// msgs builds a payload from messages.
func msgs(t testing.TB, ms ...Message) []byte {
	t.Helper()
	b, err := MarshalMessages(ms)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newRoute(table uint8, p string, a RouteAttributes) Message {
	pfx := prefix(p)
	fam := FamilyInet
	if pfx.Addr().Is6() {
		fam = FamilyInet6
	}
	a.Dst = pfx.Addr()
	return Message{
		Header: netlink.Header{Type: TypeNewRoute, Flags: netlink.Request | FlagReplace | FlagCreate},
		Route: &RouteMessage{Family: fam, DstLength: uint8(pfx.Bits()), Table: table,
			Protocol: 186, Type: RouteUnicast, Attributes: a},
	}
}

func delRoute(table uint8, p string) Message {
	m := newRoute(table, p, RouteAttributes{Priority: 20})
	m.Header.Type = TypeDelRoute
	m.Route.Type = 0
	return m
}

func newNH(id uint32, a NexthopAttributes) Message {
	a.ID = id
	fam := FamilyUnspec
	switch {
	case a.Gateway.Is4():
		fam = FamilyInet
	case a.Gateway.IsValid():
		fam = FamilyInet6
	case a.OutIface != 0 || a.Blackhole:
		fam = FamilyInet
	}
	return Message{
		Header:  netlink.Header{Type: TypeNewNexthop, Flags: netlink.Request | FlagReplace | FlagCreate},
		Nexthop: &NexthopMessage{Family: fam, Protocol: 11, Attributes: a},
	}
}

func delNH(id uint32) Message {
	return Message{
		Header:  netlink.Header{Type: TypeDelNexthop, Flags: netlink.Request},
		Nexthop: &NexthopMessage{Protocol: 11, Attributes: NexthopAttributes{ID: id}},
	}
}

// feedFrames runs frames through a new Feed, flushing after each, and
// returns the feed and sink.
type feedRun struct {
	t    *testing.T
	feed *Feed
	sink *fakeSink
}

func newFeedRun(t *testing.T, opts Options) *feedRun {
	r := &feedRun{t: t, sink: newFakeSink(t)}
	return r.start(r.sink, opts)
}

// plainSink hides that fakeSink is a NexthopIndex: the Feed then keeps
// every route's nexthop id itself.
type plainSink struct{ s *fakeSink }

func (p plainSink) Apply(ctx context.Context, u rib.Update) error { return p.s.Apply(ctx, u) }

func newPlainFeedRun(t *testing.T, opts Options) *feedRun {
	r := &feedRun{t: t, sink: newFakeSink(t)}
	return r.start(plainSink{r.sink}, opts)
}

// bothSinks runs test with a sink that is a NexthopIndex and with one that
// is not.
func bothSinks(t *testing.T, test func(*testing.T, func(*testing.T, Options) *feedRun)) {
	t.Run("index", func(t *testing.T) { test(t, newFeedRun) })
	t.Run("plain", func(t *testing.T) { test(t, newPlainFeedRun) })
}

func (r *feedRun) start(sink Sink, opts Options) *feedRun {
	t := r.t
	r.feed = NewFeed(sink, opts)
	if err := r.feed.Connected(context.Background(), 1, loopback); err != nil {
		t.Fatal(err)
	}
	return r
}

// frame handles one frame and flushes; it returns the updates it caused
// and the Frame error.
func (r *feedRun) frame(ms ...Message) ([]rib.Update, error) {
	r.t.Helper()
	before := len(r.sink.updates)
	err := r.feed.Frame(context.Background(), 1, msgs(r.t, ms...))
	if ferr := r.feed.Flush(context.Background(), 1); ferr != nil {
		r.t.Fatal(ferr)
	}
	return slices.Clone(r.sink.updates[before:]), err
}

func (r *feedRun) mustFrame(ms ...Message) []rib.Update {
	r.t.Helper()
	us, err := r.frame(ms...)
	if err != nil {
		r.t.Fatal(err)
	}
	return us
}

func (r *feedRun) want(routes ...rib.Route) {
	r.t.Helper()
	if diff := cmp.Diff(sortedRoutes(keyed(routes)), r.sink.state(), cmpOpts); diff != "" {
		r.t.Fatalf("routes (-want +got):\n%s", diff)
	}
}

func keyed(rs []rib.Route) map[rib.Key]rib.Route {
	m := map[rib.Key]rib.Route{}
	for _, r := range rs {
		m[r.Key] = r
	}
	return m
}

func weighted(p rib.Path, w uint32) rib.Path { p.Weight = w; return p }

func TestFeedGroupChangeReemitsRoutes(t *testing.T) { bothSinks(t, testFeedGroupChangeReemitsRoutes) }

func testFeedGroupChangeReemitsRoutes(t *testing.T, newRun func(*testing.T, Options) *feedRun) {
	r := newRun(t, Options{})
	r.mustFrame(newNH(1, NexthopAttributes{Gateway: addr("10.0.0.2"), OutIface: 2}))
	r.mustFrame(newNH(2, NexthopAttributes{Gateway: addr("10.0.1.2"), OutIface: 3}))
	r.mustFrame(newNH(10, NexthopAttributes{Group: []GroupMember{{ID: 1}, {ID: 2}}}))
	r.mustFrame(newRoute(254, "192.0.2.0/24", RouteAttributes{NexthopID: 10}))
	r.mustFrame(newRoute(254, "198.51.100.0/24", RouteAttributes{NexthopID: 10}))
	r.mustFrame(newRoute(254, "203.0.113.0/24", RouteAttributes{NexthopID: 1}))
	r.want(
		uni(254, "192.0.2.0/24", 186, via("10.0.0.2", 2), via("10.0.1.2", 3)),
		uni(254, "198.51.100.0/24", 186, via("10.0.0.2", 2), via("10.0.1.2", 3)),
		uni(254, "203.0.113.0/24", 186, via("10.0.0.2", 2)),
	)

	// The group's weights change: weight-1 = 2 is weight 3.
	us := r.mustFrame(newNH(10, NexthopAttributes{Group: []GroupMember{{ID: 1}, {ID: 2, Weight: 2}}}))
	if len(us) != 1 || len(us[0].Set) != 2 || len(us[0].Del) != 0 {
		t.Fatalf("group change gave %v, want one update setting both routes", us)
	}
	r.want(
		uni(254, "192.0.2.0/24", 186, via("10.0.0.2", 2), weighted(via("10.0.1.2", 3), 3)),
		uni(254, "198.51.100.0/24", 186, via("10.0.0.2", 2), weighted(via("10.0.1.2", 3), 3)),
		uni(254, "203.0.113.0/24", 186, via("10.0.0.2", 2)),
	)

	// A member changes: routes using it directly and through the group.
	us = r.mustFrame(newNH(1, NexthopAttributes{Gateway: addr("10.0.0.9"), OutIface: 2}))
	if len(us) != 1 || len(us[0].Set) != 3 {
		t.Fatalf("member change gave %v, want one update setting 3 routes", us)
	}
	r.want(
		uni(254, "192.0.2.0/24", 186, via("10.0.0.9", 2), weighted(via("10.0.1.2", 3), 3)),
		uni(254, "198.51.100.0/24", 186, via("10.0.0.9", 2), weighted(via("10.0.1.2", 3), 3)),
		uni(254, "203.0.113.0/24", 186, via("10.0.0.9", 2)),
	)

	// zebra sends an unchanged nexthop again: nothing to do.
	if us := r.mustFrame(newNH(10, NexthopAttributes{Group: []GroupMember{{ID: 1}, {ID: 2, Weight: 2}}})); len(us) != 0 {
		t.Fatalf("unchanged group gave %v", us)
	}
	c := r.feed.Counters()
	if c.RoutesReemitted != 5 || c.NexthopChanges != 2 || c.Groups != 1 || c.Nexthops != 2 {
		t.Fatalf("counters %+v", c)
	}
}

func TestFeedHoldsRouteUntilNexthopArrives(t *testing.T) {
	bothSinks(t, testFeedHoldsRouteUntilNexthopArrives)
}

func testFeedHoldsRouteUntilNexthopArrives(t *testing.T, newRun func(*testing.T, Options) *feedRun) {
	r := newRun(t, Options{})
	r.mustFrame(newNH(1, NexthopAttributes{Gateway: addr("10.0.0.2"), OutIface: 2}))
	r.mustFrame(newRoute(254, "192.0.2.0/24", RouteAttributes{NexthopID: 1}))

	// The route moves to a group that is not known yet: it is withdrawn
	// rather than left pointing at the old nexthop.
	r.mustFrame(newRoute(254, "192.0.2.0/24", RouteAttributes{NexthopID: 50}))
	r.mustFrame(newRoute(254, "198.51.100.0/24", RouteAttributes{NexthopID: 50}))
	r.want()
	if c := r.feed.Counters(); c.RoutesHeld != 2 || c.HeldNow != 2 {
		t.Fatalf("counters %+v", c)
	}

	// The group arrives but one member is still unknown.
	r.mustFrame(newNH(50, NexthopAttributes{Group: []GroupMember{{ID: 1}, {ID: 51}}}))
	r.want()
	// The member arrives: both routes are released.
	r.mustFrame(newNH(51, NexthopAttributes{OutIface: 7}))
	r.want(
		uni(254, "192.0.2.0/24", 186, via("10.0.0.2", 2), via("", 7)),
		uni(254, "198.51.100.0/24", 186, via("10.0.0.2", 2), via("", 7)),
	)
	if c := r.feed.Counters(); c.RoutesReleased != 2 || c.HeldNow != 0 {
		t.Fatalf("counters %+v", c)
	}

	// A held route that is deleted is forgotten.
	r.mustFrame(newRoute(254, "203.0.113.0/24", RouteAttributes{NexthopID: 60}))
	r.mustFrame(delRoute(254, "203.0.113.0/24"))
	r.mustFrame(newNH(60, NexthopAttributes{OutIface: 8}))
	if find(r.sink.state(), 254, "203.0.113.0/24") != nil {
		t.Fatal("deleted held route came back")
	}
	if c := r.feed.Counters(); c.HeldNow != 0 {
		t.Fatalf("counters %+v", c)
	}
}

func TestFeedDeleteNexthop(t *testing.T) { bothSinks(t, testFeedDeleteNexthop) }

func testFeedDeleteNexthop(t *testing.T, newRun func(*testing.T, Options) *feedRun) {
	r := newRun(t, Options{})
	r.mustFrame(newNH(1, NexthopAttributes{Gateway: addr("10.0.0.2"), OutIface: 2}))
	r.mustFrame(newNH(2, NexthopAttributes{Gateway: addr("10.0.1.2"), OutIface: 3}))
	r.mustFrame(newNH(10, NexthopAttributes{Group: []GroupMember{{ID: 1}, {ID: 2}}}))
	r.mustFrame(newRoute(254, "192.0.2.0/24", RouteAttributes{NexthopID: 10}))
	r.mustFrame(newRoute(254, "203.0.113.0/24", RouteAttributes{NexthopID: 2}))

	// As in the kernel: routes using the nexthop go, and it leaves the
	// group.
	r.mustFrame(delNH(2))
	r.want(uni(254, "192.0.2.0/24", 186, via("10.0.0.2", 2)))
	// The group's last member goes: the group and its routes go too.
	r.mustFrame(delNH(1))
	r.want()
	if c := r.feed.Counters(); c.Groups != 0 || c.Nexthops != 0 || c.RoutesWithdrawn != 2 {
		t.Fatalf("counters %+v", c)
	}
}

func TestFeedBlackholeNexthop(t *testing.T) {
	r := newFeedRun(t, Options{})
	r.mustFrame(newNH(24, NexthopAttributes{Blackhole: true}))
	r.mustFrame(newRoute(254, "203.0.113.0/24", RouteAttributes{NexthopID: 24}))
	r.want(drop(254, "203.0.113.0/24", rib.Blackhole, 186))
}

func TestFeedSkips(t *testing.T) {
	r := newFeedRun(t, Options{})
	local := newRoute(255, "10.0.0.1/32", RouteAttributes{OutIface: 2})
	local.Route.Type = 2 // RTN_LOCAL
	bcast := newRoute(254, "10.0.0.255/32", RouteAttributes{OutIface: 2})
	bcast.Route.Type = 3 // RTN_BROADCAST
	src := newRoute(254, "2001:db8::/64", RouteAttributes{OutIface: 2})
	src.Route.SrcLength = 64
	empty := newRoute(254, "192.0.2.0/24", RouteAttributes{})
	us := r.mustFrame(local, delRoute(255, "10.0.0.1/32"), bcast, src, empty)
	r.want()
	for _, u := range us {
		if len(u.Set) != 0 {
			t.Fatalf("skipped routes were set: %v", u)
		}
	}
	c := r.feed.Counters()
	if c.SkippedLocalTable != 2 || c.SkippedType != 1 || c.SkippedSourcePrefix != 1 || c.SkippedNoNexthop != 1 {
		t.Fatalf("counters %+v", c)
	}
}

func TestFeedMasksPrefix(t *testing.T) {
	r := newFeedRun(t, Options{})
	m := newRoute(254, "192.0.2.0/24", RouteAttributes{Gateway: addr("10.0.0.2"), OutIface: 2})
	m.Route.Attributes.Dst = addr("192.0.2.77")
	r.mustFrame(m)
	r.want(uni(254, "192.0.2.0/24", 186, via("10.0.0.2", 2)))
}

func TestFeedSkipsBadMessages(t *testing.T) {
	r := newFeedRun(t, Options{})
	good := newRoute(254, "192.0.2.0/24", RouteAttributes{OutIface: 2})
	ipmr := newRoute(254, "192.0.2.0/24", RouteAttributes{})
	ipmr.Route.Family = 128 // RTNL_FAMILY_IPMR: a multicast route
	ipmr.Route.Attributes.Dst = netip.Addr{}

	payload := msgs(t, good)
	// An RTM_NEWNEIGH (28), a multicast route, a route with a bad attribute.
	neigh := []byte{
		0x14, 0x00, 0x00, 0x00, // nlmsg_len 20
		0x1c, 0x00, 0x01, 0x00, // RTM_NEWNEIGH, NLM_F_REQUEST
		0x00, 0x00, 0x00, 0x00, // seq
		0x00, 0x00, 0x00, 0x00, // pid
		0x07, 0x00, 0x00, 0x00, // ndm_family AF_BRIDGE, ...
	}
	bad := msgs(t, newRoute(254, "198.51.100.0/24", RouteAttributes{OutIface: 3}))
	bad[16+12+2] = 0x09 // RTA_DST becomes RTA_MULTIPATH holding 4 bytes: a short rtnexthop
	payload = append(payload, neigh...)
	payload = append(payload, msgs(t, ipmr)...)
	payload = append(payload, bad...)
	payload = append(payload, msgs(t, newRoute(254, "203.0.113.0/24", RouteAttributes{OutIface: 4}))...)

	err := r.feed.Frame(context.Background(), 1, payload)
	if !errors.Is(err, fpm.ErrSkip) {
		t.Fatalf("err = %v, want one matching fpm.ErrSkip", err)
	}
	var ze *Error
	if !errors.As(err, &ze) || ze.Type != 28 || !ze.Unsupported() {
		t.Fatalf("first error %v, want the unsupported RTM_NEWNEIGH", err)
	}
	if err := r.feed.Flush(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	// The good messages around the bad ones were handled.
	r.want(uni(254, "192.0.2.0/24", 186, via("", 2)), uni(254, "203.0.113.0/24", 186, via("", 4)))
	c := r.feed.Counters()
	if c.Unsupported != 2 || c.DecodeErrors != 1 || c.Messages != 5 {
		t.Fatalf("counters %+v", c)
	}

	// A netlink header that runs past the payload ends the frame.
	_, err = r.frame()
	if err != nil {
		t.Fatalf("empty frame: %v", err)
	}
	err = r.feed.Frame(context.Background(), 1, []byte{0xff, 0, 0, 0, 24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	if !errors.Is(err, fpm.ErrSkip) || !errors.Is(err, errShort) {
		t.Fatalf("bad nlmsg_len: err = %v", err)
	}
}

func TestFeedBatching(t *testing.T) {
	sink := newFakeSink(t)
	f := NewFeed(sink, Options{MaxBatch: 4})
	ctx := context.Background()
	f.Connected(ctx, 1, loopback)
	for i := range 6 {
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 1, byte(i), 0}), 24).String()
		if err := f.Frame(ctx, 1, msgs(t, newRoute(254, p, RouteAttributes{OutIface: 2}))); err != nil {
			t.Fatal(err)
		}
	}
	// The 4th frame filled a batch; a DEL+NEW frame at the bound stays in
	// one update.
	if len(sink.updates) != 1 || len(sink.updates[0].Set) != 4 {
		t.Fatalf("updates %v, want one of 4 routes", sink.updates)
	}
	if err := f.Frame(ctx, 1, msgs(t, delRoute(254, "10.1.0.0/24"),
		newRoute(254, "10.1.0.0/24", RouteAttributes{OutIface: 3}))); err != nil {
		t.Fatal(err)
	}
	if len(sink.updates) != 1 {
		t.Fatalf("%d updates, want the replace still pending", len(sink.updates))
	}
	if err := f.Flush(ctx, 1); err != nil {
		t.Fatal(err)
	}
	last := sink.updates[len(sink.updates)-1]
	if len(last.Del) != 0 || len(last.Set) != 3 {
		t.Fatalf("last update %v, want 3 sets and no delete", last)
	}
	if got := find(sink.state(), 254, "10.1.0.0/24"); got == nil || got.Paths[0].Ifindex != 3 {
		t.Fatalf("replaced route: %v", got)
	}
	// Set then Del of one key in one batch: only the Del remains.
	f.Frame(ctx, 1, msgs(t, newRoute(254, "10.9.0.0/24", RouteAttributes{OutIface: 2})))
	f.Frame(ctx, 1, msgs(t, delRoute(254, "10.9.0.0/24")))
	f.Flush(ctx, 1)
	if last := sink.updates[len(sink.updates)-1]; len(last.Set) != 0 || len(last.Del) != 1 {
		t.Fatalf("last update %v, want just the delete", last)
	}
	if c := f.Counters(); c.RoutesReplaced != 1 || c.RoutesSet != 7 || c.RoutesDeleted != 1 {
		t.Fatalf("counters %+v", c)
	}
}

func TestFeedReconnectDropsNexthops(t *testing.T) {
	r := newFeedRun(t, Options{})
	r.mustFrame(newNH(5, NexthopAttributes{OutIface: 2}))
	r.mustFrame(newRoute(254, "192.0.2.0/24", RouteAttributes{NexthopID: 5}))
	r.feed.Disconnected(1, nil)
	if err := r.feed.Connected(context.Background(), 2, loopback); err != nil {
		t.Fatal(err)
	}
	// Nexthop ids do not survive a reconnect.
	if err := r.feed.Frame(context.Background(), 2, msgs(t, newRoute(254, "198.51.100.0/24", RouteAttributes{NexthopID: 5}))); err != nil {
		t.Fatal(err)
	}
	if c := r.feed.Counters(); c.HeldNow != 1 || c.Nexthops != 0 || c.Connections != 2 {
		t.Fatalf("counters %+v", c)
	}
}

func TestFeedSinkError(t *testing.T) {
	r := newFeedRun(t, Options{})
	r.sink.err = errors.New("rib stopped")
	if err := r.feed.Frame(context.Background(), 1, msgs(t, newRoute(254, "192.0.2.0/24", RouteAttributes{OutIface: 2}))); err != nil {
		t.Fatal(err)
	}
	err := r.feed.Flush(context.Background(), 1)
	if err == nil || errors.Is(err, fpm.ErrSkip) || !errors.Is(err, r.sink.err) {
		t.Fatalf("Flush: %v, want the sink's error, not a skip", err)
	}
	if c := r.feed.Counters(); c.BatchErrors != 1 {
		t.Fatalf("counters %+v", c)
	}
}

func TestFeedReplayMarkers(t *testing.T) {
	sink := newFakeSink(t)
	f := NewFeed(sink, Options{})
	ctx := context.Background()
	f.Connected(ctx, 1, loopback)
	if err := f.Frame(ctx, 1, msgs(t, newRoute(254, "10.1.0.0/24", RouteAttributes{OutIface: 2}))); err != nil {
		t.Fatal(err)
	}
	// The route is pending (no Flush yet): Idle hands it on before the end
	// marker, so the sweep sees it renewed.
	if err := f.Idle(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := f.Idle(ctx, 1); err != nil { // a second quiet period: nothing more
		t.Fatal(err)
	}
	if want := []rib.Resync{rib.ResyncBegin, rib.ResyncEnd}; !slices.Equal(sink.marks, want) {
		t.Fatalf("marks %v, want %v", sink.marks, want)
	}
	if len(sink.updates) != 1 || len(sink.updates[0].Set) != 1 {
		t.Fatalf("updates %v", sink.updates)
	}
	if c := f.Counters(); c.Replays != 1 || c.ReplaysByTimeout != 0 {
		t.Fatalf("counters %+v", c)
	}
}

func TestFeedReplayMax(t *testing.T) {
	sink := newFakeSink(t)
	f := NewFeed(sink, Options{ReplayMax: time.Nanosecond})
	ctx := context.Background()
	f.Connected(ctx, 1, loopback)
	time.Sleep(time.Millisecond)
	if err := f.Frame(ctx, 1, msgs(t, newRoute(254, "10.1.0.0/24", RouteAttributes{OutIface: 2}))); err != nil {
		t.Fatal(err)
	}
	if err := f.Flush(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if want := []rib.Resync{rib.ResyncBegin, rib.ResyncEnd}; !slices.Equal(sink.marks, want) {
		t.Fatalf("marks %v, want %v", sink.marks, want)
	}
	if c := f.Counters(); c.Replays != 1 || c.ReplaysByTimeout != 1 {
		t.Fatalf("counters %+v", c)
	}
}

// TestFeedReusedNexthopID: zebra withdraws a nexthop and later gives its id
// to a different one (ids are not stable). Nothing of the old nexthop may
// stick to the id: a route naming it gets the new gateway, and the route
// that used the old one stays withdrawn until zebra sends it again.
func TestFeedReusedNexthopID(t *testing.T) {
	r := newFeedRun(t, Options{})
	r.mustFrame(newNH(7, NexthopAttributes{Gateway: addr("10.0.0.2"), OutIface: 2}))
	r.mustFrame(newRoute(254, "192.0.2.0/24", RouteAttributes{NexthopID: 7}))
	r.mustFrame(delNH(7))
	r.want()
	r.mustFrame(newNH(7, NexthopAttributes{Gateway: addr("10.0.1.9"), OutIface: 3}))
	r.want() // the id came back, the route did not
	r.mustFrame(newRoute(254, "198.51.100.0/24", RouteAttributes{NexthopID: 7}))
	r.want(uni(254, "198.51.100.0/24", 186, via("10.0.1.9", 3)))
	// Reused as a group with weights (UCMP).
	r.mustFrame(newNH(8, NexthopAttributes{Gateway: addr("10.0.0.3"), OutIface: 2}))
	r.mustFrame(delNH(7))
	r.mustFrame(newNH(7, NexthopAttributes{Group: []GroupMember{{ID: 8, Weight: 4}}}))
	r.mustFrame(newRoute(254, "198.51.100.0/24", RouteAttributes{NexthopID: 7}))
	r.want(uni(254, "198.51.100.0/24", 186, weighted(via("10.0.0.3", 2), 5)))
}
