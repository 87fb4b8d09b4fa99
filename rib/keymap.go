package rib

import "iter"

// Map is a map keyed by Packed that stores most keys in 8 bytes rather
// than 24: IPv4 prefixes, IPv6 prefixes up to /48 and LSPs, of tables
// below 256 (the main table is 254). Those are nearly all of a full
// table's keys (IPv6 /49 to /128 are 0.2 % of it); the others go into a
// second map under their whole Packed form. A million-entry map of
// digests is then a third of the size, and an 8-byte key hashes faster.
//
// The zero Map is empty and ready to use. Like a Go map, it is not safe for
// concurrent use, and All allows changing or deleting the keys it has
// yielded, but not adding new ones, while it runs.
type Map[V any] struct {
	small map[uint64]V
	big   map[Packed]V
}

// Compact key layout: family (2 bits, never 0), table (8), prefix length
// (6), then 48 bits: an IPv4 address, the first 48 bits of an IPv6
// address, or an LSP's label.
const (
	cFamShift   = 62
	cTableShift = 54
	cBitsShift  = 48
	cLowMask    = 1<<48 - 1
)

// compact returns p's 8-byte form, if it has one; it is the inverse of
// expand.
func (p Packed) compact() (uint64, bool) {
	if p.table >= 1<<8 {
		return 0, false
	}
	head := uint64(p.fam)<<cFamShift | uint64(p.table)<<cTableShift | uint64(p.bits)<<cBitsShift
	switch p.fam {
	case famV4:
		if p.hi != 0 || p.lo>>32 != 0xffff || p.bits > 32 {
			return 0, false
		}
		return head | p.lo&0xffffffff, true
	case famV6:
		if p.lo != 0 || p.hi&0xffff != 0 || p.bits > 48 {
			return 0, false
		}
		return head | p.hi>>16, true
	case famLSP:
		if p.hi != 0 || p.lo > cLowMask || p.bits != 0 {
			return 0, false
		}
		return head | p.lo, true
	}
	return 0, false
}

// expand returns the Packed key c stands for.
func expand(c uint64) Packed {
	p := Packed{
		fam:   uint8(c >> cFamShift),
		table: uint32(c>>cTableShift) & 0xff,
		bits:  uint8(c>>cBitsShift) & 0x3f,
	}
	low := c & cLowMask
	switch p.fam {
	case famV4:
		p.lo = 0xffff<<32 | low
	case famV6:
		p.hi = low << 16
	case famLSP:
		p.lo = low
	}
	return p
}

// Get returns the value stored for p.
func (m *Map[V]) Get(p Packed) (V, bool) {
	if c, ok := p.compact(); ok {
		v, ok := m.small[c]
		return v, ok
	}
	v, ok := m.big[p]
	return v, ok
}

// Set stores v for p.
func (m *Map[V]) Set(p Packed, v V) {
	if c, ok := p.compact(); ok {
		if m.small == nil {
			m.small = make(map[uint64]V)
		}
		m.small[c] = v
		return
	}
	if m.big == nil {
		m.big = make(map[Packed]V)
	}
	m.big[p] = v
}

// Delete removes p.
func (m *Map[V]) Delete(p Packed) {
	if c, ok := p.compact(); ok {
		delete(m.small, c)
		return
	}
	delete(m.big, p)
}

// Len is the number of keys.
func (m *Map[V]) Len() int { return len(m.small) + len(m.big) }

// All yields every key and value, in no particular order.
func (m *Map[V]) All() iter.Seq2[Packed, V] {
	return func(yield func(Packed, V) bool) {
		for c, v := range m.small {
			if !yield(expand(c), v) {
				return
			}
		}
		for p, v := range m.big {
			if !yield(p, v) {
				return
			}
		}
	}
}
