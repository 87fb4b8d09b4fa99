package zebra

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lcpfib/lcpfib/fpm"
	"github.com/lcpfib/lcpfib/rib"
)

// lockedSink is a fakeSink the test can read while the server writes it.
type lockedSink struct {
	mu sync.Mutex
	s  *fakeSink
}

func (l *lockedSink) Apply(ctx context.Context, u rib.Update) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.s.Apply(ctx, u)
}

func (l *lockedSink) state() []rib.Route {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.s.state()
}

// TestFeedOverFPM sends cases_nonhg over TCP to an fpm.Server feeding a
// Feed, with a reconnect where zebra reconnected, and checks the routes
// that come out.
func TestFeedOverFPM(t *testing.T) {
	recs := readCapture(t, "cases_nonhg.bin")
	sink := &lockedSink{s: newFakeSink(t)}
	feed := NewFeed(sink, Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := fpm.NewServer(feed, fpm.Options{Listener: ln})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	waitFrames := func(n int) {
		deadline := time.Now().Add(5 * time.Second)
		for srv.Stats().Frames < uint64(n) {
			if time.Now().After(deadline) {
				t.Fatalf("server read %d frames, want %d", srv.Stats().Frames, n)
			}
			time.Sleep(time.Millisecond)
		}
	}
	var c net.Conn
	conn := uint32(0)
	for i, rec := range recs {
		if rec.Conn != conn {
			// zebra closes the old connection and opens a new one.
			// (A new connection would cut the old one short: wait
			// until its frames are read, as zebra's 3 s pause does.)
			if c != nil {
				waitFrames(i)
				c.Close()
			}
			if c, err = net.Dial("tcp", ln.Addr().String()); err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			conn = rec.Conn
		}
		b, err := rec.Frame.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write(b); err != nil {
			t.Fatal(err)
		}
	}

	var want []rib.Route // only connected routes are left; they are not handed on
	deadline := time.Now().Add(5 * time.Second)
	for {
		if srv.Stats().Frames == uint64(len(recs)) && cmp.Equal(want, sink.state(), cmpOpts) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("routes (-want +got):\n%s\nserver %+v", cmp.Diff(want, sink.state(), cmpOpts), srv.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
	st, fc := srv.Stats(), feed.Counters()
	if st.Connections != 2 || st.BadFrames != 0 || st.Skipped != 0 || fc.Connections != 2 || fc.DecodeErrors != 0 {
		t.Fatalf("server %+v\nfeed %+v", st, fc)
	}
}
