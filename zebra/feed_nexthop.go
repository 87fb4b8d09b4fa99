package zebra

import (
	"context"
	"fmt"
	"slices"

	"github.com/lcpfib/lcpfib/rib"
)

// newNexthop handles RTM_NEWNEXTHOP: a nexthop or group is added or
// replaced. Routes that use it, directly or through a group, are emitted
// again if it changed; routes held for it are released.
func (f *Feed) newNexthop(ctx context.Context, m *NexthopMessage) error {
	a := &m.Attributes
	if a.ID == 0 {
		return errNoID
	}
	n := &nexthop{}
	switch {
	case len(a.Group) > 0:
		n.group = make([]member, len(a.Group))
		for i, g := range a.Group {
			n.group[i] = member{id: g.ID, weight: uint32(g.Weight) + 1}
		}
	case a.Blackhole:
		n.blackhole = true
	case a.Gateway.IsValid() || a.OutIface != 0:
		n.gateway, n.ifindex, n.labels = a.Gateway, a.OutIface, pathLabels(a.Encap)
	default:
		return errEmpty
	}
	f.nhmu.Lock()
	old := f.nh.set(a.ID, n)
	f.nhmu.Unlock()
	if old != nil {
		if old.equal(n) {
			return nil
		}
		f.c.nexthopChanges.Add(1)
	} else if f.held == 0 {
		// A new id: only held routes can name it (any route naming an
		// unknown id is held), and there are none. This keeps a new
		// group from costing a scan of the route index.
		return nil
	}
	return f.reemit(ctx, a.ID)
}

// delNexthop handles RTM_DELNEXTHOP. As in the kernel, routes using the
// nexthop are deleted with it, and it leaves the groups that list it.
func (f *Feed) delNexthop(ctx context.Context, m *NexthopMessage) error {
	if m.Attributes.ID == 0 {
		return errNoID
	}
	return f.deleteNexthop(ctx, m.Attributes.ID)
}

func (f *Feed) deleteNexthop(ctx context.Context, id uint32) error {
	groups := f.nh.dependents(id)[1:]
	f.nhmu.Lock()
	removed := f.nh.remove(id)
	f.nhmu.Unlock()
	if removed == nil {
		return nil
	}
	refs, err := f.routesOf(ctx, id)
	if err != nil {
		return err
	}
	for _, ref := range refs {
		f.forget(ref.key)
		f.batch.del(ref.key)
		f.c.routesWithdrawn.Add(1)
	}
	for _, g := range groups {
		gn := f.nh.entries[g]
		if gn == nil {
			continue
		}
		left := slices.DeleteFunc(slices.Clone(gn.group), func(m member) bool { return m.id == id })
		if len(left) == 0 {
			if err := f.deleteNexthop(ctx, g); err != nil {
				return err
			}
			continue
		}
		f.nhmu.Lock()
		f.nh.set(g, &nexthop{group: left})
		f.nhmu.Unlock()
		if err := f.reemitRoutes(ctx, g); err != nil {
			return err
		}
	}
	return nil
}

// reemit emits again the routes that use id directly or through a group.
func (f *Feed) reemit(ctx context.Context, id uint32) error {
	return f.reemitRoutes(ctx, f.nh.dependents(id)...)
}

// reemitRoutes emits again the routes that name one of ids.
func (f *Feed) reemitRoutes(ctx context.Context, ids ...uint32) error {
	refs, err := f.routesOf(ctx, ids...)
	if err != nil {
		return err
	}
	for _, ref := range refs {
		pk := ref.key.Pack()
		f.takeAside(pk) // ref.r is what it held
		f.emit(ref.key, pk, ref.r, false, true)
	}
	return nil
}

// nhgRef is a route that names a nexthop id.
type nhgRef struct {
	key rib.Key
	r   nhgRoute
}

// routesOf returns the routes that name one of ids: those the sink holds
// (asked of it when it is a NexthopIndex) as the pending batch changes
// them, and those set aside. A nexthop changes far less often than routes
// arrive, so this costs a scan of the table rather than an index from
// nexthop to routes (another map entry for every route of a full table).
func (f *Feed) routesOf(ctx context.Context, ids ...uint32) ([]nhgRef, error) {
	var out []nhgRef
	if f.index != nil {
		held, err := f.index.RoutesByNexthop(ctx, rib.SourceFRR, ids)
		if err != nil {
			return nil, &sinkError{err: fmt.Errorf("zebra: listing the routes of nexthops %v: %w", ids, err)}
		}
		for _, ref := range held {
			if _, pending := f.batch.index[ref.Key]; pending {
				continue // the batch says what it is now; see below
			}
			out = append(out, nhgRef{key: ref.Key, r: nhgRoute{nhid: ref.NexthopID, protocol: ref.Protocol}})
		}
		for _, c := range f.batch.ops {
			if !c.del && c.route.NexthopID != 0 && slices.Contains(ids, c.route.NexthopID) {
				out = append(out, nhgRef{key: c.route.Key, r: nhgRoute{nhid: c.route.NexthopID, protocol: c.route.Protocol}})
			}
		}
	}
	for pk, r := range f.aside {
		if slices.Contains(ids, r.nhid) {
			out = append(out, nhgRef{key: pk.Key(), r: r})
		}
	}
	return out, nil
}
