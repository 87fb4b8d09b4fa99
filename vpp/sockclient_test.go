package vpp

import (
	"context"
	"testing"
	"time"

	"github.com/lcpfib/lcpfib/rib"
)

// BenchmarkLoadInstalled reads back a FIB of 200,000 routes, as lcpfib
// does at every connect, through each client, alternately; it reports
// routes/s. (This is why dumps stay on GoVPP's socketclient.)
func BenchmarkLoadInstalled(b *testing.B) {
	const n = 200_000
	f := newFixture(b, Config{})
	ctx := context.Background()
	u := rib.Update{Source: rib.SourceFRR}
	for i := range n {
		u.Set = append(u.Set, v4route(i, 2))
	}
	if err := f.rib.Apply(ctx, u); err != nil {
		b.Fatal(err)
	}
	waitFor(b, "the routes in VPP", func() bool { return f.prog.Stats().RoutesAdded == n })
	for _, tc := range []struct {
		name  string
		plain bool
	}{{"socketclient", true}, {"coalescing", false}, {"socketclient", true}, {"coalescing", false}} {
		b.Run(tc.name, func(b *testing.B) {
			conn, _, err := dial(ctx, f.sock, 5*time.Second, tc.plain)
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Disconnect()
			b.ResetTimer()
			for range b.N {
				owned, _, err := loadInstalled(ctx, conn, 5*time.Second)
				if err != nil {
					b.Fatal(err)
				}
				if owned.Len() != n {
					b.Fatalf("read %d routes, want %d", owned.Len(), n)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "routes/s")
		})
	}
}
