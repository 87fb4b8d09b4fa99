package rib

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"unique"
)

// MPLS in the route model.
//
// A Path may push an outgoing label stack (Path.Labels). A label switched
// path (LSP) is a Route whose Key names an incoming label instead of a
// prefix (LSPKey); its paths swap the label for their Labels, or pop it
// when Labels is empty. LSPs live in the same state as IP routes, so
// per-key merging, source preference, replays and sweeps work for them
// unchanged: their Table is the Linux table the daemon gave (zebra sends
// RT_TABLE_MAIN), so a replay of the main table sweeps them too.

// MaxLabels is the deepest label stack a Path can hold: FRR's
// MPLS_MAX_LABELS, and the 16 entries of VPP's fib_path label_stack.
const MaxLabels = 16

// MaxLabel is the largest MPLS label value: labels are 20 bits.
const MaxLabel = 1<<20 - 1

// LabelImplicitNull is the label a router advertises to ask for its label
// to be popped by the previous hop (RFC 3032). It is never pushed.
const LabelImplicitNull = 3

// Labels is an outgoing MPLS label stack, outermost label first. The zero
// Labels is no label at all.
//
// It is a handle to an interned, immutable stack: 8 bytes in a Path
// whatever the depth, comparable with ==, and one copy in memory however
// many paths share the stack. This keeps Path comparable and small, which
// matters at full-table scale where almost no route has labels.
type Labels struct {
	h unique.Handle[labelStack]
}

// labelStack is a label stack encoded as 4 bytes per label, big-endian:
// a comparable value for unique.Make.
type labelStack struct{ s string }

// MakeLabels returns the stack of ls, outermost first. Labels must be at
// most MaxLabel and the stack at most MaxLabels deep.
func MakeLabels(ls ...uint32) (Labels, error) {
	if len(ls) == 0 {
		return Labels{}, nil
	}
	if len(ls) > MaxLabels {
		return Labels{}, fmt.Errorf("label stack of %d labels, at most %d", len(ls), MaxLabels)
	}
	b := make([]byte, 4*len(ls))
	for i, l := range ls {
		if l > MaxLabel {
			return Labels{}, fmt.Errorf("label %d out of range", l)
		}
		binary.BigEndian.PutUint32(b[4*i:], l)
	}
	return Labels{h: unique.Make(labelStack{s: string(b)})}, nil
}

// MustLabels is MakeLabels for stacks known to be valid; it panics
// otherwise.
func MustLabels(ls ...uint32) Labels {
	l, err := MakeLabels(ls...)
	if err != nil {
		panic(err)
	}
	return l
}

func (l Labels) raw() string {
	if l == (Labels{}) {
		return ""
	}
	return l.h.Value().s
}

// Len is the depth of the stack.
func (l Labels) Len() int { return len(l.raw()) / 4 }

// At returns the i-th label, 0 being the outermost.
func (l Labels) At(i int) uint32 { return binary.BigEndian.Uint32([]byte(l.raw()[4*i : 4*i+4])) }

// Slice returns the labels, outermost first; nil for no label.
func (l Labels) Slice() []uint32 {
	n := l.Len()
	if n == 0 {
		return nil
	}
	out := make([]uint32, n)
	for i := range out {
		out[i] = l.At(i)
	}
	return out
}

func (l Labels) String() string {
	var b strings.Builder
	for i := range l.Len() {
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(strconv.FormatUint(uint64(l.At(i)), 10))
	}
	return b.String()
}

// CompareLabels orders stacks by depth, then label by label.
func CompareLabels(a, b Labels) int {
	if a == b {
		return 0
	}
	if c := cmp.Compare(a.Len(), b.Len()); c != 0 {
		return c
	}
	return strings.Compare(a.raw(), b.raw()) // big-endian: byte order is label order
}

// LSPKey is the key of the label switched path for an incoming label in a
// Linux table.
func LSPKey(table, label uint32) Key { return Key{Table: table, Label: label} }

// IsLSP reports whether k names an incoming MPLS label rather than a
// prefix.
func (k Key) IsLSP() bool { return !k.Prefix.IsValid() }

// Equal reports whether two stacks are the same (go-cmp uses it).
func (l Labels) Equal(o Labels) bool { return l == o }
