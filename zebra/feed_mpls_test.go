package zebra

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	"github.com/lcpfib/lcpfib/fpm"
	"github.com/lcpfib/lcpfib/rib"
	"github.com/mdlayher/netlink"
)

// golden returns the golden route message called name as a NEWROUTE (or,
// with del, a DELROUTE).
func golden(t *testing.T, name string, del bool) Message {
	t.Helper()
	for _, g := range goldenRoutes {
		if g.name == name {
			m := g.want
			h := netlink.Header{Type: TypeNewRoute, Flags: netlink.Request | FlagReplace | FlagCreate}
			if del {
				h = netlink.Header{Type: TypeDelRoute, Flags: netlink.Request | FlagCreate}
			}
			return Message{Header: h, Route: &m}
		}
	}
	t.Fatalf("no golden route %q", name)
	return Message{}
}

func labelled(p rib.Path, labels ...uint32) rib.Path {
	p.Labels = rib.MustLabels(labels...)
	return p
}

func lsp(label uint32, proto uint8, paths ...rib.Path) rib.Route {
	return rib.Route{Key: rib.LSPKey(254, label), Kind: rib.Unicast, Source: rib.SourceFRR,
		Protocol: proto, Paths: rib.SortedPaths(paths)}
}

func TestFeedLabelledRoutes(t *testing.T) {
	r := newFeedRun(t, Options{})
	r.mustFrame(golden(t, "labelled IPv4 route, single path", false),
		golden(t, "labelled IPv4 route, multipath", false))
	r.want(
		uni(254, "192.0.2.0/24", 196, labelled(via("10.0.0.2", 2), 100, 200)),
		uni(254, "198.51.100.0/24", 196, labelled(via("10.0.0.2", 2), 100), labelled(via("10.0.1.2", 3), 101)),
	)
	// The same route without labels is a change.
	r.mustFrame(newRoute(254, "192.0.2.0/24", RouteAttributes{Gateway: addr("10.0.0.2"), OutIface: 2}))
	if got := r.sink.routes[rib.Key{Table: 254, Prefix: prefix("192.0.2.0/24")}]; got.Paths[0].Labels.Len() != 0 {
		t.Fatalf("labels stayed: %v", got)
	}
}

func TestFeedLabelledNexthops(t *testing.T) {
	r := newFeedRun(t, Options{})
	l100 := []LSE{lse(100, false), lse(200, true)}
	r.mustFrame(
		newNH(20, NexthopAttributes{Gateway: addr("10.0.0.2"), OutIface: 2, EncapType: EncapMPLS, Encap: l100}),
		newNH(21, NexthopAttributes{Gateway: addr("10.0.1.2"), OutIface: 3, EncapType: EncapMPLS, Encap: []LSE{lse(101, true)}}),
		newNH(22, NexthopAttributes{Gateway: addr("10.0.2.2"), OutIface: 4}),
		newNH(30, NexthopAttributes{Group: []GroupMember{{ID: 21}, {ID: 22}}}),
		newRoute(254, "192.0.2.0/24", RouteAttributes{NexthopID: 20}),
		newRoute(254, "198.51.100.0/24", RouteAttributes{NexthopID: 30}),
	)
	want1 := uni(254, "192.0.2.0/24", 186, labelled(via("10.0.0.2", 2), 100, 200))
	r.want(want1, uni(254, "198.51.100.0/24", 186, labelled(via("10.0.1.2", 3), 101), via("10.0.2.2", 4)))

	// A new label stack under the same id re-emits the routes using it.
	us := r.mustFrame(newNH(21, NexthopAttributes{Gateway: addr("10.0.1.2"), OutIface: 3, EncapType: EncapMPLS,
		Encap: []LSE{lse(102, true)}}))
	if len(us) != 1 || len(us[0].Set) != 1 {
		t.Fatalf("updates %+v", us)
	}
	r.want(want1, uni(254, "198.51.100.0/24", 186, labelled(via("10.0.1.2", 3), 102), via("10.0.2.2", 4)))
	if c := r.feed.Counters(); c.NexthopChanges != 1 || c.RoutesReemitted != 1 {
		t.Fatalf("counters %+v", c)
	}
	// The same labels again change nothing.
	if us := r.mustFrame(newNH(21, NexthopAttributes{Gateway: addr("10.0.1.2"), OutIface: 3, EncapType: EncapMPLS,
		Encap: []LSE{lse(102, true)}})); len(us) != 0 {
		t.Fatalf("unchanged nexthop: %+v", us)
	}
}

func TestFeedLSPs(t *testing.T) {
	r := newFeedRun(t, Options{})
	r.mustFrame(
		golden(t, "LSP swap", false),
		golden(t, "LSP pop (implicit-null)", false),
		golden(t, "LSP multipath", false),
		golden(t, "LSP via an IPv6 nexthop, two labels", false),
	)
	swap := lsp(100, 196, labelled(via("10.0.0.2", 2), 200))
	pop := lsp(101, 196, via("10.0.0.2", 2))
	multi := lsp(102, 196, labelled(via("10.0.0.2", 2), 200), labelled(via("10.0.1.2", 3), 201))
	v6 := lsp(103, 196, labelled(via("2001:db8::2", 3), 300, 301))
	r.want(swap, pop, multi, v6)

	// An update is a NEWROUTE with NLM_F_REPLACE; a stack of only
	// implicit-null is a pop too.
	up := golden(t, "LSP swap", false)
	up.Route.Attributes.NewDst = []LSE{lse(rib.LabelImplicitNull, true)}
	us := r.mustFrame(up)
	if len(us) != 1 || len(us[0].Set) != 1 || len(us[0].Del) != 0 {
		t.Fatalf("update: %+v", us)
	}
	popped := lsp(100, 196, via("10.0.0.2", 2))
	r.want(popped, pop, multi, v6)

	// A DELROUTE alone withdraws the LSP.
	us = r.mustFrame(golden(t, "LSP delete", true))
	if len(us) != 1 || len(us[0].Del) != 1 || us[0].Del[0] != rib.LSPKey(254, 100) {
		t.Fatalf("delete: %+v", us)
	}
	r.want(pop, multi, v6)
	// A DELROUTE and NEWROUTE in one frame are one replace.
	us = r.mustFrame(golden(t, "LSP delete", true), golden(t, "LSP swap", false))
	if len(us) != 1 || len(us[0].Set) != 1 || len(us[0].Del) != 0 {
		t.Fatalf("replace: %+v", us)
	}
	r.want(swap, pop, multi, v6)
	c := r.feed.Counters()
	if c.RoutesSet != 5 || c.RoutesReplaced != 1 || c.RoutesDeleted != 1 || c.DecodeErrors != 0 {
		t.Fatalf("counters %+v", c)
	}

	// Reserved or missing incoming labels are malformed: counted, skipped.
	bad := golden(t, "LSP swap", false)
	bad.Route.Attributes.InLabel = lse(3, true)
	noDst := golden(t, "LSP swap", false)
	noDst.Route.Attributes.InLabel = 0
	err := r.feed.Frame(context.Background(), 1, msgs(t, bad, noDst))
	if !errors.Is(err, fpm.ErrSkip) || !errors.Is(err, errInLabel) {
		t.Fatalf("reserved label: err = %v", err)
	}
	if c := r.feed.Counters(); c.DecodeErrors != 2 {
		t.Fatalf("decode errors %d, want 2", c.DecodeErrors)
	}
	// An LSP with no usable path withdraws what the label had.
	none := golden(t, "LSP swap", false)
	none.Route.Attributes.Gateway, none.Route.Attributes.OutIface = netip.Addr{}, 0
	r.mustFrame(none)
	r.want(pop, multi, v6)
}
