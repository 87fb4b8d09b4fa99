package rib

import (
	"net/netip"
	"runtime"
	"testing"
	"time"
)

// BenchmarkStateMemory reports the heap the desired state takes per route
// (bytes/route) for routes of one and two paths, as a full table holds
// them. Run with -benchtime=1x: one table of 500,000 routes per case.
func BenchmarkStateMemory(b *testing.B) {
	for _, tc := range []struct {
		name  string
		paths int
	}{{"1path", 1}, {"2paths", 2}} {
		b.Run(tc.name, func(b *testing.B) {
			const n = 500_000
			for range b.N {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				routes := make([]Route, n)
				for i := range routes {
					a := netip.AddrFrom4([4]byte{byte(20 + i>>16), byte(i >> 8), byte(i), 0})
					ps := make([]Path, tc.paths)
					for j := range ps {
						ps[j] = Path{Gateway: netip.AddrFrom4([4]byte{10, 0, byte(j), 2}), Ifindex: uint32(2 + j), Weight: 1}
					}
					routes[i] = Route{Key: Key{Table: 254, Prefix: netip.PrefixFrom(a, 24)}, Kind: Unicast, Paths: ps}
				}
				s := newState(map[Source]int{SourceFRR: 0}, nil, false)
				s.apply(Update{Source: SourceFRR, Set: routes}, time.Now())
				s.take(n) // the dataplane took everything: no dirty keys left
				routes = nil
				runtime.GC()
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "bytes/route")
				runtime.KeepAlive(s)
			}
		})
	}
}

// BenchmarkStateApply reports the time the rib takes to store a route
// (ns/route) as a table loads: 500,000 routes over 22 path sets of one or
// two paths, each route with its own Paths slice, as zebra hands them on,
// in batches of 512, each taken by the dataplane.
func BenchmarkStateApply(b *testing.B) {
	const n, batch = 500_000, 512
	routes := make([]Route, n)
	for i := range routes {
		a := netip.AddrFrom4([4]byte{byte(20 + i>>16), byte(i >> 8), byte(i), 0})
		set := i % 22
		ps := []Path{{Gateway: netip.AddrFrom4([4]byte{10, 0, byte(set), 2}), Ifindex: 2, Weight: 1}}
		if set%10 == 0 {
			ps = append(ps, Path{Gateway: netip.AddrFrom4([4]byte{10, 1, byte(set), 2}), Ifindex: 3, Weight: 1})
		}
		routes[i] = Route{Key: Key{Table: 254, Prefix: netip.PrefixFrom(a, 24)}, Kind: Unicast, Paths: ps}
	}
	b.ResetTimer()
	for range b.N {
		s := newState(map[Source]int{SourceFRR: 0}, nil, false)
		for i := 0; i < n; i += batch {
			s.apply(Update{Source: SourceFRR, Set: routes[i:min(i+batch, n)]}, time.Now())
			s.take(batch)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*b.N), "ns/route")
}
