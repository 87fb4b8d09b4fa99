package zebra

import (
	"net/netip"
	"slices"

	"github.com/lcpfib/lcpfib/rib"
)

// nexthop is one entry of zebra's nexthop table: a single nexthop or, when
// group is not nil, a group of single nexthops.
type nexthop struct {
	gateway   netip.Addr
	ifindex   uint32
	blackhole bool
	labels    rib.Labels // NHA_ENCAP: the label stack pushed
	group     []member
}

// member is a group member with its real weight (wire value + 1).
type member struct {
	id     uint32
	weight uint32
}

func (n *nexthop) equal(o *nexthop) bool {
	return n.gateway == o.gateway && n.ifindex == o.ifindex && n.blackhole == o.blackhole && n.labels == o.labels &&
		(n.group == nil) == (o.group == nil) && slices.Equal(n.group, o.group)
}

// nexthopTable is the nexthop table of one zebra connection, with the
// indexes needed to find the routes to re-emit when an entry changes.
type nexthopTable struct {
	entries  map[uint32]*nexthop
	groupsOf map[uint32]map[uint32]struct{} // member id -> groups listing it
	groups   int                            // entries that are groups
	// resolved caches resolve's answers until the table changes: the
	// routes of a table load name a few dozen ids, and share their paths.
	resolved map[uint32]resolution
}

type resolution struct {
	kind  rib.Kind
	paths []rib.Path
	ok    bool
}

func newNexthopTable() nexthopTable {
	return nexthopTable{
		entries:  make(map[uint32]*nexthop),
		groupsOf: make(map[uint32]map[uint32]struct{}),
		resolved: make(map[uint32]resolution),
	}
}

// set stores n under id and returns what it replaced.
func (t *nexthopTable) set(id uint32, n *nexthop) (old *nexthop) {
	clear(t.resolved)
	old = t.remove(id)
	t.entries[id] = n
	if n.group != nil {
		t.groups++
		for _, m := range n.group {
			s := t.groupsOf[m.id]
			if s == nil {
				s = make(map[uint32]struct{})
				t.groupsOf[m.id] = s
			}
			s[id] = struct{}{}
		}
	}
	return old
}

// remove deletes id and returns what it held.
func (t *nexthopTable) remove(id uint32) *nexthop {
	old := t.entries[id]
	if old == nil {
		return nil
	}
	clear(t.resolved)
	delete(t.entries, id)
	if old.group != nil {
		t.groups--
		for _, m := range old.group {
			if s := t.groupsOf[m.id]; s != nil {
				delete(s, id)
				if len(s) == 0 {
					delete(t.groupsOf, m.id)
				}
			}
		}
	}
	return old
}

// dependents returns id and the groups that list it: the ids whose routes
// change when id changes.
func (t *nexthopTable) dependents(id uint32) []uint32 {
	ids := []uint32{id}
	for g := range t.groupsOf[id] {
		ids = append(ids, g)
	}
	return ids
}

// resolve expands id into what a route naming it does: a blackhole, or
// unicast along paths. ok is false when id or one of its members is not
// known (yet), or the group is malformed (empty, or nested, which the
// kernel does not allow either). The routes naming id share paths: it must
// not be modified.
func (t *nexthopTable) resolve(id uint32) (kind rib.Kind, paths []rib.Path, ok bool) {
	if r, hit := t.resolved[id]; hit {
		return r.kind, r.paths, r.ok
	}
	kind, paths, ok = t.expand(id)
	t.resolved[id] = resolution{kind: kind, paths: paths, ok: ok}
	return kind, paths, ok
}

// expand is resolve without the cache.
func (t *nexthopTable) expand(id uint32) (kind rib.Kind, paths []rib.Path, ok bool) {
	n := t.entries[id]
	switch {
	case n == nil:
		return 0, nil, false
	case n.group == nil && n.blackhole:
		return rib.Blackhole, nil, true
	case n.group == nil:
		return rib.Unicast, []rib.Path{{Gateway: n.gateway, Ifindex: n.ifindex, Weight: 1, Labels: n.labels}}, true
	case len(n.group) == 0:
		return 0, nil, false
	}
	paths = make([]rib.Path, 0, len(n.group))
	for _, m := range n.group {
		mn := t.entries[m.id]
		if mn == nil || mn.group != nil {
			return 0, nil, false
		}
		if mn.blackhole {
			return rib.Blackhole, nil, true
		}
		// A single nexthop has weight 1, so the member's weight is the
		// path's.
		paths = append(paths, rib.Path{Gateway: mn.gateway, Ifindex: mn.ifindex, Weight: m.weight, Labels: mn.labels})
	}
	return rib.Unicast, paths, true
}
