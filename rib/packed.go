package rib

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"unique"
)

// Packed is a Key in 24 bytes without pointers: the form to key large maps
// with (the rib's state, zebra's and the dataplane's per-route maps). A
// netip.Prefix carries a pointer, which makes the garbage collector scan
// every key of a million-entry map.
type Packed struct {
	hi, lo uint64 // the address, 16 bytes (IPv4 as an IPv4-mapped address); an LSP's label in lo
	table  uint32
	bits   uint8
	fam    uint8 // famV4, famV6, famLSP
}

const (
	famV4 uint8 = iota + 1
	famV6
	famLSP
)

// Pack returns k's packed form.
func (k Key) Pack() Packed {
	if k.IsLSP() {
		return Packed{lo: uint64(k.Label), table: k.Table, fam: famLSP}
	}
	a := k.Prefix.Addr().As16()
	p := Packed{
		hi:    binary.BigEndian.Uint64(a[:8]),
		lo:    binary.BigEndian.Uint64(a[8:]),
		table: k.Table,
		bits:  uint8(k.Prefix.Bits()),
		fam:   famV6,
	}
	if k.Prefix.Addr().Is4() {
		p.fam = famV4
	}
	return p
}

// Key returns the Key p packs.
func (p Packed) Key() Key {
	switch p.fam {
	case famLSP:
		return LSPKey(p.table, uint32(p.lo))
	case 0:
		return Key{}
	}
	var a [16]byte
	binary.BigEndian.PutUint64(a[:8], p.hi)
	binary.BigEndian.PutUint64(a[8:], p.lo)
	addr := netip.AddrFrom16(a)
	if p.fam == famV4 {
		addr = addr.Unmap()
	}
	return Key{Table: p.table, Prefix: netip.PrefixFrom(addr, int(p.bits))}
}

// Table is the packed key's table.
func (p Packed) Table() uint32 { return p.table }

// pathSet is an interned, immutable set of paths in canonical (sorted)
// order: 8 bytes per route however many paths it has, and one copy in
// memory for all the routes that share it (a full table has a few
// thousand distinct path sets for a million routes).
type pathSet struct {
	h unique.Handle[string]
}

// pathBytes is the encoded size of a path without labels: gateway (16),
// flags (1), ifindex (4), weight (4), label bytes (1).
const pathBytes = 26

const (
	gwValid uint8 = 1 << iota
	gwIs4
)

func internPaths(ps []Path) pathSet {
	var in interner
	return in.intern(ps)
}

// interner interns path sets through a cache of the sets it met last, so
// that the routes of a table load, which share a few thousand sets, cost
// neither an allocation nor a lookup in unique's global map each. It is
// owned by one goroutine (the rib's); the zero value is ready.
type interner struct {
	cache map[string]pathSet
	buf   []byte
	sort  []Path
}

// maxInterned bounds the cache; it is emptied when full, which lets the
// sets no route uses any more go.
const maxInterned = 1 << 14

func (in *interner) intern(ps []Path) pathSet {
	if len(ps) == 0 {
		return pathSet{}
	}
	sorted := ps
	if !slices.IsSortedFunc(ps, ComparePaths) {
		in.sort = append(in.sort[:0], ps...)
		slices.SortFunc(in.sort, ComparePaths)
		sorted = in.sort
	}
	b := in.buf[:0]
	for _, p := range sorted {
		var flags uint8
		if p.Gateway.IsValid() {
			flags |= gwValid
			if p.Gateway.Is4() {
				flags |= gwIs4
			}
		}
		var a [16]byte
		if p.Gateway.IsValid() {
			a = p.Gateway.As16()
		}
		b = append(b, a[:]...)
		b = append(b, flags)
		b = binary.BigEndian.AppendUint32(b, p.Ifindex)
		b = binary.BigEndian.AppendUint32(b, p.Weight)
		l := p.Labels.raw()
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	in.buf = b
	clear(in.sort) // keeps no Labels handles alive
	// The conversion in the lookup does not allocate.
	if s, ok := in.cache[string(b)]; ok {
		return s
	}
	s := pathSet{h: unique.Make(string(b))}
	if in.cache == nil || len(in.cache) >= maxInterned {
		in.cache = make(map[string]pathSet)
	}
	in.cache[s.h.Value()] = s
	return s
}

// paths decodes the set; the slice is new.
func (s pathSet) paths() []Path {
	if s == (pathSet{}) {
		return nil
	}
	b := s.h.Value()
	var out []Path
	for len(b) >= pathBytes {
		var p Path
		flags := b[16]
		if flags&gwValid != 0 {
			p.Gateway = netip.AddrFrom16([16]byte([]byte(b[:16])))
			if flags&gwIs4 != 0 {
				p.Gateway = p.Gateway.Unmap()
			}
		}
		p.Ifindex = binary.BigEndian.Uint32([]byte(b[17:21]))
		p.Weight = binary.BigEndian.Uint32([]byte(b[21:25]))
		nl := int(b[25])
		b = b[pathBytes:]
		if nl > 0 {
			p.Labels = Labels{h: unique.Make(labelStack{s: b[:nl]})}
			b = b[nl:]
		}
		out = append(out, p)
	}
	return out
}
