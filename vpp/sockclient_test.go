package vpp

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"go.fd.io/govpp/binapi/memclnt"

	"github.com/lcpfib/lcpfib/rib"
)

// BenchmarkLoadInstalled reads back a FIB of 200,000 routes, as lcpfib
// does at every connect, through GoVPP's socketclient and through a
// directStream, alternately; it reports routes/s.
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
	conn, _, err := dial(ctx, f.sock, 5*time.Second)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Disconnect()
	for _, direct := range []bool{false, true, false, true} {
		name := "socketclient"
		if direct {
			name = "direct"
		}
		b.Run(name, func(b *testing.B) {
			var walk walkFunc
			if direct {
				ds, err := dialDirect(ctx, f.sock, 5*time.Second, 5*time.Second, 1024)
				if err != nil {
					b.Fatal(err)
				}
				defer ds.Close()
				walk = ds.walkRoutes
			}
			b.ResetTimer()
			for range b.N {
				owned, _, err := loadInstalled(ctx, conn, walk, 5*time.Second)
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

// TestSockClientDisconnectFromStuckVPP: a VPP that stops reading its
// socket must not hold a disconnect up (and with it lcpfib's reconnect):
// what is still queued gets the client's timeout to go out.
func TestSockClientDisconnectFromStuckVPP(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "api.sock")
	srv, stop := startSim(t, sock, 1000)
	defer stop()
	ctx := context.Background()
	s, err := dialDirect(ctx, sock, 200*time.Millisecond, 5*time.Second, 1024)
	if err != nil {
		t.Fatal(err)
	}
	srv.SetDelay(2 * time.Second) // VPP all but stops reading
	// More than the socket buffers hold (26 bytes each), fewer than the
	// client queues before a sender waits (maxPending).
	for range 30_000 {
		if err := s.SendMsg(&memclnt.ControlPing{}); err != nil {
			break
		}
	}
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second): // a hang, not a slow disconnect
		t.Fatal("Disconnect did not return from a VPP that stopped reading")
	}
	srv.SetDelay(0)
}
