package sim

import (
	"bytes"
	"cmp"
	"fmt"
	"net/netip"
	"slices"

	"go.fd.io/govpp/binapi/fib_types"
)

// fibTable is one unicast FIB (VPP's fib_table_t with its ip4/ip6 hash).
type fibTable struct {
	index   uint32 // fib_index: position in the per-family pool
	id      uint32
	ip6     bool
	name    string
	entries map[prefixKey]*fibEntry
}

// prefixKey is a masked prefix as a map key without pointers, which keeps
// large tables cheap for the garbage collector.
type prefixKey struct {
	addr [16]byte
	bits uint8
}

// keyOf returns the key of a prefix, host bits ignored.
func keyOf(p netip.Prefix) prefixKey {
	m := p.Masked()
	return prefixKey{addr: m.Addr().As16(), bits: uint8(m.Bits())}
}

// fibEntry is VPP's fib_entry_t: one prefix and every source that added
// it, best first. The best source's paths are what the entry forwards with
// and what the dumps show.
type fibEntry struct {
	prefix netip.Prefix // as given when the entry was created (host bits kept)
	stats  uint32       // stats_index (VPP: the entry's load-balance index)
	srcs   []*entrySource

	// Most entries have one source; it and the slice's first slot live in
	// the entry, saving two allocations per route.
	first    entrySource
	srcsHead [1]*entrySource
}

// entrySource is one source's contribution to an entry (fib_entry_src_t).
type entrySource struct {
	src   Source
	paths []path // sorted; empty for sources that inherit from the cover
	// inherit is true for recursive-resolution entries: they forward the
	// way their covering (less specific) entry does.
	inherit bool
	// refs counts the special adds of the source (one per recursive path
	// that resolves through a recursive-resolution entry).
	refs int
}

// specialEntry is one entry VPP puts in every table it creates.
type specialEntry struct {
	prefix netip.Prefix
	src    Source
	kind   pathKind // kindSpecial (drop) or kindExclusive (a fixed DPO)
}

// ip4Specials and ip6Specials are ip4_specials[] in ip4_fib.c and
// ip6_fib_hash_load_specials in ip6_fib.c. IPv6 multicast lives in the
// mfib, which vppsim does not model.
var (
	ip4Specials = []specialEntry{
		{netip.MustParsePrefix("0.0.0.0/0"), SourceDefaultRoute, kindSpecial},
		{netip.MustParsePrefix("0.0.0.0/32"), SourceDefaultRoute, kindSpecial},
		{netip.MustParsePrefix("240.0.0.0/4"), SourceSpecial, kindSpecial},
		{netip.MustParsePrefix("224.0.0.0/4"), SourceSpecial, kindSpecial},
		{netip.MustParsePrefix("255.255.255.255/32"), SourceDefaultRoute, kindSpecial},
	}
	ip6Specials = []specialEntry{
		{netip.MustParsePrefix("::/0"), SourceDefaultRoute, kindSpecial},
		{netip.MustParsePrefix("fe80::/10"), SourceSpecial, kindExclusive},
	}
)

// specialPath is the single path of a special entry: a drop (or, for
// fe80::/10, the link-local lookup) in the table's own protocol.
func specialPath(ip6 bool, kind pathKind) path {
	proto := fib_types.FIB_API_PATH_NH_PROTO_IP4
	if ip6 {
		proto = fib_types.FIB_API_PATH_NH_PROTO_IP6
	}
	return path{kind: kind, special: specialDrop, proto: proto, weight: 1,
		swIfIndex: noIndex, tableID: noIndex, rpfID: noIndex}
}

// tableName is the description VPP gives a table: the API's name, else
// "ipv4-VRF:<id>".
func tableName(ip6 bool, id uint32, name string) string {
	if name != "" {
		return name
	}
	af := "ipv4"
	if ip6 {
		af = "ipv6"
	}
	return fmt.Sprintf("%s-VRF:%d", af, id)
}

// best returns the entry's best source.
func (e *fibEntry) best() *entrySource { return e.srcs[0] }

// source returns the entry's state for src, or nil.
func (e *fibEntry) source(src Source) *entrySource {
	for _, s := range e.srcs {
		if s.src == src {
			return s
		}
	}
	return nil
}

// addSource inserts a source in priority order and returns it.
func (e *fibEntry) addSource(src Source) *entrySource {
	var s *entrySource
	if len(e.srcs) == 0 && e.srcs == nil {
		e.first = entrySource{src: src}
		s, e.srcs = &e.first, e.srcsHead[:0]
	} else {
		s = &entrySource{src: src}
	}
	i := slices.IndexFunc(e.srcs, func(o *entrySource) bool { return o.src.priority() > src.priority() })
	if i < 0 {
		i = len(e.srcs)
	}
	e.srcs = slices.Insert(e.srcs, i, s)
	return s
}

// removeSource drops src from the entry.
func (e *fibEntry) removeSource(src Source) {
	e.srcs = slices.DeleteFunc(e.srcs, func(o *entrySource) bool { return o.src == src })
}

// lookup returns the entry for a prefix (host bits ignored).
func (t *fibTable) lookup(pfx netip.Prefix) *fibEntry {
	return t.entries[keyOf(pfx)]
}

// cover returns the longest less-specific entry covering pfx, the entry a
// recursive-resolution entry forwards through. The default entry always
// exists, so every prefix but /0 has one.
func (t *fibTable) cover(pfx netip.Prefix) *fibEntry {
	for bits := pfx.Bits() - 1; bits >= 0; bits-- {
		if e := t.entries[keyOf(netip.PrefixFrom(pfx.Addr(), bits))]; e != nil {
			return e
		}
	}
	return nil
}

// forwarding returns the paths an entry forwards with: its best source's,
// or for an inheriting source those of its cover.
func (t *fibTable) forwarding(e *fibEntry) []path {
	for depth := 0; depth <= 128; depth++ {
		b := e.best()
		if !b.inherit {
			return b.paths
		}
		c := t.cover(e.prefix)
		if c == nil {
			return nil
		}
		e = c
	}
	return nil
}

// sortedEntries returns the table's entries shortest prefix first, then by
// address: the order of VPP's per-length ip4 walk, made deterministic.
func (t *fibTable) sortedEntries() []*fibEntry {
	type keyed struct {
		k prefixKey
		e *fibEntry
	}
	items := make([]keyed, 0, len(t.entries))
	for k, e := range t.entries {
		items = append(items, keyed{k, e})
	}
	slices.SortFunc(items, func(a, b keyed) int {
		if c := cmp.Compare(a.k.bits, b.k.bits); c != 0 {
			return c
		}
		return bytes.Compare(a.k.addr[:], b.k.addr[:])
	})
	out := make([]*fibEntry, len(items))
	for i := range items {
		out[i] = items[i].e
	}
	return out
}
