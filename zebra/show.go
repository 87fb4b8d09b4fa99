package zebra

import (
	"slices"

	"github.com/lcpfib/lcpfib/rib"
)

// NexthopInfo is one entry of zebra's nexthop table on the current
// connection, as NexthopGroups shows it.
type NexthopInfo struct {
	ID        uint32
	Blackhole bool
	// Members are a group's member ids and weights; nil for a single
	// nexthop.
	Members []Member
	// Paths are what a route naming ID forwards along; nil when a member
	// is not known (yet) and routes naming ID are held.
	Paths []rib.Path
}

// Member is one member of a nexthop group, with its real weight.
type Member struct {
	ID     uint32
	Weight uint32
}

// NexthopGroups returns zebra's nexthop table of the current (or last)
// connection, sorted by id. It is safe to call at any time.
func (f *Feed) NexthopGroups() []NexthopInfo {
	f.nhmu.RLock()
	defer f.nhmu.RUnlock()
	out := make([]NexthopInfo, 0, len(f.nh.entries))
	for id, n := range f.nh.entries {
		ni := NexthopInfo{ID: id, Blackhole: n.blackhole}
		if n.group != nil {
			ni.Members = make([]Member, len(n.group))
			for i, m := range n.group {
				ni.Members[i] = Member{ID: m.id, Weight: m.weight}
			}
		}
		if kind, paths, ok := f.nh.expand(id); ok { // not resolve: its cache belongs to the owner
			ni.Blackhole = kind == rib.Blackhole
			ni.Paths = paths
		}
		out = append(out, ni)
	}
	slices.SortFunc(out, func(a, b NexthopInfo) int { return int(int64(a.ID) - int64(b.ID)) })
	return out
}
