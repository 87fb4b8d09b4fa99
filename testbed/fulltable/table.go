package fulltable

import (
	"fmt"
	"math"
	"net/netip"
	"sort"

	"github.com/lcpfib/lcpfib/rib"
	"github.com/lcpfib/lcpfib/zebra"
)

// A Table is a generated routing table. It is immutable and holds only the
// parameters of its permutations and its few nexthops, not its routes;
// its methods may be called from several goroutines at once.
type Table struct {
	cfg  Config
	fams []*family // IPv4 then IPv6, those with prefixes
	nhs  []nexthop // in the order zebra sends them: single nexthops, then groups
}

// family is the half of the table of one address family. Its routes are
// numbered twice: canonically (k), grouped by prefix length in mix order,
// and by position (j), the order they are sent in; pos maps j to k.
type family struct {
	af       uint8 // zebra.FamilyInet or FamilyInet6
	n        uint64
	lengths  []lengthRun
	pos      perm
	pathKey  uint64
	withdraw perm   // route j is withdrawn when withdraw.at(j) < wdn
	wdn      uint64 // how many are withdrawn
	peers    []Peer
	ecmp     uint64 // ECMP threshold on 32 hash bits
	maxPaths int
	sets     map[uint64]*pathSet // by peer mask
}

// lengthRun is the canonical routes of one prefix length: start, start+1,
// ..., start+count-1, drawn without repetition from blocks through pick.
type lengthRun struct {
	LengthCount
	start  uint64
	blocks blocks
	pick   perm
}

// pathSet is the nexthop of a route: one peer or a group of them.
type pathSet struct {
	mask      uint64
	id        uint32 // nexthop id: the single nexthop's or the group's
	paths     []rib.Path
	multipath []zebra.NextHop // for RTA_MULTIPATH; nil for a single path
}

// nexthop is one RTM_NEWNEXTHOP zebra sends in nexthop-group mode.
type nexthop struct {
	af      uint8 // of a single nexthop; FamilyUnspec for a group
	id      uint32
	peer    Peer
	members []uint32 // group member ids
}

// New checks cfg and returns its table. It walks the table once to give
// out nexthop ids in the order the routes first use them, which for a
// full table takes a few tens of milliseconds.
func New(cfg Config) (*Table, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("fulltable: %w", err)
	}
	t := &Table{cfg: cfg}
	k := keys{state: cfg.Seed}
	specs := []struct {
		af       uint8
		n        int
		counts   []LengthCount
		universe netip.Prefix
		bogons   []netip.Prefix
		width    int
		peers    []Peer
	}{
		{zebra.FamilyInet, cfg.V4, v4Counts(cfg.V4), universe4, bogons4, width4, cfg.V4Peers},
		{zebra.FamilyInet6, cfg.V6, v6Counts(cfg.V6), universe6, bogons6, width6, cfg.V6Peers},
	}
	for _, s := range specs {
		// Keys are drawn for both families whatever their sizes, so that
		// one family's routes do not change with the other's count.
		f := &family{
			af:       s.af,
			n:        uint64(s.n),
			pathKey:  k.next(),
			peers:    s.peers,
			ecmp:     uint64(math.Round(cfg.ECMP * (1 << 32))),
			maxPaths: min(cfg.MaxPaths, len(s.peers)),
			sets:     make(map[uint64]*pathSet),
		}
		f.pos = newPerm(f.n, &k)
		f.withdraw = newPerm(f.n, &k)
		f.wdn = uint64(math.Round(cfg.Withdraw * float64(s.n)))
		space := allowed(s.universe, s.bogons, s.width)
		var start uint64
		for _, c := range s.counts {
			bl, err := newBlocks(space, s.width, c.Bits)
			if err != nil {
				return nil, fmt.Errorf("fulltable: %w", err)
			}
			if uint64(c.Count) > bl.n {
				return nil, fmt.Errorf("fulltable: %d prefixes of /%d asked, public space holds %d",
					c.Count, c.Bits, bl.n)
			}
			f.lengths = append(f.lengths, lengthRun{LengthCount: c, start: start, blocks: bl, pick: newPerm(bl.n, &k)})
			start += uint64(c.Count)
		}
		if s.n > 0 {
			t.fams = append(t.fams, f)
		}
	}
	if err := t.assignNexthops(); err != nil {
		return nil, fmt.Errorf("fulltable: %w", err)
	}
	return t, nil
}

// Config returns the configuration the table was made from.
func (t *Table) Config() Config { return t.cfg }

// assignNexthops finds the path sets the routes use and gives them
// nexthop ids as zebra would: one id space for single nexthops and groups,
// counting up from FirstNexthopID. Single nexthops come first, IPv4 peers
// then IPv6 in the order configured; then groups, in the order the load
// first uses them. A group lists its members in peer order, as zebra keeps
// them sorted.
func (t *Table) assignNexthops() error {
	var groups []*pathSet
	var groupFam []int                  // index into t.fams of each group
	used := make([]uint64, len(t.fams)) // union of the masks of each family
	for fi, f := range t.fams {
		for j := range f.n {
			m := f.pathMask(f.pos.at(j))
			used[fi] |= m
			if _, ok := f.sets[m]; ok {
				continue
			}
			s := &pathSet{mask: m}
			f.sets[m] = s
			if m&(m-1) != 0 {
				groups = append(groups, s)
				groupFam = append(groupFam, fi)
			}
		}
	}
	next := uint64(t.cfg.FirstNexthopID)
	newID := func() (uint32, error) {
		if next > math.MaxUint32 {
			return 0, fmt.Errorf("first nexthop id %d leaves no room for %d nexthops",
				t.cfg.FirstNexthopID, len(t.nhs)+1)
		}
		next++
		return uint32(next - 1), nil
	}
	single := make([]map[int]uint32, len(t.fams)) // peer index -> id
	for fi, f := range t.fams {
		single[fi] = make(map[int]uint32)
		for pi, p := range f.peers {
			if used[fi]&(1<<pi) == 0 {
				continue
			}
			id, err := newID()
			if err != nil {
				return err
			}
			single[fi][pi] = id
			t.nhs = append(t.nhs, nexthop{af: f.af, id: id, peer: p})
		}
	}
	for fi, f := range t.fams {
		for m, s := range f.sets {
			for pi, p := range f.peers {
				if m&(1<<pi) != 0 {
					s.paths = append(s.paths, rib.Path{Gateway: p.Gateway, Ifindex: p.Ifindex, Weight: 1})
				}
			}
			if m&(m-1) == 0 {
				s.id = single[fi][f.peerIndex(m)]
				continue
			}
			s.multipath = make([]zebra.NextHop, len(s.paths))
			for i, p := range s.paths {
				s.multipath[i] = zebra.NextHop{Ifindex: p.Ifindex, Gateway: p.Gateway} // Hops 0: weight 1
			}
		}
	}
	for gi, s := range groups {
		id, err := newID()
		if err != nil {
			return err
		}
		s.id = id
		fi := groupFam[gi]
		nh := nexthop{af: zebra.FamilyUnspec, id: id}
		for pi := range t.fams[fi].peers {
			if s.mask&(1<<pi) != 0 {
				nh.members = append(nh.members, single[fi][pi])
			}
		}
		t.nhs = append(t.nhs, nh)
	}
	return nil
}

// pathMask chooses the peers of canonical route k: one of them, or for the
// ECMP share 2 to maxPaths distinct ones.
func (f *family) pathMask(k uint64) uint64 {
	h := mix64(f.pathKey ^ mix64(k))
	np := len(f.peers)
	if h&0xffffffff >= f.ecmp || f.maxPaths < 2 {
		return 1 << ((h >> 32) % uint64(np))
	}
	r := h >> 32
	n := 2 + int(r%uint64(f.maxPaths-1))
	// A partial Fisher-Yates shuffle of the peer indexes, driven by a
	// generator seeded from the route's hash.
	var idx [maxPeers]uint8
	for i := range np {
		idx[i] = uint8(i)
	}
	g := keys{state: h}
	var m uint64
	for i := range n {
		j := i + int(g.next()%uint64(np-i))
		idx[i], idx[j] = idx[j], idx[i]
		m |= 1 << idx[i]
	}
	return m
}

// peerIndex is the index of the only peer of a one-bit mask.
func (f *family) peerIndex(m uint64) int {
	for i := range f.peers {
		if m == 1<<i {
			return i
		}
	}
	return -1
}

// route returns the route sent at position j.
func (f *family) route(j uint64) (netip.Prefix, *pathSet) {
	k := f.pos.at(j)
	li := sort.Search(len(f.lengths), func(i int) bool {
		l := &f.lengths[i]
		return l.start+uint64(l.Count) > k
	})
	l := &f.lengths[li]
	p := l.blocks.prefix(l.pick.at(k - l.start))
	return p, f.sets[f.pathMask(k)]
}

// withdrawn reports whether the route at position j is withdrawn after the
// load.
func (f *family) withdrawn(j uint64) bool { return f.wdn > 0 && f.withdraw.at(j) < f.wdn }

// Counts describe a table's size.
type Counts struct {
	V4, V6    int // routes of each family
	Nexthops  int // single nexthops (peers used by some route)
	Groups    int // nexthop groups (distinct sets of ECMP paths)
	ECMP      int // routes with more than one path
	Withdrawn int // routes Withdrawals deletes
}

// Counts walks the table (as New did) and returns its size.
func (t *Table) Counts() Counts {
	c := Counts{V4: t.cfg.V4, V6: t.cfg.V6}
	for _, nh := range t.nhs {
		if nh.members == nil {
			c.Nexthops++
		} else {
			c.Groups++
		}
	}
	for _, f := range t.fams {
		c.Withdrawn += int(f.wdn)
		for k := range f.n {
			if m := f.pathMask(k); m&(m-1) != 0 {
				c.ECMP++
			}
		}
	}
	return c
}

// Mix returns the number of prefixes of each length, IPv4 then IPv6, in
// the order of FULL-TABLE.md.
func (t *Table) Mix() (v4, v6 []LengthCount) {
	return v4Counts(t.cfg.V4), v6Counts(t.cfg.V6)
}
