package fulltable

import (
	"fmt"
	"iter"
	"net/netip"

	"github.com/lcpfib/lcpfib/fpm"
	"github.com/lcpfib/lcpfib/rib"
	"github.com/lcpfib/lcpfib/zebra"
	"github.com/mdlayher/netlink"
)

// Frame is one FPM frame of a generated table.
type Frame struct {
	// Bytes is the whole frame, FPM header included, holding one netlink
	// message. It is valid only until the loop that received it goes on.
	Bytes []byte
	// Type is the netlink message's type: zebra.TypeNewNexthop,
	// TypeNewRoute or TypeDelRoute.
	Type netlink.HeaderType
}

// Header flags as FRR 8.4 sets them (see the captures' README):
// NEWNEXTHOP and IPv4 NEWROUTE 0x501, IPv6 NEWROUTE 0x401, DELROUTE 0x401.
const (
	flagsReplace = netlink.Request | zebra.FlagReplace | zebra.FlagCreate
	flagsCreate  = netlink.Request | zebra.FlagCreate
)

// nexthopProtocol is nh_protocol: zebra marks every nexthop it sends as
// its own (RTPROT_ZEBRA).
const nexthopProtocol = 11

// Load yields what zebra sends on a fresh connection: in nexthop-group
// mode every nexthop and then every group (RTM_NEWNEXTHOP), then every
// route (RTM_NEWROUTE), IPv4 first. It stops at the first error, which
// only a Config the encoders refuse can cause.
func (t *Table) Load() iter.Seq2[Frame, error] {
	return func(yield func(Frame, error) bool) {
		e := t.newEncoder()
		if t.cfg.NexthopGroups && !e.nexthops(yield) {
			return
		}
		e.routes(yield, false)
	}
}

// Withdrawals yields an RTM_DELROUTE for each route withdrawn after the
// load (Config.Withdraw of them), in load order. The nexthops stay, as
// zebra keeps unused nexthop groups for a while.
func (t *Table) Withdrawals() iter.Seq2[Frame, error] {
	return func(yield func(Frame, error) bool) {
		e := t.newEncoder()
		for _, f := range t.fams {
			if f.wdn == 0 {
				continue
			}
			for j := range f.n {
				if !f.withdrawn(j) {
					continue
				}
				p, _ := f.route(j)
				if !e.yield(yield, zebra.TypeDelRoute, e.delRoute(f, p)) {
					return
				}
			}
		}
	}
}

// Replay yields what zebra sends when it reconnects after the load and
// the withdrawals: every nexthop and group again, with the same ids, then
// the routes that were not withdrawn.
func (t *Table) Replay() iter.Seq2[Frame, error] {
	return func(yield func(Frame, error) bool) {
		e := t.newEncoder()
		if t.cfg.NexthopGroups && !e.nexthops(yield) {
			return
		}
		e.routes(yield, true)
	}
}

// Expected yields the routes a receiver holds once it has taken the load
// and the withdrawals (or the replay), as package zebra's Feed hands them
// to the rib: source FRR, one path of weight 1 per peer. Routes with the
// same nexthops share their Paths slice, which must not be modified.
func (t *Table) Expected() iter.Seq[rib.Route] {
	return func(yield func(rib.Route) bool) {
		for _, f := range t.fams {
			for j := range f.n {
				if f.withdrawn(j) {
					continue
				}
				p, s := f.route(j)
				r := rib.Route{
					Key:      rib.Key{Table: t.cfg.Table, Prefix: p},
					Kind:     rib.Unicast,
					Source:   rib.SourceFRR,
					Protocol: t.cfg.Protocol,
					Paths:    s.paths,
				}
				if !yield(r) {
					return
				}
			}
		}
	}
}

// ExpectedRoutes collects Expected, in load order. For a full table that
// is about 90 MB; prefer Expected where a stream will do.
func (t *Table) ExpectedRoutes() []rib.Route {
	var n int
	for _, f := range t.fams {
		n += int(f.n - f.wdn)
	}
	rs := make([]rib.Route, 0, n)
	for r := range t.Expected() {
		rs = append(rs, r)
	}
	return rs
}

// encoder builds frames into one reused buffer.
type encoder struct {
	t   *Table
	buf []byte
	ms  [1]zebra.Message
	rm  zebra.RouteMessage
	nm  zebra.NexthopMessage
}

func (t *Table) newEncoder() *encoder {
	return &encoder{t: t, buf: make([]byte, 0, 256)}
}

// yield encodes one message as a frame and hands it on; it reports
// whether to go on.
func (e *encoder) yield(yield func(Frame, error) bool, typ netlink.HeaderType, m zebra.Message) bool {
	e.ms[0] = m
	payload, err := zebra.MarshalMessages(e.ms[:])
	if err == nil {
		fr := fpm.Frame{Version: fpm.Version, Type: fpm.TypeNetlink, Payload: payload}
		e.buf, err = fr.AppendBinary(e.buf[:0])
	}
	if err != nil {
		yield(Frame{}, fmt.Errorf("fulltable: encoding %s: %w", describe(m), err))
		return false
	}
	return yield(Frame{Bytes: e.buf, Type: typ}, nil)
}

// nexthops yields every nexthop and group.
func (e *encoder) nexthops(yield func(Frame, error) bool) bool {
	for _, nh := range e.t.nhs {
		e.nm = zebra.NexthopMessage{Family: nh.af, Protocol: nexthopProtocol}
		a := &e.nm.Attributes
		a.ID = nh.id
		if nh.members != nil {
			a.Group = make([]zebra.GroupMember, len(nh.members))
			for i, id := range nh.members {
				a.Group[i] = zebra.GroupMember{ID: id} // weight 0: equal cost
			}
		} else {
			a.Gateway, a.OutIface = nh.peer.Gateway, nh.peer.Ifindex
		}
		m := zebra.Message{
			Header:  e.header(zebra.TypeNewNexthop, flagsReplace),
			Nexthop: &e.nm,
		}
		if !e.yield(yield, zebra.TypeNewNexthop, m) {
			return false
		}
	}
	return true
}

// routes yields every route, or with skipWithdrawn those not withdrawn.
func (e *encoder) routes(yield func(Frame, error) bool, skipWithdrawn bool) bool {
	for _, f := range e.t.fams {
		flags := flagsReplace
		if f.af == zebra.FamilyInet6 {
			flags = flagsCreate
		}
		for j := range f.n {
			if skipWithdrawn && f.withdrawn(j) {
				continue
			}
			p, s := f.route(j)
			e.route(f, p)
			e.rm.Type = zebra.RouteUnicast
			a := &e.rm.Attributes
			switch {
			case e.t.cfg.NexthopGroups:
				a.NexthopID = s.id
			case s.multipath != nil:
				a.Multipath = s.multipath
			default:
				a.Gateway, a.OutIface = s.paths[0].Gateway, s.paths[0].Ifindex
			}
			m := zebra.Message{Header: e.header(zebra.TypeNewRoute, flags), Route: &e.rm}
			if !e.yield(yield, zebra.TypeNewRoute, m) {
				return false
			}
		}
	}
	return true
}

// delRoute is the RTM_DELROUTE for p: rtmsg, RTA_DST and RTA_PRIORITY.
func (e *encoder) delRoute(f *family, p netip.Prefix) zebra.Message {
	e.route(f, p)
	return zebra.Message{Header: e.header(zebra.TypeDelRoute, flagsCreate), Route: &e.rm}
}

// route resets the route message to p's rtmsg, RTA_DST, RTA_PRIORITY and,
// for tables above 255, RTA_TABLE.
func (e *encoder) route(f *family, p netip.Prefix) {
	cfg := &e.t.cfg
	e.rm = zebra.RouteMessage{
		Family:    f.af,
		DstLength: uint8(p.Bits()),
		Protocol:  cfg.Protocol,
		Attributes: zebra.RouteAttributes{
			Dst:      p.Addr(),
			Priority: cfg.Priority,
		},
	}
	if cfg.Table < 256 {
		e.rm.Table = uint8(cfg.Table)
	} else {
		e.rm.Attributes.Table = cfg.Table // rtm_table stays RT_TABLE_UNSPEC
	}
}

func (e *encoder) header(typ netlink.HeaderType, flags netlink.HeaderFlags) netlink.Header {
	return netlink.Header{Type: typ, Flags: flags, PID: e.t.cfg.PID}
}

// describe names a message for an error.
func describe(m zebra.Message) string {
	switch {
	case m.Route != nil:
		p, _ := m.Route.Prefix()
		return fmt.Sprintf("route %s", p)
	case m.Nexthop != nil:
		return fmt.Sprintf("nexthop %d", m.Nexthop.Attributes.ID)
	}
	return "message"
}
