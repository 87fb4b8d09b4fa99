package zebra

import (
	"slices"

	"github.com/lcpfib/lcpfib/rib"
)

// routeKey is the rib key of a route message.
func routeKey(rm *RouteMessage) (rib.Key, error) {
	p, err := rm.Prefix()
	if err != nil {
		return rib.Key{}, err
	}
	return rib.Key{Table: rm.TableID(), Prefix: p}, nil
}

// routeKind maps rtm_type to a rib kind; ok is false for the types that are
// not programmed (local, broadcast, multicast, throw, ...).
func routeKind(t uint8) (k rib.Kind, ok bool) {
	switch t {
	case RouteUnicast:
		return rib.Unicast, true
	case RouteBlackhole:
		return rib.Blackhole, true
	case RouteUnreachable:
		return rib.Unreachable, true
	case RouteProhibit:
		return rib.Prohibit, true
	}
	return 0, false
}

// newRoute handles RTM_NEWROUTE: a route is added or replaced. zebra sends
// the whole route every time, so a NEWROUTE always replaces what the key
// held, whatever its flags say (IPv6 routes come with NLM_F_CREATE alone,
// which the kernel would read as "append these nexthops").
func (f *Feed) newRoute(rm *RouteMessage) error {
	if rm.Family == FamilyMPLS {
		return f.newLSP(rm)
	}
	key, err := routeKey(rm)
	if err != nil {
		return err
	}
	if f.skipKey(key, rm) {
		return nil
	}
	replace := f.takeFrameDel(key)
	kind, ok := routeKind(rm.Type)
	if !ok {
		f.c.skippedType.Add(1)
		f.withdraw(key, replace)
		return nil
	}
	if kind != rib.Unicast {
		f.forget(key)
		f.set(rib.Route{Key: key, Kind: kind, Source: rib.SourceFRR, Protocol: rm.Protocol}, replace)
		return nil
	}
	if id := rm.Attributes.NexthopID; id != 0 {
		pk := key.Pack()
		r := f.takeAside(pk)
		r.nhid, r.protocol = id, rm.Protocol
		f.emit(key, pk, r, replace, false)
		return nil
	}
	f.forget(key)
	paths := f.directPaths(rm)
	if len(paths) == 0 {
		f.c.skippedNoNexthop.Add(1)
		f.withdraw(key, replace)
		return nil
	}
	route := rib.Route{Key: key, Kind: rib.Unicast, Source: rib.SourceFRR, Protocol: rm.Protocol, Paths: paths}
	if isConnected(&route) {
		f.skipConnected(key, replace)
		return nil
	}
	f.set(route, replace)
	return nil
}

// isConnected reports a connected route: rtm_protocol kernel with only
// interface nexthops, which is how zebra sends the subnets of interface
// addresses (and routes added with `ip route add PREFIX dev IF`). VPP makes
// its own attached and local entries from its interface addresses (lcpfib
// mirrors the Linux addresses there), so lcpfib does not program a second,
// API-owned copy.
func isConnected(r *rib.Route) bool {
	if r.Protocol != ProtoKernel || r.Kind != rib.Unicast || len(r.Paths) == 0 {
		return false
	}
	for _, p := range r.Paths {
		if p.Gateway.IsValid() {
			return false
		}
	}
	return true
}

// skipConnected counts a connected route and withdraws whatever its key
// held before (a route can turn into a connected one).
func (f *Feed) skipConnected(key rib.Key, replace bool) {
	f.c.skippedConnected.Add(1)
	f.batch.del(key)
	if replace {
		f.c.routesDeleted.Add(1)
	}
}

// delRoute handles RTM_DELROUTE, which carries only rtmsg, RTA_DST and
// RTA_PRIORITY. It is counted at the end of the frame unless a NEWROUTE for
// the same key follows in the same frame.
func (f *Feed) delRoute(rm *RouteMessage) error {
	if rm.Family == FamilyMPLS {
		return f.delLSP(rm)
	}
	key, err := routeKey(rm)
	if err != nil {
		return err
	}
	if f.skipKey(key, rm) {
		return nil
	}
	f.forget(key)
	f.batch.del(key)
	f.frameDels = append(f.frameDels, key)
	return nil
}

// skipKey reports (and counts) routes that are never programmed, whatever
// their type.
func (f *Feed) skipKey(key rib.Key, rm *RouteMessage) bool {
	switch {
	case key.Table == TableLocal:
		f.c.skippedLocal.Add(1)
		return true
	case rm.SrcLength != 0:
		f.c.skippedSource.Add(1)
		return true
	}
	return false
}

// takeFrameDel reports whether the current frame deleted key before, and
// if so turns that delete into part of a replace.
func (f *Feed) takeFrameDel(key rib.Key) bool {
	i := slices.Index(f.frameDels, key)
	if i < 0 {
		return false
	}
	f.frameDels = slices.Delete(f.frameDels, i, i+1)
	return true
}

// set stages a route from a NEWROUTE.
func (f *Feed) set(r rib.Route, replace bool) {
	f.batch.set(r)
	if replace {
		f.c.routesReplaced.Add(1)
	} else {
		f.c.routesSet.Add(1)
	}
}

// withdraw stages a Del for a NEWROUTE that cannot be programmed: whatever
// the key held before is no longer what zebra wants.
func (f *Feed) withdraw(key rib.Key, replace bool) {
	f.forget(key)
	f.batch.del(key)
	if replace {
		f.c.routesDeleted.Add(1) // the frame's DELROUTE stands
	} else {
		f.c.routesWithdrawn.Add(1)
	}
}

// weight converts rtnh_hops to a rib weight.
func (f *Feed) weight(hops uint8) uint32 {
	if f.opts.LegacyWeights {
		return max(uint32(hops), 1)
	}
	return uint32(hops) + 1
}

// directPaths reads the nexthops of a route sent without nexthop groups:
// RTA_MULTIPATH, or RTA_GATEWAY (RTA_VIA) and RTA_OIF. The labels of an IP
// route's path are the ones it pushes (RTA_ENCAP); an LSP's are the ones
// it swaps to (RTA_NEWDST).
func (f *Feed) directPaths(rm *RouteMessage) []rib.Path {
	lsp := rm.Family == FamilyMPLS
	a := &rm.Attributes
	if len(a.Multipath) > 0 {
		paths := make([]rib.Path, 0, len(a.Multipath))
		for _, nh := range a.Multipath {
			if !nh.Gateway.IsValid() && nh.Ifindex == 0 {
				continue
			}
			labels := nh.Encap
			if lsp {
				labels = nh.NewDst
			}
			paths = append(paths, rib.Path{Gateway: nh.Gateway, Ifindex: nh.Ifindex, Weight: f.weight(nh.Hops),
				Labels: pathLabels(labels)})
		}
		return paths
	}
	if a.Gateway.IsValid() || a.OutIface != 0 {
		labels := a.Encap
		if lsp {
			labels = a.NewDst
		}
		return []rib.Path{{Gateway: a.Gateway, Ifindex: a.OutIface, Weight: 1, Labels: pathLabels(labels)}}
	}
	return nil
}

// takeAside removes pk from the routes set aside and returns what was
// known of it; the count of held routes is left to the caller.
func (f *Feed) takeAside(pk rib.Packed) nhgRoute {
	if len(f.aside) == 0 {
		return nhgRoute{}
	}
	r, ok := f.aside[pk]
	if ok {
		delete(f.aside, pk)
	}
	return r
}

// forget drops what is known about a route that names a nexthop id.
func (f *Feed) forget(key rib.Key) {
	if len(f.aside) == 0 {
		return
	}
	if r := f.takeAside(key.Pack()); r.held {
		f.held--
	}
}

// emit stages a route that names a nexthop id (r.nhid), resolved through
// the nexthop table; pk is key packed, and the caller took key out of the
// routes set aside. A route whose nexthop is not known is held: withdrawn
// until the nexthop arrives. reemit says the call comes from a nexthop
// change rather than from a NEWROUTE.
func (f *Feed) emit(key rib.Key, pk rib.Packed, r nhgRoute, replace, reemit bool) {
	kind, paths, ok := f.nh.resolve(r.nhid)
	if !ok {
		if !r.held {
			r.held = true
			f.held++
			f.c.routesHeld.Add(1)
		}
		f.aside[pk] = r
		f.batch.del(key)
		if replace {
			f.c.routesDeleted.Add(1)
		}
		return
	}
	if r.held {
		r.held = false
		f.held--
		f.c.routesReleased.Add(1)
	}
	route := rib.Route{Key: key, Kind: kind, Source: rib.SourceFRR, Protocol: r.protocol, NexthopID: r.nhid, Paths: paths}
	if isConnected(&route) {
		f.aside[pk] = r // not handed on, so the sink cannot list it
		f.skipConnected(key, replace)
		return
	}
	if f.index == nil {
		f.aside[pk] = r
	}
	if reemit {
		f.batch.set(route)
		f.c.routesReemitted.Add(1)
		return
	}
	f.set(route, replace)
}
