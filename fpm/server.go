package fpm

import (
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

// DefaultAddr is where zebra's dplane_fpm_nl connects unless told otherwise
// ("fpm address" in zebra's configuration).
const DefaultAddr = "127.0.0.1:2620"

// Log attribute keys.
const (
	logKeyErr    = "err"
	logKeyConn   = "conn"
	logKeyRemote = "remote"
	logKeyAddr   = "addr"
)

// Options configure a Server.
type Options struct {
	// Addr is the TCP address to listen on; DefaultAddr when empty.
	// Ignored when Listener is set.
	Addr string

	// Listener, when set, is used instead of listening on Addr, so that the
	// caller can create it inside another network namespace. Run closes
	// it before returning.
	Listener net.Listener

	// Logger receives connection events. Nil discards them.
	Logger *slog.Logger

	// IdleAfter is the quiet period after which an IdleHandler's Idle is
	// called; zero means DefaultIdleAfter. zebra's replay can pause for a
	// second when its output buffer is full, so keep it above that.
	IdleAfter time.Duration
}

// DefaultIdleAfter is the default quiet period that ends a replay.
const DefaultIdleAfter = 3 * time.Second

// A Server accepts zebra's FPM connections and feeds their frames to a
// Handler, one connection at a time.
type Server struct {
	h     Handler
	opts  Options
	log   *slog.Logger
	st    stats
	rd    *Reader // reused by each connection in turn; they never overlap
	last  uint64  // last connection id given out; owned by Run
	reset chan chan bool

	wmu  sync.Mutex // serialises Send; guards wcur
	wcur net.Conn   // the connection being read, for Send
}

// NewServer returns a server that feeds h. Call Run to start it.
func NewServer(h Handler, opts Options) *Server {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{h: h, opts: opts, log: log, rd: NewReader(nil), reset: make(chan chan bool)}
}

// Stats returns the server's counters. It is safe to call at any time.
func (s *Server) Stats() Stats { return s.st.snapshot() }

// Run listens and serves until ctx is cancelled or the listener fails. A new
// connection replaces the current one: the current one is closed and its
// reader has returned (Handler.Disconnected included) before the new one is
// read. Run returns only after all of its goroutines have exited; it
// returns nil when ctx was cancelled. Run must be called once.
func (s *Server) Run(ctx context.Context) error {
	ln := s.opts.Listener
	if ln == nil {
		addr := s.opts.Addr
		if addr == "" {
			addr = DefaultAddr
		}
		var lc net.ListenConfig
		var err error
		if ln, err = lc.Listen(ctx, "tcp", addr); err != nil {
			return fmt.Errorf("fpm: listening on %s: %w", addr, err)
		}
	}
	s.log.Info("listening for zebra", logKeyAddr, ln.Addr().String())

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	conns := make(chan net.Conn)
	acceptErr := make(chan error, 1)
	go func() { acceptErr <- s.accept(ctx, ln, conns) }()

	var cur *session
	var err error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case c := <-conns:
			cur.stop(ErrReplaced)
			cur = s.start(ctx, c)
		case done := <-s.reset:
			had := cur != nil
			cur.stop(ErrReset)
			cur = nil
			done <- had
		case err = <-acceptErr:
			acceptErr = nil
			break loop
		}
	}
	cancel()
	ln.Close() // unblocks Accept
	cause := err
	if cause == nil {
		cause = context.Canceled
	}
	cur.stop(cause)
	if acceptErr != nil {
		<-acceptErr
	}
	return err
}

// sendTimeout bounds a write to zebra; zebra reads its socket all the time.
const sendTimeout = 5 * time.Second

// Send writes frame (a whole FPM frame) on zebra's current connection.
// It returns ErrNoConnection when there is none; a failed write is left
// to the reader to notice.
func (s *Server) Send(ctx context.Context, frame []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.wcur == nil {
		return ErrNoConnection
	}
	deadline := time.Now().Add(sendTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := s.wcur.SetWriteDeadline(deadline); err != nil {
		return fmt.Errorf("fpm: sending: %w", err)
	}
	if _, err := s.wcur.Write(frame); err != nil {
		return fmt.Errorf("fpm: sending: %w", err)
	}
	return nil
}

// Reset closes zebra's current connection, if there is one, and waits for
// its reader to finish; zebra reconnects (every 3 s) and replays its whole
// table. It reports whether there was a connection. An operator's way to
// force a resync; tests use it to cut a replay short.
func (s *Server) Reset(ctx context.Context) (bool, error) {
	done := make(chan bool, 1)
	select {
	case s.reset <- done:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	select {
	case had := <-done:
		return had, nil
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

// accept hands accepted connections to Run until ctx is done.
func (s *Server) accept(ctx context.Context, ln net.Listener, conns chan<- net.Conn) error {
	var delay time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, net.ErrClosed) {
				return fmt.Errorf("fpm: accepting: %w", err)
			}
			// Transient (out of file descriptors, aborted handshake):
			// back off and retry.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.log.Warn("accept failed, retrying", logKeyErr, err)
			select {
			case <-time.After(delay):
			case <-ctx.Done():
				return nil
			}
			continue
		}
		delay = 0
		s.st.connections.Add(1)
		select {
		case conns <- c:
		case <-ctx.Done():
			c.Close()
			return nil
		}
	}
}

// A session is one connection being read by its own goroutine.
type session struct {
	conn   net.Conn
	cancel context.CancelCauseFunc
	done   chan struct{}
}

func (s *Server) start(ctx context.Context, c net.Conn) *session {
	s.last++
	id := s.last
	ctx, cancel := context.WithCancelCause(ctx)
	ss := &session{conn: c, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(ss.done)
		s.serve(ctx, id, c)
	}()
	return ss
}

// stop closes the connection and waits for its reader to return. A nil
// session is a no-op.
func (ss *session) stop(cause error) {
	if ss == nil {
		return
	}
	ss.cancel(cause)
	ss.conn.Close()
	<-ss.done
}

// serve runs one connection from Connected to Disconnected.
func (s *Server) serve(ctx context.Context, id uint64, c net.Conn) {
	defer c.Close()
	log := s.log.With(logKeyConn, id, logKeyRemote, c.RemoteAddr().String())
	s.st.current.Store(id)
	defer s.st.current.CompareAndSwap(id, 0)
	s.wmu.Lock()
	s.wcur = c
	s.wmu.Unlock()
	defer func() {
		s.wmu.Lock()
		if s.wcur == c {
			s.wcur = nil
		}
		s.wmu.Unlock()
	}()
	log.Info("zebra connected")

	err := s.read(ctx, id, c)
	if ctx.Err() != nil {
		// Closed by us: report why rather than "use of closed connection".
		err = context.Cause(ctx)
	}
	switch {
	case err == nil:
		log.Info("zebra disconnected")
	case errors.Is(err, ErrReplaced), errors.Is(err, context.Canceled):
		log.Info("connection closed", logKeyErr, err)
	default:
		log.Warn("connection reset", logKeyErr, err)
	}
	s.h.Disconnected(id, err)
}

// read feeds frames to the handler until the connection ends. It returns
// nil at a clean end of stream.
func (s *Server) read(ctx context.Context, id uint64, c net.Conn) (err error) {
	if err := s.h.Connected(ctx, id, c.RemoteAddr()); err != nil {
		s.countReset(ctx)
		return fmt.Errorf("fpm: handler refused connection: %w", err)
	}
	rd := s.rd
	rd.Reset(c)
	defer rd.Reset(nil)

	dirty := false // frames handled since the last Flush
	defer func() {
		if !dirty {
			return
		}
		if ferr := s.h.Flush(ctx, id); ferr != nil && err == nil {
			s.countReset(ctx)
			err = fmt.Errorf("fpm: flushing: %w", ferr)
		}
	}()

	idler, _ := s.h.(IdleHandler)
	idleAfter := s.opts.IdleAfter
	if idleAfter <= 0 {
		idleAfter = DefaultIdleAfter
	}
	armed, idled := false, false // read deadline set; Idle called since the last frame
	for {
		if idler != nil && !idled && !armed && !rd.Ready() {
			// The next read waits for zebra: time it.
			if err := c.SetReadDeadline(time.Now().Add(idleAfter)); err != nil {
				return err
			}
			armed = true
		}
		f, err := rd.Next()
		if armed && err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
			// Quiet for idleAfter; whatever part of a frame arrived stays
			// buffered.
			armed, idled = false, true
			if err := c.SetReadDeadline(time.Time{}); err != nil {
				return err
			}
			if ierr := idler.Idle(ctx, id); ierr != nil {
				s.countReset(ctx)
				return fmt.Errorf("fpm: idle: %w", ierr)
			}
			continue
		}
		if armed && err == nil {
			armed = false
			if err := c.SetReadDeadline(time.Time{}); err != nil {
				return err
			}
		}
		if err == nil {
			idled = false
		}
		if err != nil {
			if fe := (*FrameError)(nil); errors.As(err, &fe) {
				s.st.badFrames.Add(1)
				s.st.resets.Add(1)
				return err
			}
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		s.st.frames.Add(1)
		s.st.bytes.Add(uint64(HeaderLen + len(f.Payload)))
		dirty = true
		if herr := s.h.Frame(ctx, id, f.Payload); herr != nil {
			if !errors.Is(herr, ErrSkip) {
				s.countReset(ctx)
				return fmt.Errorf("fpm: handling frame: %w", herr)
			}
			s.st.skipped.Add(1)
		}
		if !rd.Ready() {
			dirty = false
			if ferr := s.h.Flush(ctx, id); ferr != nil {
				s.countReset(ctx)
				return fmt.Errorf("fpm: flushing: %w", ferr)
			}
		}
	}
}

// countReset counts a reset we caused, not one that follows our own
// closing of the connection.
func (s *Server) countReset(ctx context.Context) {
	if ctx.Err() == nil {
		s.st.resets.Add(1)
	}
}
