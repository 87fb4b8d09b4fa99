package fpm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// event is one Handler call as recorded by recorder.
type event struct {
	kind    string // connected, frame, flush, disconnected
	conn    uint64
	payload []byte
	err     error
}

// recorder is a Handler that records its calls and fails the test if two of
// them ever overlap.
type recorder struct {
	t        *testing.T
	busy     atomic.Int32
	mu       sync.Mutex
	events   []event
	frameErr func(payload []byte) error // nil: accept every frame
}

func (r *recorder) enter() {
	if r.busy.Add(1) != 1 {
		r.t.Error("concurrent handler calls")
	}
	time.Sleep(time.Millisecond) // widen the window for overlap
}

func (r *recorder) exit() { r.busy.Add(-1) }

func (r *recorder) add(e event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) snapshot() []event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

func (r *recorder) Connected(ctx context.Context, conn uint64, remote net.Addr) error {
	r.enter()
	defer r.exit()
	r.add(event{kind: "connected", conn: conn})
	return nil
}

func (r *recorder) Frame(ctx context.Context, conn uint64, payload []byte) error {
	r.enter()
	defer r.exit()
	r.add(event{kind: "frame", conn: conn, payload: bytes.Clone(payload)})
	if r.frameErr != nil {
		return r.frameErr(payload)
	}
	return nil
}

func (r *recorder) Flush(ctx context.Context, conn uint64) error {
	r.enter()
	defer r.exit()
	r.add(event{kind: "flush", conn: conn})
	return nil
}

func (r *recorder) Disconnected(conn uint64, err error) {
	r.enter()
	defer r.exit()
	r.add(event{kind: "disconnected", conn: conn, err: err})
}

// waitFor polls until cond holds for the recorded events.
func (r *recorder) waitFor(t *testing.T, what string, cond func([]event) bool) []event {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		evs := r.snapshot()
		if cond(evs) {
			return evs
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; events: %s", what, describe(evs))
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func describe(evs []event) string {
	var b bytes.Buffer
	for _, e := range evs {
		fmt.Fprintf(&b, "\n  %s conn=%d len=%d err=%v", e.kind, e.conn, len(e.payload), e.err)
	}
	return b.String()
}

func count(evs []event, kind string, conn uint64) int {
	n := 0
	for _, e := range evs {
		if e.kind == kind && e.conn == conn {
			n++
		}
	}
	return n
}

// startServer runs a server for h on a loopback port until the test ends.
func startServer(t *testing.T, h Handler) (*Server, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(h, Options{Listener: ln})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Run did not return after cancel")
		}
	})
	return s, ln.Addr().String()
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func frameBytes(t *testing.T, payload []byte) []byte {
	t.Helper()
	b, err := Frame{Version: Version, Type: TypeNetlink, Payload: payload}.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// waitClosed checks that the server closed c.
func waitClosed(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := c.Read(make([]byte, 1))
	if err == nil {
		t.Fatal("read succeeded, want the connection closed")
	}
	if ne := net.Error(nil); errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("connection still open")
	}
}

func TestServerFramesAndFlush(t *testing.T) {
	r := &recorder{t: t}
	s, addr := startServer(t, r)
	c := dial(t, addr)

	// Three frames in one write: one burst, one flush at its end.
	var burst []byte
	for i := range 3 {
		burst = append(burst, frameBytes(t, []byte{byte(i), 0, 0, 0})...)
	}
	if _, err := c.Write(burst); err != nil {
		t.Fatal(err)
	}
	evs := r.waitFor(t, "3 frames and a flush", func(evs []event) bool { return count(evs, "flush", 1) >= 1 })
	if count(evs, "frame", 1) != 3 {
		t.Fatalf("frames before the first flush: %s", describe(evs))
	}
	c.Close()
	evs = r.waitFor(t, "disconnect", func(evs []event) bool { return count(evs, "disconnected", 1) == 1 })
	kinds := make([]string, len(evs))
	for i, e := range evs {
		kinds[i] = e.kind
	}
	want := []string{"connected", "frame", "frame", "frame", "flush", "disconnected"}
	if !slices.Equal(kinds, want) {
		t.Fatalf("calls %v, want %v", kinds, want)
	}
	if err := evs[len(evs)-1].err; err != nil {
		t.Fatalf("clean close reported %v", err)
	}
	st := s.Stats()
	if st.Frames != 3 || st.Bytes != 3*8 || st.Connections != 1 || st.BadFrames != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestServerReassemblesSplitFrames(t *testing.T) {
	r := &recorder{t: t}
	_, addr := startServer(t, r)
	c := dial(t, addr)
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}

	big := bytes.Repeat([]byte{0xab}, 3000)
	stream := append(frameBytes(t, big), frameBytes(t, []byte{1, 2, 3, 4})...)
	// Cut inside the first header, inside the first payload, and across
	// the boundary between the frames.
	cuts := []int{2, 5, 1500, len(big) + 4 + 1, len(stream)}
	prev := 0
	for _, cut := range cuts {
		if _, err := c.Write(stream[prev:cut]); err != nil {
			t.Fatal(err)
		}
		prev = cut
		time.Sleep(10 * time.Millisecond)
	}
	evs := r.waitFor(t, "2 frames", func(evs []event) bool { return count(evs, "frame", 1) == 2 })
	var got [][]byte
	for _, e := range evs {
		if e.kind == "frame" {
			got = append(got, e.payload)
		}
	}
	if !bytes.Equal(got[0], big) || !bytes.Equal(got[1], []byte{1, 2, 3, 4}) {
		t.Fatalf("payloads not reassembled: %d and %d bytes", len(got[0]), len(got[1]))
	}
	// A partial frame in the buffer means the burst is drained: there
	// must have been a flush before the second frame arrived.
	if i, j := slices.IndexFunc(evs, func(e event) bool { return e.kind == "flush" }),
		slices.IndexFunc(evs, func(e event) bool { return e.kind == "frame" && len(e.payload) == 4 }); i < 0 || i > j {
		t.Fatalf("no flush between the split frames: %s", describe(evs))
	}
}

func TestServerNewConnectionReplacesOld(t *testing.T) {
	r := &recorder{t: t}
	s, addr := startServer(t, r)

	old := dial(t, addr)
	if _, err := old.Write(frameBytes(t, []byte{1, 1, 1, 1})); err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, "frame on conn 1", func(evs []event) bool { return count(evs, "frame", 1) == 1 })

	// zebra reconnects while the old connection is still open.
	cur := dial(t, addr)
	waitClosed(t, old)
	if _, err := cur.Write(frameBytes(t, []byte{2, 2, 2, 2})); err != nil {
		t.Fatal(err)
	}
	evs := r.waitFor(t, "frame on conn 2", func(evs []event) bool { return count(evs, "frame", 2) == 1 })

	// The old connection was finished before the new one started.
	disc := slices.IndexFunc(evs, func(e event) bool { return e.kind == "disconnected" && e.conn == 1 })
	conn2 := slices.IndexFunc(evs, func(e event) bool { return e.kind == "connected" && e.conn == 2 })
	if disc < 0 || conn2 < 0 || disc > conn2 {
		t.Fatalf("conn 1 not disconnected before conn 2 connected: %s", describe(evs))
	}
	if err := evs[disc].err; !errors.Is(err, ErrReplaced) {
		t.Fatalf("conn 1 disconnected with %v, want ErrReplaced", err)
	}
	// Writing to the old connection now fails or is ignored; the new one
	// keeps working.
	old.Write(frameBytes(t, []byte{9, 9, 9, 9}))
	if _, err := cur.Write(frameBytes(t, []byte{3, 3, 3, 3})); err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, "second frame on conn 2", func(evs []event) bool { return count(evs, "frame", 2) == 2 })
	if n := count(r.snapshot(), "frame", 1); n != 1 {
		t.Fatalf("%d frames on the replaced connection, want 1", n)
	}
	if st := s.Stats(); st.Connections != 2 || st.Current != 2 {
		t.Fatalf("stats %+v", st)
	}
}

func TestServerBadHeaderClosesConnection(t *testing.T) {
	r := &recorder{t: t}
	s, addr := startServer(t, r)
	c := dial(t, addr)

	stream := append(frameBytes(t, []byte{1, 2, 3, 4}), 0x02, 0x01, 0x00, 0x08, 0, 0, 0, 0)
	if _, err := c.Write(stream); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, c)
	evs := r.waitFor(t, "disconnect", func(evs []event) bool { return count(evs, "disconnected", 1) == 1 })
	if err := evs[len(evs)-1].err; !errors.Is(err, ErrBadVersion) {
		t.Fatalf("disconnected with %v, want ErrBadVersion", err)
	}
	if count(evs, "frame", 1) != 1 {
		t.Fatalf("the good frame before the bad one was not handled: %s", describe(evs))
	}
	// The good frame was flushed before the connection went away.
	if count(evs, "flush", 1) != 1 {
		t.Fatalf("no flush before disconnect: %s", describe(evs))
	}
	if st := s.Stats(); st.BadFrames != 1 || st.Resets != 1 {
		t.Fatalf("stats %+v", st)
	}

	// zebra reconnects and the server serves it.
	c2 := dial(t, addr)
	if _, err := c2.Write(frameBytes(t, []byte{5, 5, 5, 5})); err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, "frame on conn 2", func(evs []event) bool { return count(evs, "frame", 2) == 1 })
}

func TestServerHandlerErrors(t *testing.T) {
	errFatal := errors.New("sink gone")
	r := &recorder{t: t, frameErr: func(p []byte) error {
		switch p[0] {
		case 's':
			return fmt.Errorf("bad message: %w", ErrSkip)
		case 'x':
			return errFatal
		}
		return nil
	}}
	s, addr := startServer(t, r)
	c := dial(t, addr)

	for _, p := range []string{"s...", "ok..", "s...", "ok.."} {
		if _, err := c.Write(frameBytes(t, []byte(p))); err != nil {
			t.Fatal(err)
		}
	}
	r.waitFor(t, "4 frames", func(evs []event) bool { return count(evs, "frame", 1) == 4 })
	if st := s.Stats(); st.Skipped != 2 || st.Resets != 0 {
		t.Fatalf("after skips: stats %+v", st)
	}

	if _, err := c.Write(frameBytes(t, []byte("x..."))); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, c)
	evs := r.waitFor(t, "disconnect", func(evs []event) bool { return count(evs, "disconnected", 1) == 1 })
	if err := evs[len(evs)-1].err; !errors.Is(err, errFatal) {
		t.Fatalf("disconnected with %v, want %v", err, errFatal)
	}
	if st := s.Stats(); st.Resets != 1 {
		t.Fatalf("after a fatal handler error: stats %+v", st)
	}
}

func TestServerRunStops(t *testing.T) {
	r := &recorder{t: t}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(r, Options{Listener: ln})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()

	c := dial(t, ln.Addr().String())
	if _, err := c.Write(frameBytes(t, []byte{1, 2, 3, 4})); err != nil {
		t.Fatal(err)
	}
	r.waitFor(t, "frame", func(evs []event) bool { return count(evs, "frame", 1) == 1 })
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return")
	}
	// Run has returned: the connection's Disconnected has already run.
	evs := r.snapshot()
	if last := evs[len(evs)-1]; last.kind != "disconnected" || !errors.Is(last.err, context.Canceled) {
		t.Fatalf("last call %s err=%v, want disconnected with context.Canceled", last.kind, last.err)
	}
	waitClosed(t, c)
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Fatal("listener still open after Run returned")
	}
}

func TestServerListenError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s := NewServer(&recorder{t: t}, Options{Addr: ln.Addr().String()})
	if err := s.Run(context.Background()); err == nil {
		t.Fatal("Run on a busy port returned nil")
	}
}

// Frames captured from zebra, sent as one stream, arrive intact and in
// order.
func TestServerCaptureStream(t *testing.T) {
	recs := readCapture(t, "cases_nhg.bin")
	r := &recorder{t: t}
	s, addr := startServer(t, r)
	c := dial(t, addr)
	var stream []byte
	for _, rec := range recs {
		b, err := rec.Frame.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		stream = append(stream, b...)
	}
	if _, err := io.Copy(c, bytes.NewReader(stream)); err != nil {
		t.Fatal(err)
	}
	evs := r.waitFor(t, "all frames", func(evs []event) bool { return count(evs, "frame", 1) == len(recs) })
	i := 0
	for _, e := range evs {
		if e.kind != "frame" {
			continue
		}
		if !bytes.Equal(e.payload, recs[i].Frame.Payload) {
			t.Fatalf("frame %d differs", i)
		}
		i++
	}
	if st := s.Stats(); st.Bytes != uint64(len(stream)) {
		t.Fatalf("Bytes = %d, want %d", st.Bytes, len(stream))
	}
}
