package vpp

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/fib_types"
	"go.fd.io/govpp/binapi/ip"

	"github.com/lcpfib/lcpfib/rib"
)

// Ownership: lcpfib owns the FIB entries VPP shows with the "API" source in
// the tables it programs. It never touches entries of other sources: VPP's
// own (special, default-route, interface, recursive-resolution, adjacency)
// and those an operator adds with vppctl (source CLI).

// installed is what VPP holds on lcpfib's behalf: per key, a digest of the
// path set last programmed (or found in VPP at connect). It lets the
// programmer skip a change that would not change VPP, which is what makes a
// restart of lcpfib or a replay of zebra cost no VPP calls for routes that
// did not change.
type installed struct {
	mu sync.Mutex
	m  rib.Map[uint64]
}

func (in *installed) get(k rib.Key) (uint64, bool) {
	in.mu.Lock()
	d, ok := in.m.Get(k.Pack())
	in.mu.Unlock()
	return d, ok
}

func (in *installed) put(k rib.Key, d uint64) {
	in.mu.Lock()
	in.m.Set(k.Pack(), d)
	in.mu.Unlock()
}

// update records that VPP holds d for k, and reports whether it held
// something else (or nothing) before.
func (in *installed) update(k rib.Key, d uint64) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	v, had := in.m.Ref(k.Pack())
	if had && *v == d {
		return false
	}
	*v = d
	return true
}

// remove forgets k and reports whether VPP held it.
func (in *installed) remove(k rib.Key) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	pk := k.Pack()
	if _, had := in.m.Get(pk); !had {
		return false
	}
	in.m.Delete(pk)
	return true
}

func (in *installed) drop(k rib.Key) {
	in.mu.Lock()
	in.m.Delete(k.Pack())
	in.mu.Unlock()
}

func (in *installed) len() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.m.Len()
}

// digest is a digest of a path set in the form VPP dumps it: order does not
// matter, nor do fields lcpfib never sets or VPP does not dump (a label's
// is_uniform). It is each path's FNV-1a hash, the hashes sorted and hashed
// again when there are several; digests are compared within one process
// only, never stored. It allocates nothing for up to 8 paths.
func digest(paths []fib_types.FibPath) uint64 {
	var buf [8]uint64
	hs := buf[:0]
	for i := range paths {
		hs = append(hs, pathDigest(&paths[i]))
	}
	if len(hs) == 1 {
		return hs[0]
	}
	slices.Sort(hs)
	h := uint64(fnvOffset)
	for _, x := range hs {
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], x)
		h = fnv1a(h, b[:])
	}
	return h
}

// FNV-1a, 64 bits.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnv1a(h uint64, b []byte) uint64 {
	for _, c := range b {
		h ^= uint64(c)
		h *= fnvPrime
	}
	return h
}

func pathDigest(p *fib_types.FibPath) uint64 {
	var b [1 + 4 + 16 + 4 + 1]byte
	b[0] = byte(p.Type)
	if p.Type == fib_types.FIB_API_PATH_TYPE_NORMAL {
		binary.BigEndian.PutUint32(b[1:], uint32(p.Proto))
		nh := p.Nh.Address.XXX_UnionData[:]
		if p.Proto == fib_types.FIB_API_PATH_NH_PROTO_IP4 {
			nh = nh[:4] // the rest of the union is not the address's
		}
		copy(b[5:21], nh)
		binary.BigEndian.PutUint32(b[21:], p.SwIfIndex)
		b[25] = max(p.Weight, 1)
	}
	h := fnv1a(fnvOffset, b[:])
	if p.NLabels > 0 {
		h = fnv1a(h, []byte{p.NLabels})
	}
	for _, l := range p.LabelStack[:min(int(p.NLabels), len(p.LabelStack))] {
		var lb [6]byte
		binary.BigEndian.PutUint32(lb[:], l.Label)
		lb[4], lb[5] = l.TTL, l.Exp
		h = fnv1a(h, lb[:])
	}
	return h
}

// linuxTable maps a VPP table id back to the Linux table it stands for.
func linuxTable(vppID uint32) uint32 {
	if vppID == 0 {
		return LinuxTableMain
	}
	return vppID
}

// walkFunc calls each for every entry of one VPP table and address family:
// WalkRoutes, or directStream.walkRoutes.
type walkFunc func(table uint32, ip6 bool, timeout time.Duration, each func(Entry) error) error

// loadInstalled dumps every VPP table and returns the entries lcpfib owns
// (source API) keyed as the rib keys them, with their digests, and the
// tables VPP has. The tables' routes are read through walk, nil for
// WalkRoutes on conn.
func loadInstalled(ctx context.Context, conn api.Connection, walk walkFunc, timeout time.Duration) (*rib.Map[uint64], map[tableKey]bool, error) {
	if walk == nil {
		walk = func(table uint32, ip6 bool, timeout time.Duration, each func(Entry) error) error {
			return WalkRoutes(ctx, conn, table, ip6, timeout, each)
		}
	}
	srcs, err := Sources(ctx, conn, timeout)
	if err != nil {
		return nil, nil, err
	}
	apiSrc, ok := srcs["API"]
	if !ok {
		return nil, nil, fmt.Errorf("VPP reports no FIB source named API (fib_source_dump: %v)", srcs)
	}
	tables := map[tableKey]bool{}
	err = Dump(ctx, conn, &ip.IPTableDump{}, timeout, func(m api.Message) error {
		if d, ok := m.(*ip.IPTableDetails); ok {
			tables[tableKey{id: d.Table.TableID, ip6: d.Table.IsIP6}] = true
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	out := &rib.Map[uint64]{}
	for t := range tables {
		err := walk(t.id, t.ip6, dumpTimeout(timeout), func(e Entry) error {
			if e.Source == apiSrc {
				out.Set(rib.Key{Table: linuxTable(e.Table), Prefix: e.Prefix}.Pack(), digest(e.Paths))
			}
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
	}
	return out, tables, nil
}

// dumpTimeout is the per-reply deadline of a FIB dump: VPP may take a while
// to start streaming a table of a million routes.
func dumpTimeout(timeout time.Duration) time.Duration { return max(timeout, time.Minute) }
