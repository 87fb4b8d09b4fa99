package fpm

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"
)

// idleRecorder is a recorder that also records Idle calls.
type idleRecorder struct{ recorder }

func (r *idleRecorder) Idle(ctx context.Context, conn uint64) error {
	r.enter()
	defer r.exit()
	r.add(event{kind: "idle", conn: conn})
	return nil
}

func TestServerIdle(t *testing.T) {
	h := &idleRecorder{recorder{t: t}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(h, Options{Listener: ln, IdleAfter: 100 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() { cancel(); <-done }()

	c := dial(t, ln.Addr().String())
	defer c.Close()
	f1 := frameBytes(t, []byte{1, 2, 3})
	f2 := frameBytes(t, []byte{4, 5, 6, 7})
	if _, err := c.Write(f1); err != nil {
		t.Fatal(err)
	}
	// Quiet: exactly one Idle, however long the quiet lasts.
	h.waitFor(t, "idle", func(evs []event) bool { return count(evs, "idle", 1) == 1 })
	time.Sleep(350 * time.Millisecond)
	if n := count(h.snapshot(), "idle", 1); n != 1 {
		t.Fatalf("%d idle calls during one quiet period, want 1", n)
	}
	// Half a frame, a quiet period, then the rest: the frame survives.
	if _, err := c.Write(f2[:3]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(250 * time.Millisecond)
	if _, err := c.Write(f2[3:]); err != nil {
		t.Fatal(err)
	}
	evs := h.waitFor(t, "second frame", func(evs []event) bool { return count(evs, "frame", 1) == 2 })
	var frames [][]byte
	for _, e := range evs {
		if e.kind == "frame" {
			frames = append(frames, e.payload)
		}
	}
	if string(frames[1]) != string([]byte{4, 5, 6, 7}) {
		t.Fatalf("second frame %v", frames[1])
	}
	h.waitFor(t, "idle after the second frame", func(evs []event) bool { return count(evs, "idle", 1) >= 2 })
	if st := s.Stats(); st.BadFrames != 0 || st.Resets != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestServerReset(t *testing.T) {
	h := &recorder{t: t}
	s, addr := startServer(t, h)
	ctx := context.Background()
	if had, err := s.Reset(ctx); err != nil || had {
		t.Fatalf("Reset without a connection: %v, %v", had, err)
	}
	c := dial(t, addr)
	defer c.Close()
	if _, err := c.Write(frameBytes(t, []byte{1})); err != nil {
		t.Fatal(err)
	}
	h.waitFor(t, "frame", func(evs []event) bool { return count(evs, "frame", 1) == 1 })
	if had, err := s.Reset(ctx); err != nil || !had {
		t.Fatalf("Reset: %v, %v", had, err)
	}
	evs := h.waitFor(t, "disconnected", func(evs []event) bool { return count(evs, "disconnected", 1) == 1 })
	if last := evs[len(evs)-1]; !errors.Is(last.err, ErrReset) {
		t.Fatalf("disconnected with %v, want ErrReset", last.err)
	}
	waitClosed(t, c)
}
