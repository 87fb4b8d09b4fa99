package main

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/mdlayher/netlink"

	"github.com/lcpfib/lcpfib/fpm"
	"github.com/lcpfib/lcpfib/testbed/fulltable"
	"github.com/lcpfib/lcpfib/zebra"
)

// A probe is one route change whose latency is measured: from the moment
// its frame is written to the FPM socket to the moment VPP applied it
// (vppsim's change log) and to the moment lcpfib's install notification
// for it came back.
type probe struct {
	prefix   netip.Prefix
	sent     time.Time // guarded by feedConn.mu once watched
	notified time.Time // guarded by feedConn.mu
	failed   bool      // the notification said RTM_F_OFFLOAD_FAILED
	applied  time.Time // from the change log; zero with a real VPP
}

// probeBase is where probe prefixes are taken from: 198.18.0.0/15
// (RFC 2544 benchmarking) is outside what fulltable generates, and no
// table route is a /32, so probes never collide with the table.
var probeBase = netip.MustParseAddr("198.18.0.0")

// probeNexthopIDs are the nexthop ids of the two probe paths in
// nexthop-group mode, far above the ids the tables give out.
var probeNexthopIDs = [2]uint32{0x7fff0001, 0x7fff0002}

// prober builds the frames of the probe routes: /32s in probeBase that
// alternate between two paths, one per link.
type prober struct {
	nhg   bool
	paths [2]fulltable.Peer
	pfx   []netip.Prefix
}

func newProber(nhg bool, paths [2]fulltable.Peer, n int) *prober {
	p := &prober{nhg: nhg, paths: paths}
	a := probeBase
	for range n {
		p.pfx = append(p.pfx, netip.PrefixFrom(a, 32))
		a = a.Next()
	}
	return p
}

// probes returns fresh probe records for one round.
func (pr *prober) probes() []*probe {
	out := make([]*probe, len(pr.pfx))
	for i, p := range pr.pfx {
		out[i] = &probe{prefix: p}
	}
	return out
}

// nexthops returns the RTM_NEWNEXTHOP frames of the probe paths (none
// without nexthop groups).
func (pr *prober) nexthops() ([][]byte, error) {
	if !pr.nhg {
		return nil, nil
	}
	var out [][]byte
	for i, peer := range pr.paths {
		m := zebra.Message{
			Header: header(zebra.TypeNewNexthop, netlink.Request|zebra.FlagReplace|zebra.FlagCreate),
			Nexthop: &zebra.NexthopMessage{
				Family:   zebra.FamilyInet,
				Protocol: 11, // zebra's own
				Attributes: zebra.NexthopAttributes{
					ID: probeNexthopIDs[i], Gateway: peer.Gateway, OutIface: peer.Ifindex,
				},
			},
		}
		b, err := frame(m)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// route returns the RTM_NEWROUTE of probe prefix p through path via (0
// or 1), as bgpd's routes come from zebra.
func (pr *prober) route(p netip.Prefix, via int) ([]byte, error) {
	rm := routeMessage(p)
	rm.Type = zebra.RouteUnicast
	if pr.nhg {
		rm.Attributes.NexthopID = probeNexthopIDs[via]
	} else {
		rm.Attributes.Gateway, rm.Attributes.OutIface = pr.paths[via].Gateway, pr.paths[via].Ifindex
	}
	return frame(zebra.Message{Header: header(zebra.TypeNewRoute, netlink.Request|zebra.FlagReplace|zebra.FlagCreate), Route: rm})
}

// del returns the RTM_DELROUTE of probe prefix p.
func (pr *prober) del(p netip.Prefix) ([]byte, error) {
	return frame(zebra.Message{Header: header(zebra.TypeDelRoute, netlink.Request|zebra.FlagCreate), Route: routeMessage(p)})
}

func routeMessage(p netip.Prefix) *zebra.RouteMessage {
	return &zebra.RouteMessage{
		Family:    zebra.FamilyInet,
		DstLength: uint8(p.Bits()),
		Table:     uint8(zebra.TableMain),
		Protocol:  fulltable.DefaultProtocol,
		Attributes: zebra.RouteAttributes{
			Dst:      p.Addr(),
			Priority: fulltable.DefaultPriority,
		},
	}
}

func header(t netlink.HeaderType, f netlink.HeaderFlags) netlink.Header {
	return netlink.Header{Type: t, Flags: f, PID: fulltable.DefaultPID}
}

// frame encodes one message as an FPM frame.
func frame(m zebra.Message) ([]byte, error) {
	payload, err := zebra.MarshalMessages([]zebra.Message{m})
	if err != nil {
		return nil, fmt.Errorf("encoding probe: %w", err)
	}
	return fpm.Frame{Version: fpm.Version, Type: fpm.TypeNetlink, Payload: payload}.MarshalBinary()
}
