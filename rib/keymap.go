package rib

import "iter"

// Map is a map keyed by Packed that stores most keys in 8 bytes rather
// than 24: IPv4 prefixes, IPv6 prefixes up to /48 and LSPs, of tables
// below 256 (the main table is 254). Those are nearly all of a full
// table's keys (IPv6 /49 to /128 are 0.2 % of it); they go into an
// open-addressing table (table), where a key and its value share a slot,
// so that a lookup in a million-entry map costs one cache miss rather
// than two, and Ref reads and writes a value with one lookup. The others
// go into a Go map under their whole Packed form.
//
// The zero Map is empty and ready to use. Like a Go map, it is not safe for
// concurrent use, and All allows changing or deleting the keys it has
// yielded, but not adding new ones, while it runs.
type Map[V any] struct {
	small table[V]
	big   map[Packed]*V
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
		if i := m.small.find(c); i >= 0 {
			return m.small.slots[i].v, true
		}
	} else if v, ok := m.big[p]; ok {
		return *v, true
	}
	var zero V
	return zero, false
}

// Ref returns a pointer to the value stored for p, adding p with the zero
// value if it is not there; had says whether it was. The pointer is valid
// until the next call that adds a key.
func (m *Map[V]) Ref(p Packed) (v *V, had bool) {
	if c, ok := p.compact(); ok {
		return m.small.ref(c)
	}
	if v, ok := m.big[p]; ok {
		return v, true
	}
	if m.big == nil {
		m.big = make(map[Packed]*V)
	}
	v = new(V)
	m.big[p] = v
	return v, false
}

// Set stores v for p.
func (m *Map[V]) Set(p Packed, v V) {
	r, _ := m.Ref(p)
	*r = v
}

// Delete removes p.
func (m *Map[V]) Delete(p Packed) {
	if c, ok := p.compact(); ok {
		m.small.delete(c)
		return
	}
	delete(m.big, p)
}

// Len is the number of keys.
func (m *Map[V]) Len() int { return m.small.live + len(m.big) }

// All yields every key and value, in no particular order.
func (m *Map[V]) All() iter.Seq2[Packed, V] {
	return func(yield func(Packed, V) bool) {
		for i := range m.small.slots {
			s := &m.small.slots[i]
			if s.k > deadKey && !yield(expand(s.k), s.v) {
				return
			}
		}
		for p, v := range m.big {
			if !yield(p, *v) {
				return
			}
		}
	}
}

// table is an open-addressing hash table of compact keys with linear
// probing. A key is never 0 or 1 (its family bits are not 0): 0 marks an
// empty slot, 1 a deleted one. Deleted slots stay until the table is
// rebuilt, so that deleting never moves a key (All may delete as it
// goes); they count towards the load that triggers a rebuild.
type table[V any] struct {
	slots []slot[V]
	live  int // keys
	used  int // keys and deleted slots
}

type slot[V any] struct {
	k uint64
	v V
}

const (
	emptyKey = 0
	deadKey  = 1
)

// hash mixes a key's bits (the finalizer of MurmurHash3): compact keys
// differ mostly in their middle bits.
func hash(k uint64) uint64 {
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	k *= 0xc4ceb9fe1a85ec53
	k ^= k >> 33
	return k
}

// find returns the slot of k, or -1.
func (t *table[V]) find(k uint64) int {
	if len(t.slots) == 0 {
		return -1
	}
	mask := uint64(len(t.slots) - 1)
	for i := hash(k) & mask; ; i = (i + 1) & mask {
		switch t.slots[i].k {
		case k:
			return int(i)
		case emptyKey:
			return -1
		}
	}
}

// ref returns k's value, adding k first if it is not there.
func (t *table[V]) ref(k uint64) (*V, bool) {
	if 4*(t.used+1) > 3*len(t.slots) { // at most 3/4 used
		t.rebuild()
	}
	mask := uint64(len(t.slots) - 1)
	dead := -1
	for i := hash(k) & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		switch s.k {
		case k:
			return &s.v, true
		case deadKey:
			if dead < 0 {
				dead = int(i)
			}
		case emptyKey:
			if dead >= 0 {
				s = &t.slots[dead]
			} else {
				t.used++
			}
			s.k = k
			t.live++
			return &s.v, false
		}
	}
}

func (t *table[V]) delete(k uint64) {
	if i := t.find(k); i >= 0 {
		var zero V
		t.slots[i] = slot[V]{k: deadKey, v: zero}
		t.live--
	}
}

// rebuild moves the keys into a table they fill at most half of, leaving
// the deleted slots behind.
func (t *table[V]) rebuild() {
	n := 8
	for n < 2*(t.live+1) {
		n *= 2
	}
	old := t.slots
	t.slots, t.used = make([]slot[V], n), t.live
	mask := uint64(n - 1)
	for _, s := range old {
		if s.k <= deadKey {
			continue
		}
		i := hash(s.k) & mask
		for t.slots[i].k != emptyKey {
			i = (i + 1) & mask
		}
		t.slots[i] = s
	}
}
