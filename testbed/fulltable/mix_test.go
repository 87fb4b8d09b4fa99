package fulltable

import (
	"math"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The mix as FULL-TABLE.md states it, in percent, restated here rather
// than taken from the code under test.
var (
	docV4 = map[int]float64{
		24: 62.24, 22: 12.02, 23: 10.00, 20: 5.00, 21: 5.00, 19: 2.50, 16: 1.30,
		18: 1.00, 17: 0.60, 15: 0.12, 14: 0.10, 13: 0.07, 12: 0.04,
	}
	docV4Short = map[int]int{8: 16, 9: 40, 10: 100, 11: 150} // in a table of 1,040,000
	docV6      = map[int]float64{
		48: 50.45, 32: 14.35, 44: 9.87, 40: 7.17, 29: 4.04, 36: 3.59, 46: 1.79,
		42: 1.35, 47: 1.35, 33: 1.12, 45: 1.12, 34: 0.90, 30: 0.67, 38: 0.67,
		43: 0.67, 41: 0.45, 28: 0.27, 64: 0.18,
	}
)

// checkMix compares the prefix lengths of n generated prefixes with the
// document: each length's share within the rounding of its figure (0.005
// percentage points) and of a count (half a prefix); /8 to /11 within one
// prefix of their full-table counts scaled to n.
func checkMix(t *testing.T, family string, n int, got map[int]int, doc map[int]float64, short map[int]int) {
	t.Helper()
	total := 0
	for _, c := range got {
		total += c
	}
	if total != n {
		t.Errorf("%s: %d prefixes, want %d", family, total, n)
	}
	for bits, pct := range doc {
		share := 100 * float64(got[bits]) / float64(n)
		if tol := 0.005 + 100*0.5/float64(n) + 1e-9; math.Abs(share-pct) > tol {
			t.Errorf("%s /%d: %d prefixes = %.4f %%, want %.2f %% ± %.4f", family, bits, got[bits], share, pct, tol)
		}
	}
	for bits, full := range short {
		want := float64(full) * float64(n) / DefaultV4
		if math.Abs(float64(got[bits])-want) > 1 {
			t.Errorf("%s /%d: %d prefixes, want %.1f ± 1", family, bits, got[bits], want)
		}
	}
	for bits := range got {
		if _, ok := doc[bits]; !ok {
			if _, ok := short[bits]; !ok {
				t.Errorf("%s: %d prefixes of /%d, a length not in the mix", family, got[bits], bits)
			}
		}
	}
}

// TestMix generates tables and counts the prefix lengths of what they
// send.
func TestMix(t *testing.T) {
	tests := []struct {
		name   string
		v4, v6 int
	}{
		// 100k prefixes split between the families as in a full table.
		{name: "100k", v4: 82_344, v6: 17_656},
		{name: "100k each", v4: 100_000, v6: 100_000},
		{name: "odd sizes", v4: 54_321, v6: 12_345},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.V4, cfg.V6 = tt.v4, tt.v6
			tab := mustNew(t, cfg)
			got4, got6 := map[int]int{}, map[int]int{}
			for r := range tab.Expected() {
				if r.Prefix.Addr().Is4() {
					got4[r.Prefix.Bits()]++
				} else {
					got6[r.Prefix.Bits()]++
				}
			}
			checkMix(t, "ipv4", tt.v4, got4, docV4, docV4Short)
			checkMix(t, "ipv6", tt.v6, got6, docV6, nil)
		})
	}
}

// TestMixFullTable checks the counts of a full table without generating
// it. The 0.0194 % by which the IPv4 figures exceed 100 % (202 prefixes)
// is spread over the lengths in proportion to their size, except that /24
// gives no more than the 52 prefixes (0.005 %) its rounding allows.
func TestMixFullTable(t *testing.T) {
	v4, v6 := mustNew(t, DefaultConfig()).Mix()
	want4 := []LengthCount{
		{24, 647_244}, {22, 124_959}, {23, 103_960}, {20, 51_980}, {21, 51_980},
		{19, 25_990}, {16, 13_515}, {18, 10_396}, {17, 6_238}, {15, 1_248},
		{14, 1_040}, {13, 728}, {12, 416}, {8, 16}, {9, 40}, {10, 100}, {11, 150},
	}
	if diff := cmp.Diff(want4, v4); diff != "" {
		t.Errorf("ipv4 (-want +got):\n%s", diff)
	}
	got4 := map[int]int{}
	for _, c := range v4 {
		got4[c.Bits] = c.Count
	}
	checkMix(t, "ipv4", DefaultV4, got4, docV4, docV4Short)
	got6 := map[int]int{}
	total := 0
	for _, c := range v6 {
		got6[c.Bits] = c.Count
		total += c.Count
	}
	checkMix(t, "ipv6", DefaultV6, got6, docV6, nil)
	if got6[64] != 401 { // 0.18 % of 223,000 = 401.4
		t.Errorf("ipv6 /64: %d, want 401", got6[64])
	}
}

func TestPublicSpace(t *testing.T) {
	cfg := DefaultConfig()
	cfg.V4, cfg.V6 = 50_000, 20_000
	tab := mustNew(t, cfg)
	seen := map[netip.Prefix]bool{}
	for r := range tab.Expected() {
		p := r.Prefix
		if p != p.Masked() {
			t.Fatalf("%s: host bits set", p)
		}
		if seen[p] {
			t.Fatalf("%s: duplicate", p)
		}
		seen[p] = true
		bogons := bogons4
		if p.Addr().Is6() {
			bogons = bogons6
			if !universe6.Contains(p.Addr()) {
				t.Fatalf("%s: outside %s", p, universe6)
			}
		}
		for _, b := range bogons {
			if b.Overlaps(p) {
				t.Fatalf("%s overlaps %s", p, b)
			}
		}
	}
}

func TestAllowedSpace(t *testing.T) {
	// /8s left once the special blocks are taken out: 1-223 less 10, 100,
	// 127, 169, 172, 192, 198 and 203 (which hold smaller special blocks).
	bl, err := newBlocks(allowed(universe4, bogons4, width4), width4, 8)
	if err != nil {
		t.Fatal(err)
	}
	if bl.n != 223-8 {
		t.Errorf("%d public /8s, want %d", bl.n, 223-8)
	}
	if got := bl.prefix(0); got != netip.MustParsePrefix("1.0.0.0/8") {
		t.Errorf("first public /8: %s", got)
	}
	if got := bl.prefix(bl.n - 1); got != netip.MustParsePrefix("223.0.0.0/8") {
		t.Errorf("last public /8: %s", got)
	}
	// 2000::/3 has 2^29 /32s; 2001::/23 takes 2^9 of them,
	// 2001:db8::/32 one, 2002::/16 2^16 and 3fff::/20 2^12.
	bl, err = newBlocks(allowed(universe6, bogons6, width6), width6, 32)
	if err != nil {
		t.Fatal(err)
	}
	if want := uint64(1<<29 - 1<<9 - 1 - 1<<16 - 1<<12); bl.n != want {
		t.Errorf("%d public /32s, want %d", bl.n, want)
	}
}

func TestPerm(t *testing.T) {
	for _, n := range []uint64{1, 2, 3, 7, 64, 1000, 4097} {
		k := keys{state: n}
		p := newPerm(n, &k)
		seen := make([]bool, n)
		for i := range n {
			v := p.at(i)
			if v >= n || seen[v] {
				t.Fatalf("n=%d: at(%d) = %d, out of range or repeated", n, i, v)
			}
			seen[v] = true
		}
	}
}
