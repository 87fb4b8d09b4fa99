package rib

import "testing"

func TestKeyQueue(t *testing.T) {
	var q keyQueue
	pk := func(i int) Packed { return Packed{lo: uint64(i), fam: famLSP} }
	next, want := 0, 0
	// Pushes and pops of sizes that cross block boundaries in every way.
	for round, sizes := range [][2]int{{1, 1}, {5000, 3000}, {10000, 4096}, {1, 9000}, {queueBlock, queueBlock}, {0, 100}} {
		for range sizes[0] {
			q.push(pk(next))
			next++
		}
		got := 0
		q.pop(sizes[1], func(i int, p Packed) {
			if i != got || p != pk(want) {
				t.Fatalf("round %d: pop %d gave %v (index %d), want key %d", round, got, p, i, want)
			}
			got++
			want++
		})
		if w := min(sizes[1], next-want+got); got != w {
			t.Fatalf("round %d: popped %d, want %d", round, got, w)
		}
		if q.len() != next-want {
			t.Fatalf("round %d: len %d, want %d", round, q.len(), next-want)
		}
	}
	if q.len() != 0 || q.blocks != nil {
		t.Fatalf("drained queue holds %d keys in %d blocks", q.len(), len(q.blocks))
	}
}
