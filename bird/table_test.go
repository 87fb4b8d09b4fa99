package bird

import (
	"net/netip"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"

	"github.com/lcpfib/lcpfib/rib"
)

func hop(gw string, ifindex uint32) rib.Path {
	return rib.Path{Gateway: netip.MustParseAddr(gw), Ifindex: ifindex, Weight: 1}
}

// spec is a path as a test writes it; put turns it into the table's form.
type spec struct {
	ref  ref
	gen  uint16
	pref uint32
	kind rib.Kind
	hop  rib.Path
}

func (t *table) putSpec(pk rib.Packed, s spec) {
	t.put(pk, t.path(s.ref, s.gen, s.pref, s.kind, s.hop))
}

func TestTableSelection(t *testing.T) {
	pk := rib.Key{Table: 254, Prefix: netip.MustParsePrefix("192.0.2.0/24")}.Pack()
	a := spec{ref: ref{0, 1}, pref: 200, hop: hop("10.0.0.2", 3)}
	b := spec{ref: ref{0, 2}, pref: 200, hop: hop("10.0.1.2", 4)}
	c := spec{ref: ref{0, 3}, pref: 250, hop: hop("10.0.2.2", 5)}
	bh := spec{ref: ref{1, 1}, pref: 300, kind: rib.Blackhole}
	paths := func(ps ...rib.Path) []rib.Path { return ps }
	tests := []struct {
		name  string
		ecmp  bool
		put   []spec
		del   []ref
		kind  rib.Kind
		paths []rib.Path
		none  bool
	}{
		{name: "one path", put: []spec{a}, paths: paths(a.hop)},
		{name: "equal preference, no ECMP: lowest identifier", put: []spec{b, a}, paths: paths(a.hop)},
		{name: "equal preference, ECMP: both", ecmp: true, put: []spec{a, b}, paths: paths(a.hop, b.hop)},
		{name: "higher preference wins, ECMP or not", ecmp: true, put: []spec{a, b, c}, paths: paths(c.hop)},
		{name: "winner withdrawn: the others take over", ecmp: true, put: []spec{a, b, c}, del: []ref{c.ref}, paths: paths(a.hop, b.hop)},
		{name: "back to one path", ecmp: true, put: []spec{a, b}, del: []ref{a.ref}, paths: paths(b.hop)},
		{name: "all withdrawn", put: []spec{a, b}, del: []ref{a.ref, b.ref}, none: true},
		{name: "a blackhole of higher preference", ecmp: true, put: []spec{a, bh}, kind: rib.Blackhole},
		{name: "replacing a path keeps one", put: []spec{a, {ref: a.ref, pref: 200, hop: b.hop}}, paths: paths(b.hop)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := newTable(tt.ecmp)
			for _, p := range tt.put {
				tb.putSpec(pk, p)
			}
			for _, r := range tt.del {
				if !tb.remove(pk, r) {
					t.Fatalf("remove %v: not found", r)
				}
			}
			got, ok := tb.route(pk)
			if tt.none {
				if ok || tb.len() != 0 {
					t.Fatalf("route %v left, table len %d", got, tb.len())
				}
				return
			}
			if !ok {
				t.Fatal("no route")
			}
			want := rib.Route{Key: pk.Key(), Kind: tt.kind, Source: rib.SourceBIRD, Protocol: rtprotBIRD, Paths: tt.paths}
			if !got.Equal(want) || got.Source != want.Source {
				t.Fatalf("route = %v, want %v", got, want)
			}
		})
	}
}

func TestTableDropStale(t *testing.T) {
	tb := newTable(true)
	k := func(p string) rib.Packed { return rib.Key{Table: 254, Prefix: netip.MustParsePrefix(p)}.Pack() }
	tb.putSpec(k("192.0.2.0/24"), spec{ref: ref{0, 1}, gen: 1, hop: hop("10.0.0.2", 3)})
	tb.putSpec(k("192.0.2.0/24"), spec{ref: ref{1, 1}, gen: 0, hop: hop("10.0.1.2", 4)})
	tb.putSpec(k("198.51.100.0/24"), spec{ref: ref{0, 1}, gen: 0, hop: hop("10.0.0.2", 3)})
	tb.putSpec(k("2001:db8::/32"), spec{ref: ref{0, 1}, gen: 1, hop: hop("2001:db8::2", 3)})
	// Peer 0's paths of generation 0 are stale.
	changed := tb.drop(func(_ rib.Packed, p bpath) bool { return p.peer == 0 && p.gen != 1 })
	if diff := cmp.Diff([]rib.Packed{k("198.51.100.0/24")}, changed, cmp.Comparer(func(a, b rib.Packed) bool { return a == b })); diff != "" {
		t.Fatalf("changed (-want +got):\n%s", diff)
	}
	if tb.len() != 2 || tb.pathCount() != 3 {
		t.Fatalf("left %d keys, %d paths; want 2, 3", tb.len(), tb.pathCount())
	}
	// Peer 1 goes: the shared prefix is left with peer 0's path alone.
	changed = tb.drop(func(_ rib.Packed, p bpath) bool { return p.peer == 1 })
	if len(changed) != 1 || changed[0] != k("192.0.2.0/24") {
		t.Fatalf("changed %v", changed)
	}
	if r, ok := tb.route(k("192.0.2.0/24")); !ok || len(r.Paths) != 1 || r.Paths[0] != hop("10.0.0.2", 3) {
		t.Fatalf("route %v", r)
	}
	if _, ok := tb.many[k("192.0.2.0/24")]; ok {
		t.Fatal("a one-path prefix stayed in the multi-path map")
	}
}

// The table's memory per path is what the README claims.
func TestPathSize(t *testing.T) {
	if n := unsafe.Sizeof(bpath{}); n != 16 {
		t.Fatalf("bpath is %d bytes, want 16", n)
	}
}
