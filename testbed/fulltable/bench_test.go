package fulltable

import "testing"

// BenchmarkGenerate times generating and encoding a full table's load
// (1,263,000 routes and their nexthops), in both wire modes.
func BenchmarkGenerate(b *testing.B) {
	for _, nhg := range []bool{true, false} {
		name := "nhg"
		if !nhg {
			name = "no-nhg"
		}
		b.Run(name, func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.NexthopGroups = nhg
			tab, err := New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			var frames, bytes int
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				for f, err := range tab.Load() {
					if err != nil {
						b.Fatal(err)
					}
					frames++
					bytes += len(f.Bytes)
				}
			}
			s := b.Elapsed().Seconds()
			b.ReportMetric(float64(frames)/s, "frames/s")
			b.ReportMetric(float64(bytes)/float64(frames), "B/frame")
			b.ReportMetric(s*1000/float64(b.N), "ms/table")
		})
	}
}
