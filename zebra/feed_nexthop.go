package zebra

import (
	"slices"

	"github.com/lcpfib/lcpfib/rib"
)

// newNexthop handles RTM_NEWNEXTHOP: a nexthop or group is added or
// replaced. Routes that use it, directly or through a group, are emitted
// again if it changed; routes held for it are released.
func (f *Feed) newNexthop(m *NexthopMessage) error {
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
	f.reemit(a.ID)
	return nil
}

// delNexthop handles RTM_DELNEXTHOP. As in the kernel, routes using the
// nexthop are deleted with it, and it leaves the groups that list it.
func (f *Feed) delNexthop(m *NexthopMessage) error {
	if m.Attributes.ID == 0 {
		return errNoID
	}
	f.deleteNexthop(m.Attributes.ID)
	return nil
}

func (f *Feed) deleteNexthop(id uint32) {
	groups := f.nh.dependents(id)[1:]
	f.nhmu.Lock()
	removed := f.nh.remove(id)
	f.nhmu.Unlock()
	if removed == nil {
		return
	}
	for _, key := range f.routesOf(id) {
		f.forget(key)
		f.batch.del(key)
		f.c.routesWithdrawn.Add(1)
	}
	for _, g := range groups {
		gn := f.nh.entries[g]
		if gn == nil {
			continue
		}
		left := slices.DeleteFunc(slices.Clone(gn.group), func(m member) bool { return m.id == id })
		if len(left) == 0 {
			f.deleteNexthop(g)
			continue
		}
		f.nhmu.Lock()
		f.nh.set(g, &nexthop{group: left})
		f.nhmu.Unlock()
		f.reemitRoutes(g)
	}
}

// reemit emits again the routes that use id directly or through a group.
func (f *Feed) reemit(id uint32) {
	f.reemitRoutes(f.nh.dependents(id)...)
}

// reemitRoutes emits again the routes that name one of ids.
func (f *Feed) reemitRoutes(ids ...uint32) {
	for _, key := range f.routesOf(ids...) {
		f.emit(key, false, true)
	}
}

// routesOf returns the routes that name one of ids. It scans the route
// index: a nexthop changes far less often than routes arrive, and an index
// from nexthop to routes would cost every route of a full table another
// map entry.
func (f *Feed) routesOf(ids ...uint32) []rib.Key {
	if len(f.routes) == 0 {
		return nil
	}
	var keys []rib.Key
	for pk, r := range f.routes {
		if slices.Contains(ids, r.nhid) {
			keys = append(keys, pk.Key())
		}
	}
	return keys
}
