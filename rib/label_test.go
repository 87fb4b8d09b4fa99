package rib

import (
	"context"
	"net/netip"
	"slices"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

func TestLabels(t *testing.T) {
	a := MustLabels(100, 200)
	if a != MustLabels(100, 200) || a == MustLabels(100) || a == (Labels{}) {
		t.Fatal("interned stacks do not compare by value")
	}
	if a.Len() != 2 || a.At(0) != 100 || a.At(1) != 200 || !slices.Equal(a.Slice(), []uint32{100, 200}) || a.String() != "100/200" {
		t.Fatalf("stack %v: len %d slice %v", a, a.Len(), a.Slice())
	}
	var none Labels
	if none.Len() != 0 || none.Slice() != nil || none.String() != "" || MustLabels() != none {
		t.Fatal("zero stack")
	}
	if _, err := MakeLabels(MaxLabel + 1); err == nil {
		t.Fatal("label above 2^20-1 accepted")
	}
	if _, err := MakeLabels(make([]uint32, MaxLabels+1)...); err == nil {
		t.Fatal("17 labels accepted")
	}
	for _, c := range []struct {
		a, b Labels
		want int
	}{
		{none, a, -1}, {MustLabels(300), a, -1}, {MustLabels(100, 199), a, -1}, {a, a, 0}, {MustLabels(100, 201), a, 1},
	} {
		if got := CompareLabels(c.a, c.b); got != c.want {
			t.Errorf("CompareLabels(%v, %v) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

// TestModelSizes pins the sizes a full table pays for per route: the
// incoming label of an LSP key sits in Key's padding, and a label stack
// costs a Path 8 bytes whatever its depth.
func TestModelSizes(t *testing.T) {
	if s := unsafe.Sizeof(Key{}); s != 40 {
		t.Errorf("Key is %d bytes, want 40", s)
	}
	if s := unsafe.Sizeof(Path{}); s != 40 {
		t.Errorf("Path is %d bytes, want 40", s)
	}
}

func TestLSPKey(t *testing.T) {
	k := LSPKey(254, 100)
	if !k.IsLSP() || k.String() != "label 100 table 254" {
		t.Fatalf("%v", k)
	}
	if key("192.0.2.0/24").IsLSP() {
		t.Fatal("IP key is an LSP")
	}
	p := Path{Gateway: netip.MustParseAddr("10.0.0.2"), Ifindex: 2, Weight: 1, Labels: MustLabels(200)}
	if s := p.String(); s != "via 10.0.0.2 ifindex 2 label 200" {
		t.Fatalf("path %q", s)
	}
}

func lspRoute(src Source, label uint32, paths ...Path) Route {
	return Route{Key: LSPKey(254, label), Kind: Unicast, Source: src, Paths: paths}
}

func swapVia(gw string, ifindex uint32, labels ...uint32) Path {
	p := via(gw, ifindex)
	p.Labels = MustLabels(labels...)
	return p
}

func TestRIBLSPs(t *testing.T) {
	r := startRIB(t, Options{})
	ctx := context.Background()
	a := lspRoute(SourceFRR, 100, swapVia("10.0.0.2", 2, 200))
	b := lspRoute(SourceFRR, 101, via("10.0.0.2", 2)) // pop
	ip := route(SourceFRR, "192.0.2.0/24", swapVia("10.0.0.2", 2, 100, 200))
	r.Apply(ctx, Update{Source: SourceFRR, Set: []Route{a, b, ip}})
	if got := keysOf(drain(t, r)); len(got) != 3 {
		t.Fatalf("first set: %v", got)
	}
	// Another label is a change; the same labels are not.
	a2 := lspRoute(SourceFRR, 100, swapVia("10.0.0.2", 2, 201))
	r.Apply(ctx, Update{Source: SourceFRR, Set: []Route{a2, b, route(SourceFRR, "192.0.2.0/24", swapVia("10.0.0.2", 2, 100, 200))}})
	if d := cmp.Diff([]Change{{Key: a.Key, Route: &a2}}, drain(t, r), cmpOpts); d != "" {
		t.Fatalf("relabel (-want +got):\n%s", d)
	}
	// BIRD's LSP for the same label loses to FRR's.
	r.Apply(ctx, Update{Source: SourceBIRD, Set: []Route{lspRoute(SourceBIRD, 100, via("10.0.9.9", 4))}})
	if got := drain(t, r); len(got) != 0 {
		t.Fatalf("losing source: %v", got)
	}

	// A replay of the main table sweeps the LSPs it did not renew.
	r.Apply(ctx, Update{Source: SourceFRR, Resync: ResyncBegin})
	r.Apply(ctx, Update{Source: SourceFRR, Set: []Route{b, ip}})
	r.Apply(ctx, Update{Source: SourceFRR, Resync: ResyncEnd})
	got := drain(t, r)
	if len(got) != 1 || got[0].Key != a.Key || got[0].Route == nil || got[0].Route.Source != SourceBIRD {
		t.Fatalf("sweep: %v, want label 100 handed to BIRD", got)
	}
	// Orphan LSPs an earlier lcpfib left are swept like routes.
	r.Adopt(ctx, []Key{LSPKey(254, 555), b.Key})
	if d := cmp.Diff(map[Key]bool{LSPKey(254, 555): false}, keysOf(drain(t, r)), cmpOpts); d != "" {
		t.Fatalf("orphans (-want +got):\n%s", d)
	}
}
