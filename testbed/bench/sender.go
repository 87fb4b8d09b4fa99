package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"time"

	"github.com/mdlayher/netlink"
	"github.com/vishvananda/netns"

	"github.com/lcpfib/lcpfib/fpm"
	"github.com/lcpfib/lcpfib/testbed/fulltable"
	"github.com/lcpfib/lcpfib/zebra"
)

// writeBuffer is how much the sender hands the socket at once.
const writeBuffer = 256 << 10

// dialIn connects to addr from inside the network namespace at nsPath. A
// socket stays in the namespace it was made in, so only the dialling
// thread enters it; it goes back afterwards and is given back to the
// runtime (if it cannot go back, it is left locked and exits with its
// goroutine).
func dialIn(ctx context.Context, nsPath, addr string, timeout time.Duration) (*net.TCPConn, error) {
	type result struct {
		c   net.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{nil, fmt.Errorf("reading this thread's network namespace: %w", err)}
			return
		}
		defer orig.Close()
		target, err := netns.GetFromPath(nsPath)
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{nil, fmt.Errorf("opening network namespace %s: %w", nsPath, err)}
			return
		}
		defer target.Close()
		if err := netns.Set(target); err != nil {
			runtime.UnlockOSThread()
			ch <- result{nil, fmt.Errorf("entering network namespace %s: %w", nsPath, err)}
			return
		}
		d := net.Dialer{Timeout: timeout}
		c, err := d.DialContext(ctx, "tcp", addr)
		if netns.Set(orig) == nil {
			runtime.UnlockOSThread()
		}
		ch <- result{c, err}
	}()
	r := <-ch
	if r.err != nil {
		return nil, r.err
	}
	return r.c.(*net.TCPConn), nil
}

// dialRetry dials until lcpfib accepts, as zebra does (zebra retries
// every 3 s; the benchmark every 50 ms, so as not to count its own
// back-off).
func dialRetry(ctx context.Context, nsPath, addr string, timeout time.Duration) (*net.TCPConn, error) {
	deadline := time.Now().Add(timeout)
	for {
		c, err := dialIn(ctx, nsPath, addr, time.Second)
		if err == nil {
			return c, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("connecting to lcpfib's FPM port %s in %s: nothing accepted within %v: %w", addr, nsPath, timeout, err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// feedConn is the benchmark's side of one FPM connection: it writes
// frames as zebra would and reads lcpfib's install notifications.
type feedConn struct {
	c     *net.TCPConn
	w     *bufio.Writer
	first time.Time // when the first byte went into the socket
	stop  func() bool

	mu       sync.Mutex
	notified int       // RTM_NEWROUTE notifications with RTM_F_OFFLOAD
	failed   int       // with RTM_F_OFFLOAD_FAILED
	lastNote time.Time // when the latest notification arrived
	probes   map[netip.Prefix]*probe
	readErr  error
	readDone chan struct{}
}

// firstWriter notes when its first Write begins.
type firstWriter struct {
	fc *feedConn
}

func (w firstWriter) Write(b []byte) (int, error) {
	if w.fc.first.IsZero() {
		w.fc.first = time.Now()
	}
	return w.fc.c.Write(b)
}

// newFeedConn takes over c and starts reading its notifications on a
// thread accounted to acct.
func newFeedConn(ctx context.Context, c *net.TCPConn, acct *threadAccount) *feedConn {
	fc := &feedConn{c: c, readDone: make(chan struct{})}
	fc.w = bufio.NewWriterSize(firstWriter{fc}, writeBuffer)
	fc.stop = context.AfterFunc(ctx, func() { c.Close() })
	go acct.onThread(fc.read)
	return fc
}

// close closes the connection and waits for the reader.
func (fc *feedConn) close() {
	fc.stop()
	fc.c.Close()
	<-fc.readDone
}

// encoded is a stream of frames encoded before it is sent, so that the
// sender's time is spent writing, as zebra's is, not generating a table.
type encoded struct {
	b    []byte
	ends []uint32 // where each frame ends in b
}

// encodeAll encodes every frame of seq.
func encodeAll(seq iter.Seq2[fulltable.Frame, error]) (*encoded, error) {
	e := &encoded{}
	for f, err := range seq {
		if err != nil {
			return nil, err
		}
		if len(e.b)+len(f.Bytes) > math.MaxUint32 {
			return nil, fmt.Errorf("more than 4 GiB of frames")
		}
		e.b = append(e.b, f.Bytes...)
		e.ends = append(e.ends, uint32(len(e.b)))
	}
	return e, nil
}

// sendAll writes every frame of e, calling between(i) before frame i
// (counting from 0) when between is not nil, and flushes. It returns the
// number of frames and bytes written. Without between, the frames go out
// in writeBuffer-sized writes straight from e.
func (fc *feedConn) sendAll(e *encoded, between func(i int) error) (frames int, bytes int64, err error) {
	if between == nil {
		if err := fc.w.Flush(); err != nil {
			return 0, 0, fmt.Errorf("writing: %w", err)
		}
		w := firstWriter{fc}
		for b := e.b; len(b) > 0; {
			n := min(len(b), writeBuffer)
			if _, err := w.Write(b[:n]); err != nil {
				return 0, bytes, fmt.Errorf("writing: %w", err)
			}
			b, bytes = b[n:], bytes+int64(n)
		}
		return len(e.ends), bytes, nil
	}
	start := uint32(0)
	for i, end := range e.ends {
		if err := between(i); err != nil {
			return frames, bytes, err
		}
		if _, err := fc.w.Write(e.b[start:end]); err != nil {
			return frames, bytes, fmt.Errorf("writing frame %d: %w", frames, err)
		}
		frames++
		bytes += int64(end - start)
		start = end
	}
	if err := fc.w.Flush(); err != nil {
		return frames, bytes, fmt.Errorf("writing: %w", err)
	}
	return frames, bytes, nil
}

// sendProbe flushes what is buffered, then writes the probe's frame b
// straight to the socket. The probe's latency starts just before that
// write: once every frame before it is in the socket.
func (fc *feedConn) sendProbe(p *probe, b []byte) error {
	if err := fc.w.Flush(); err != nil {
		return fmt.Errorf("writing: %w", err)
	}
	t := time.Now()
	if fc.first.IsZero() {
		fc.first = t
	}
	fc.mu.Lock()
	p.sent = t
	fc.mu.Unlock()
	if _, err := fc.c.Write(b); err != nil {
		return fmt.Errorf("writing probe %s: %w", p.prefix, err)
	}
	return nil
}

// watch makes the reader note the notification time of these probes.
func (fc *feedConn) watch(ps []*probe) {
	m := make(map[netip.Prefix]*probe, len(ps))
	for _, p := range ps {
		m[p.prefix] = p
	}
	fc.mu.Lock()
	fc.probes = m
	fc.mu.Unlock()
}

// notes returns the notification counts so far.
func (fc *feedConn) notes() (ok, failed int, last time.Time) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	return fc.notified, fc.failed, fc.lastNote
}

// Netlink and rtnetlink layout the reader needs to sort notifications
// without decoding all of them.
const (
	nlmsgHdrLen    = 16
	rtmsgLen       = 12
	rtmFlagsOffset = nlmsgHdrLen + 8
)

// read takes lcpfib's notifications until the connection ends.
func (fc *feedConn) read() {
	defer close(fc.readDone)
	r := fpm.NewReader(fc.c)
	for {
		f, err := r.Next()
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				fc.mu.Lock()
				fc.readErr = err
				fc.mu.Unlock()
			}
			return
		}
		now := time.Now()
		fc.mu.Lock()
		fc.notes1(f.Payload, now)
		fc.mu.Unlock()
	}
}

// notes1 counts the notifications of one frame and times the probes'.
// Only messages that could be a probe (IPv4 /32) are decoded.
func (fc *feedConn) notes1(b []byte, now time.Time) {
	for len(b) >= nlmsgHdrLen {
		n := int(binary.NativeEndian.Uint32(b[0:4]))
		if n < nlmsgHdrLen || n > len(b) {
			return // malformed: lcpfib's bug, seen as missing notifications
		}
		msg := b[:n]
		b = b[min((n+3)&^3, len(b)):]
		if netlink.HeaderType(binary.NativeEndian.Uint16(msg[4:6])) != zebra.TypeNewRoute || n < nlmsgHdrLen+rtmsgLen {
			continue
		}
		flags := binary.NativeEndian.Uint32(msg[rtmFlagsOffset:])
		switch {
		case flags&zebra.RouteFlagOffloadFailed != 0:
			fc.failed++
		case flags&zebra.RouteFlagOffload != 0:
			fc.notified++
		default:
			continue
		}
		fc.lastNote = now
		if len(fc.probes) == 0 || msg[nlmsgHdrLen] != zebra.FamilyInet || msg[nlmsgHdrLen+1] != 32 {
			continue
		}
		ms, err := zebra.UnmarshalMessages(msg)
		if err != nil || len(ms) != 1 || ms[0].Route == nil {
			continue
		}
		pfx, err := ms[0].Route.Prefix()
		if err != nil {
			continue
		}
		if p := fc.probes[pfx]; p != nil && !p.sent.IsZero() && p.notified.IsZero() {
			p.notified = now
			p.failed = flags&zebra.RouteFlagOffloadFailed != 0
		}
	}
}
