package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/lcpfib/lcpfib/fpm"
	"github.com/lcpfib/lcpfib/rib"
	"github.com/lcpfib/lcpfib/testbed/fulltable"
	"github.com/lcpfib/lcpfib/zebra"
)

// captureDir holds the FRR recordings, relative to this package; they are
// not copied into the repository.
const captureDir = "../../../shared/fpm-captures"

var cmpOpts = cmp.Options{cmpopts.EquateComparable(netip.Addr{}, netip.Prefix{})}

// counter is an fpm.Handler that counts and hashes what it receives and
// passes it on to next, if set. The server calls it from its goroutine;
// the test reads it from its own, hence the lock.
type counter struct {
	next fpm.Handler

	mu     sync.Mutex
	conns  []uint64
	frames int
	bytes  int
	hash   hash.Hash
	errs   []error
}

func newCounter(next fpm.Handler) *counter { return &counter{next: next, hash: sha256.New()} }

func (c *counter) Connected(ctx context.Context, conn uint64, remote net.Addr) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.conns = append(c.conns, conn)
	if c.next != nil {
		return c.next.Connected(ctx, conn, remote)
	}
	return nil
}

func (c *counter) Frame(ctx context.Context, conn uint64, payload []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.frames++
	c.bytes += fpm.HeaderLen + len(payload)
	c.hash.Write(payload)
	if c.next != nil {
		if err := c.next.Frame(ctx, conn, payload); err != nil {
			c.errs = append(c.errs, err)
			return err
		}
	}
	return nil
}

func (c *counter) Flush(ctx context.Context, conn uint64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.next != nil {
		return c.next.Flush(ctx, conn)
	}
	return nil
}

func (c *counter) Disconnected(conn uint64, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.errs = append(c.errs, fmt.Errorf("connection %d: %w", conn, err))
	}
	if c.next != nil {
		c.next.Disconnected(conn, err)
	}
}

type received struct {
	conns         []uint64
	frames, bytes int
	sum           []byte
	errs          []error
}

func (c *counter) received() received {
	c.mu.Lock()
	defer c.mu.Unlock()
	return received{conns: slices.Clone(c.conns), frames: c.frames, bytes: c.bytes,
		sum: c.hash.Sum(nil), errs: slices.Clone(c.errs)}
}

// startServer runs an fpm.Server on a free loopback port until the test
// ends and returns its address.
func startServer(t *testing.T, h fpm.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := fpm.NewServer(h, fpm.Options{Listener: ln})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
	})
	return ln.Addr().String()
}

// testOptions are the defaults of the command line, aimed at addr.
func testOptions(t *testing.T, addr string, args ...string) options {
	t.Helper()
	o, err := parseFlags(append([]string{"-addr", addr}, args...), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	o.wait = 30 * time.Second
	return o
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// captured reads what a recording holds: its frames per connection, their
// bytes and the hash of their payloads in order.
func captured(t *testing.T, name string, conn uint32) received {
	t.Helper()
	recs, err := fpm.ReadCaptureFile(filepath.Join(captureDir, name))
	if err != nil {
		t.Fatalf("reading capture (see %s/README.md): %v", captureDir, err)
	}
	var r received
	h := sha256.New()
	var last uint32
	for _, rec := range recs {
		if conn != 0 && rec.Conn != conn {
			continue
		}
		if len(r.conns) == 0 || rec.Conn != last {
			r.conns = append(r.conns, uint64(len(r.conns)+1))
			last = rec.Conn
		}
		r.frames++
		r.bytes += fpm.HeaderLen + len(rec.Frame.Payload)
		h.Write(rec.Frame.Payload)
	}
	r.sum = h.Sum(nil)
	return r
}

// TestReplayCapture replays recordings to an fpm.Server and checks that
// every frame arrived, in order and intact.
func TestReplayCapture(t *testing.T) {
	tests := []struct {
		name string
		file string
		args []string
		conn uint32
		pass int // passes (1 + -reconnect)
	}{
		{name: "cases_nhg", file: "cases_nhg.bin", pass: 1},
		{name: "two zebra connections", file: "cases_nonhg.bin", pass: 1},
		{name: "one of them", file: "cases_nonhg.bin", args: []string{"-conn", "2"}, conn: 2, pass: 1},
		{name: "gzipped, reconnect", file: "load.bin.gz", args: []string{"-reconnect"}, pass: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCounter(nil)
			addr := startServer(t, c)
			args := append([]string{"-capture", filepath.Join(captureDir, tt.file)}, tt.args...)
			var out bytes.Buffer
			tot, err := replay(context.Background(), testOptions(t, addr, args...), testLogger(t), &out)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("\n%s", out.String())
			want := captured(t, tt.file, tt.conn)
			got := c.received()
			if len(got.errs) > 0 {
				t.Errorf("server: %v", got.errs)
			}
			if len(got.conns) != tt.pass*len(want.conns) {
				t.Errorf("%d connections, want %d", len(got.conns), tt.pass*len(want.conns))
			}
			if got.frames != tt.pass*want.frames || got.bytes != tt.pass*want.bytes {
				t.Errorf("server got %d frames, %d bytes; want %d, %d",
					got.frames, got.bytes, tt.pass*want.frames, tt.pass*want.bytes)
			}
			if tt.pass == 1 && !bytes.Equal(got.sum, want.sum) {
				t.Errorf("payloads differ from the capture's")
			}
			if tot.frames != int64(got.frames) || tot.conns != len(got.conns) {
				t.Errorf("summary says %d frames on %d connections, server saw %d on %d",
					tot.frames, tot.conns, got.frames, len(got.conns))
			}
		})
	}
}

// lockedSink applies a Feed's updates to a map, as the rib would for one
// source.
type lockedSink struct {
	mu     sync.Mutex
	routes map[rib.Key]rib.Route
}

func (s *lockedSink) Apply(ctx context.Context, u rib.Update) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range u.Del {
		delete(s.routes, k)
	}
	for _, r := range u.Set {
		s.routes[r.Key] = r
	}
	return nil
}

func (s *lockedSink) state() map[rib.Key]rib.Route {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.routes)
}

// TestReplayTable sends a generated 50k table, its withdrawals and a
// replay on a second connection to an fpm.Server feeding package zebra's
// Feed, in both wire modes, and checks every frame and the final table.
func TestReplayTable(t *testing.T) {
	for _, nhg := range []string{"true", "false"} {
		t.Run("nhg="+nhg, func(t *testing.T) {
			sink := &lockedSink{routes: map[rib.Key]rib.Route{}}
			c := newCounter(zebra.NewFeed(sink, zebra.Options{}))
			addr := startServer(t, c)
			o := testOptions(t, addr, "-v4", "40000", "-v6", "10000", "-nhg="+nhg,
				"-seed", "7", "-withdraw", "0.1", "-reconnect")
			var out bytes.Buffer
			tot, err := replay(context.Background(), o, testLogger(t), &out)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("\n%s", out.String())

			tab, err := fulltable.New(o.table)
			if err != nil {
				t.Fatal(err)
			}
			n := tab.Counts()
			load := n.V4 + n.V6
			if nhg == "true" {
				load += n.Nexthops + n.Groups
			}
			wantFrames := load + n.Withdrawn + load - n.Withdrawn
			got := c.received()
			if len(got.errs) > 0 {
				t.Errorf("server: %v", got.errs)
			}
			if got.frames != wantFrames || tot.frames != int64(wantFrames) {
				t.Errorf("server got %d frames, replay sent %d; want %d", got.frames, tot.frames, wantFrames)
			}
			if !slices.Equal(got.conns, []uint64{1, 2}) {
				t.Errorf("connections %v, want 1 and 2", got.conns)
			}
			if want := int64(n.V4 + n.V6 + n.Withdrawn + n.V4 + n.V6 - n.Withdrawn); tot.routes != want {
				t.Errorf("summary counts %d routes, want %d", tot.routes, want)
			}
			want := map[rib.Key]rib.Route{}
			for r := range tab.Expected() {
				want[r.Key] = r
			}
			if diff := diffRoutes(want, sink.state()); diff != "" {
				t.Fatalf("final table:\n%s", diff)
			}
		})
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want func(o *options)
		err  string
	}{
		{name: "defaults", want: func(o *options) {}},
		{
			name: "generated",
			args: []string{"-v4", "10", "-v6", "0", "-ecmp", "0", "-nhg=false", "-seed", "3", "-table", "100",
				"-withdraw", "0.5", "-rate", "1000", "-reconnect=3"},
			want: func(o *options) {
				o.table.V4, o.table.V6, o.table.ECMP, o.table.NexthopGroups = 10, 0, 0, false
				o.table.Seed, o.table.Table, o.table.Withdraw = 3, 100, 0.5
				o.rate, o.reconnect = 1000, 3
			},
		},
		{
			name: "capture",
			args: []string{"-capture", "x.bin", "-conn", "2", "-reconnect", "-addr", "[::1]:2620"},
			want: func(o *options) { o.capture, o.conn, o.reconnect, o.addr = "x.bin", 2, 1, "[::1]:2620" },
		},
		{name: "capture and table", args: []string{"-capture", "x.bin", "-v4", "5", "-withdraw", "0.1"},
			err: "-v4: only for a generated table, not with -capture\n-withdraw: only for a generated table, not with -capture"},
		{name: "conn without capture", args: []string{"-conn", "1"}, err: "-conn 1: only with -capture"},
		{name: "address", args: []string{"-addr", "localhost"}, err: `-addr "localhost": address localhost: missing port in address`},
		{name: "rate", args: []string{"-rate", "-5"}, err: "-rate -5: want 0 or more routes per second"},
		{name: "table", args: []string{"-table", "0"}, err: "-table 0: want 1 to 4294967295"},
		{name: "reconnect", args: []string{"-reconnect=-1"}, err: "-reconnect -1: want 0 or more"},
		{name: "argument", args: []string{"extra"}, err: `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseFlags(tt.args, io.Discard)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want, _ := parseFlags(nil, io.Discard)
			tt.want(&want)
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(options{}), cmpOpts); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestPacer(t *testing.T) {
	start := time.Unix(1000, 0)
	now := start
	p := pacer{rate: 1000, start: start, now: func() time.Time { return now }}
	if d := p.add(1); d != time.Millisecond {
		t.Errorf("first route: wait %s, want 1ms", d)
	}
	now = start.Add(500 * time.Millisecond)
	if d := p.add(99); d != -400*time.Millisecond {
		t.Errorf("behind: %s, want -400ms", d)
	}
	if d := p.add(900); d != 500*time.Millisecond {
		t.Errorf("ahead: %s, want 500ms", d)
	}
}

// TestListenerGone: a replay to a port nobody listens on fails with the
// address in the error.
func TestListenerGone(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = replay(context.Background(), testOptions(t, addr, "-v4", "10", "-v6", "10"), testLogger(t), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "connecting to "+addr) {
		t.Fatalf("error %v, want one about connecting to %s", err, addr)
	}
}

// TestCancel: cancelling stops a replay that the listener does not read.
func TestCancel(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c // never read
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := replay(ctx, testOptions(t, ln.Addr().String()), testLogger(t), io.Discard)
		done <- err
	}()
	c := <-accepted
	defer c.Close()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}

// diffRoutes compares two tables route by route (cmp.Diff on tens of
// thousands of routes is slow under the race detector) and describes the
// first differences.
func diffRoutes(want, got map[rib.Key]rib.Route) string {
	var b strings.Builder
	n := 0
	note := func(format string, a ...any) {
		if n < 10 {
			fmt.Fprintf(&b, format+"\n", a...)
		}
		n++
	}
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok:
			note("missing %s", w)
		case w.Kind != g.Kind || w.Source != g.Source || w.Protocol != g.Protocol || !slices.Equal(w.Paths, g.Paths):
			note("%s (-want +got):\n%s", k, cmp.Diff(w, g, cmpOpts))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			note("unexpected %s", g)
		}
	}
	if n > 10 {
		fmt.Fprintf(&b, "... %d differences in all\n", n)
	}
	return b.String()
}
