package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"
)

// Log attribute keys.
const (
	logKeyErr   = "err"
	logKeyConn  = "conn"
	logKeyAddr  = "addr"
	logKeyPass  = "pass"
	logKeyLocal = "local"
	logKeySrc   = "source"
	logKeyDry   = "dry_run"
	logKeyWait  = "wait"
	logKeyDone  = "drained"
)

// writeBuffer is how much is written to the socket at once.
const writeBuffer = 256 << 10

// sender sends the passes of a source, one TCP connection per pass and
// per connection of the source.
type sender struct {
	opts options
	log  *slog.Logger
	out  io.Writer // summary lines
}

// connStats describe one TCP connection.
type connStats struct {
	pass    int
	n       int // connection number, counting from 1
	frames  int64
	bytes   int64
	routes  int64
	sent    time.Duration // from connecting to the last byte written
	taken   time.Duration // from connecting to the listener closing, when drained
	drained bool          // the listener closed its side within -wait
}

// elapsed is the time the listener took the frames in, as well as it is
// known.
func (s connStats) elapsed() time.Duration {
	if s.drained {
		return s.taken
	}
	return s.sent
}

// total adds up connections.
type total struct {
	conns                 int
	frames, bytes, routes int64
	elapsed               time.Duration // of the connections, pauses between them left out
}

func (t *total) add(s connStats) {
	t.conns++
	t.frames += s.frames
	t.bytes += s.bytes
	t.routes += s.routes
	t.elapsed += s.elapsed()
}

// run sends every pass of src and prints a line per connection and a
// total.
func (s *sender) run(ctx context.Context, src source) (total, error) {
	var tot total
	for pass := 0; pass <= s.opts.reconnect; pass++ {
		if pass > 0 && s.opts.reconnectDelay > 0 {
			if err := sleep(ctx, s.opts.reconnectDelay); err != nil {
				return tot, err
			}
		}
		var cur *session
		for fr, err := range src.frames(pass) {
			if err == nil && (cur == nil || fr.conn != cur.srcConn) {
				if cur != nil {
					st, ferr := cur.finish(ctx)
					if ferr != nil {
						return tot, ferr
					}
					tot.add(st)
					s.report(st)
					if err := sleep(ctx, s.opts.reconnectDelay); err != nil {
						return tot, err
					}
				}
				cur, err = s.open(ctx, pass, tot.conns+1, fr.conn)
			}
			if err == nil {
				err = cur.send(ctx, fr)
			}
			if err != nil {
				if cur != nil {
					cur.abort()
				}
				return tot, err
			}
		}
		if cur == nil {
			return tot, fmt.Errorf("pass %d: %w", pass+1, errNoFrames)
		}
		st, err := cur.finish(ctx)
		if err != nil {
			return tot, err
		}
		tot.add(st)
		s.report(st)
	}
	if tot.conns > 1 {
		s.reportTotal(tot)
	}
	return tot, nil
}

// A session is one TCP connection being written.
type session struct {
	s       *sender
	c       *tcpConn // nil in a dry run
	w       *bufio.Writer
	stop    func() bool // ends the context watch
	srcConn uint32
	start   time.Time
	pace    pacer
	st      connStats
}

func (s *sender) open(ctx context.Context, pass, n int, srcConn uint32) (*session, error) {
	ss := &session{s: s, srcConn: srcConn, st: connStats{pass: pass + 1, n: n}}
	if s.opts.dryRun {
		ss.w = bufio.NewWriterSize(io.Discard, writeBuffer)
		ss.stop = func() bool { return true }
	} else {
		d := net.Dialer{Timeout: s.opts.timeout}
		c, err := d.DialContext(ctx, "tcp", s.opts.addr)
		if err != nil {
			return nil, fmt.Errorf("connecting to %s: %w", s.opts.addr, err)
		}
		ss.c = &tcpConn{TCPConn: c.(*net.TCPConn), timeout: s.opts.timeout}
		ss.stop = context.AfterFunc(ctx, ss.c.cancel)
		ss.w = bufio.NewWriterSize(ss.c, writeBuffer)
		s.log.Info("connected", logKeyAddr, s.opts.addr, logKeyLocal, c.LocalAddr().String(),
			logKeyConn, n, logKeyPass, pass+1)
	}
	ss.start = time.Now()
	ss.pace = pacer{rate: s.opts.rate, start: ss.start, now: time.Now}
	return ss, nil
}

// send writes one frame, waiting first if it is ahead of -rate.
func (ss *session) send(ctx context.Context, fr frame) error {
	if _, err := ss.w.Write(fr.b); err != nil {
		return ss.err(ctx, "sending", err)
	}
	ss.st.frames++
	ss.st.bytes += int64(len(fr.b))
	ss.st.routes += int64(fr.routes)
	if fr.routes == 0 || ss.pace.rate == 0 {
		return nil
	}
	if d := ss.pace.add(fr.routes); d >= minPause {
		if err := ss.w.Flush(); err != nil {
			return ss.err(ctx, "sending", err)
		}
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
	return nil
}

// finish flushes, shuts the sending side and waits up to -wait for the
// listener to close the connection once it has read everything.
func (ss *session) finish(ctx context.Context) (connStats, error) {
	defer ss.abort()
	if err := ss.w.Flush(); err != nil {
		return ss.st, ss.err(ctx, "sending", err)
	}
	ss.st.sent = time.Since(ss.start)
	if ss.c == nil {
		return ss.st, nil
	}
	if err := ss.c.CloseWrite(); err != nil {
		return ss.st, ss.err(ctx, "closing", err)
	}
	if ss.s.opts.wait <= 0 {
		return ss.st, nil
	}
	ss.c.setDeadline(true, time.Now().Add(ss.s.opts.wait))
	_, err := io.Copy(io.Discard, ss.c) // the listener sends nothing; EOF when it closes
	switch {
	case err == nil:
		ss.st.taken = time.Since(ss.start)
		ss.st.drained = true
	case ctx.Err() != nil:
		return ss.st, ctx.Err()
	case errors.Is(err, os.ErrDeadlineExceeded):
		ss.s.log.Warn("listener did not close the connection in time; its rate is not known",
			logKeyConn, ss.st.n, logKeyWait, ss.s.opts.wait)
	default:
		// A reset here means the listener closed before reading all we
		// sent: it refused something.
		return ss.st, ss.err(ctx, "waiting for the listener to close", err)
	}
	ss.s.log.Debug("connection done", logKeyConn, ss.st.n, logKeyDone, ss.st.drained)
	return ss.st, nil
}

// abort closes the connection.
func (ss *session) abort() {
	ss.stop()
	if ss.c != nil {
		ss.c.Close()
	}
}

// err wraps a connection error; a cancelled context wins.
func (ss *session) err(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("connection %d: %s after %d frames: %w", ss.st.n, what, ss.st.frames, err)
}

// tcpConn gives every write a deadline, so that a listener that stops
// reading fails the replay instead of hanging it, and lets a cancellation
// end a write or read in progress: once cancelled, no deadline set later
// can push the cancellation's back.
type tcpConn struct {
	*net.TCPConn
	timeout time.Duration

	mu        sync.Mutex
	cancelled bool
}

// cancel makes the read or write in progress, and every later one, fail.
func (c *tcpConn) cancel() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cancelled = true
	c.TCPConn.SetDeadline(time.Now())
}

// setDeadline sets the read or write deadline unless cancelled.
func (c *tcpConn) setDeadline(read bool, t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.cancelled:
	case read:
		c.TCPConn.SetReadDeadline(t)
	default:
		c.TCPConn.SetWriteDeadline(t)
	}
}

func (c *tcpConn) Write(b []byte) (int, error) {
	if c.timeout > 0 {
		c.setDeadline(false, time.Now().Add(c.timeout))
	}
	return c.TCPConn.Write(b)
}

// minPause is the shortest wait worth a flush and a sleep when pacing.
const minPause = time.Millisecond

// pacer spreads routes evenly at rate routes per second since start.
type pacer struct {
	rate  float64
	start time.Time
	sent  int64
	now   func() time.Time
}

// add counts routes about to be sent and returns how long to wait so that
// they do not run ahead of the rate.
func (p *pacer) add(routes int) time.Duration {
	p.sent += int64(routes)
	due := p.start.Add(time.Duration(float64(p.sent) / p.rate * float64(time.Second)))
	return due.Sub(p.now())
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// report prints one connection's line.
func (s *sender) report(st connStats) {
	how := "taken by the listener in"
	if !st.drained {
		how = "written in"
	}
	fmt.Fprintf(s.out, "pass %d, connection %d: %d frames, %s, %d routes %s %s: %s routes/s, %s frames/s\n",
		st.pass, st.n, st.frames, megabytes(st.bytes), st.routes, how, st.elapsed().Round(time.Millisecond),
		perSecond(st.routes, st.elapsed()), perSecond(st.frames, st.elapsed()))
}

func (s *sender) reportTotal(t total) {
	fmt.Fprintf(s.out, "total, %d connections: %d frames, %s, %d routes in %s: %s routes/s\n",
		t.conns, t.frames, megabytes(t.bytes), t.routes, t.elapsed.Round(time.Millisecond),
		perSecond(t.routes, t.elapsed))
}

func megabytes(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/1e6) }

func perSecond(n int64, d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", float64(n)/d.Seconds())
}
