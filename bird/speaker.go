package bird

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
)

// speaker accepts BIRD's connections and runs a session for each one from
// a configured address. It shares nothing with the bridge's loop but the
// events channel; its slots are its own.
type speaker struct {
	o       Options
	log     *slog.Logger
	ln      *net.TCPListener
	openMsg []byte
	slots   map[netip.Addr]*slot // read-only once listening
	events  chan<- event
	stopped chan struct{} // closed when the bridge's loop is gone
	wg      sync.WaitGroup
}

// slot is one configured peer's place for its current session.
type slot struct {
	idx uint16
	cfg Peer
	mu  sync.Mutex
	cur *session
}

// take makes s the slot's session. An older session of the same BIRD
// ends first (BIRD restarted: RFC 4724), so its down event reaches the
// bridge before s's up event. It fails if lcpfib is stopping.
func (sl *slot) take(s *session) bool {
	sl.mu.Lock()
	old := sl.cur
	sl.cur = s
	sl.mu.Unlock()
	if old != nil {
		old.end(errReplaced)
		<-old.done
	}
	return s.ended() == nil
}

func (sl *slot) release(s *session) {
	sl.mu.Lock()
	if sl.cur == s {
		sl.cur = nil
	}
	sl.mu.Unlock()
}

// listenSpeaker opens the listener (in the namespace, with the peers' TCP
// MD5 keys set on it) and prepares the OPEN message.
func listenSpeaker(o Options, log *slog.Logger, events chan<- event) (*speaker, error) {
	open, err := openMessage(o)
	if err != nil {
		return nil, fmt.Errorf("encoding the OPEN message: %w", err)
	}
	ln, err := listen(o)
	if err != nil {
		return nil, err
	}
	sp := &speaker{o: o, log: log, ln: ln, openMsg: open, slots: map[netip.Addr]*slot{},
		events: events, stopped: make(chan struct{})}
	for i, pc := range o.Peers {
		sp.slots[pc.Address.Unmap()] = &slot{idx: uint16(i), cfg: pc}
	}
	return sp, nil
}

// serve accepts connections until ctx is done, then ends every session
// (BIRD sees a Cease) and waits for them.
func (sp *speaker) serve(ctx context.Context) {
	go func() {
		<-ctx.Done()
		sp.ln.Close()
	}()
	for {
		c, err := sp.ln.AcceptTCP()
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
				sp.log.Error("BGP listener failed; BIRD can no longer connect", "err", err)
			}
			break
		}
		sp.accept(ctx, c)
	}
	for _, sl := range sp.slots {
		sl.mu.Lock()
		cur := sl.cur
		sl.mu.Unlock()
		if cur != nil {
			cur.end(errStopped)
		}
	}
	sp.wg.Wait()
}

// accept starts a session for a configured peer's connection and resets
// any other.
func (sp *speaker) accept(ctx context.Context, c *net.TCPConn) {
	from := addrOf(c)
	sl := sp.slots[from]
	if sl == nil {
		sp.log.Warn("BGP connection from an address that is not a configured BIRD peer refused", "from", c.RemoteAddr().String())
		c.SetLinger(0) // a reset, not a session
		c.Close()
		return
	}
	c.SetNoDelay(true)
	s := &session{sp: sp, slot: sl, conn: c, quit: make(chan struct{}), done: make(chan struct{}),
		log: sp.log.With("peer", sl.cfg.Address.String())}
	sp.wg.Add(1)
	go func() {
		defer sp.wg.Done()
		// A session that lcpfib's stop catches before it holds the slot
		// ends here.
		stop := context.AfterFunc(ctx, func() { s.end(errStopped) })
		defer stop()
		s.run(ctx)
	}()
}
