package bird

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/osrg/gobgp/v3/pkg/packet/bgp"
)

// A session is one BGP connection from a configured BIRD, from its OPEN
// to its end. BIRD connects; the bridge never dials. Messages are encoded
// and decoded with GoBGP's packet library; what a session owns is the
// finite state machine of RFC 4271 for the passive side, and it hands
// what it reads to the bridge's loop as events, in order.
type session struct {
	sp   *speaker
	slot *slot
	conn *net.TCPConn
	log  *slog.Logger

	wmu sync.Mutex // one writer at a time: the reader and the keepalives

	// Negotiated from the OPENs.
	hold     time.Duration // 0: no hold timer, no keepalives
	families family
	restart  uint16 // BIRD's graceful restart time; 0: it did not offer one
	opts     *bgp.MarshallingOption

	quit     chan struct{} // closed to end the session (shutdown or replaced)
	quitOnce sync.Once
	cause    error // why the session was ended from outside; set before quit closes
	done     chan struct{}
}

// sessionEvent is a session coming up or going down.
type sessionEvent struct {
	up       bool
	families family // up: the unicast families both sides announced
	graceful bool   // down: BIRD may come back; keep its paths as stale
	restart  uint16 // down: how long to keep them, in seconds
	reason   string // down: why
}

// openTimeout bounds the wait for BIRD's OPEN and KEEPALIVE: RFC 4271's
// suggested 4 minutes is for slow links, not loopback.
const openTimeout = 30 * time.Second

// errReplaced ends a session when BIRD connects again (RFC 4724: a new
// connection while the old one is up means BIRD restarted).
var errReplaced = errors.New("BIRD connected again")

// errStopped ends a session when lcpfib stops.
var errStopped = errors.New("lcpfib is stopping")

// run is the session's goroutine. Everything it learns goes to the bridge
// as events; ending, it always sends a down event if it sent an up one.
func (s *session) run(ctx context.Context) {
	defer close(s.done)
	defer s.conn.Close()
	br := bufio.NewReaderSize(s.conn, 64<<10)
	if err := s.open(br); err != nil {
		if s.ended() == nil {
			s.log.Warn("BIRD's session not established", "err", err)
		}
		return
	}
	// From here on the slot holds this session; an older one from the
	// same BIRD has ended and sent its down event.
	if !s.slot.take(s) {
		return
	}
	defer s.slot.release(s)
	// The bridge announces nothing, so its initial update is complete at
	// once: End-of-RIB for each family. A restarting BIRD waits for these
	// before it selects and sends its routes (RFC 4724).
	for _, f := range []family{ipv4, ipv6} {
		if s.families&f != 0 {
			if err := s.write(eorMsg[f]); err != nil {
				s.log.Warn("BIRD's session lost right after it was established", "err", err)
				return
			}
		}
	}
	if !s.send(ctx, event{peer: s.slot.idx, session: &sessionEvent{up: true, families: s.families}}) {
		return
	}
	graceful, reason := s.established(ctx, br)
	s.sendLast(event{peer: s.slot.idx, session: &sessionEvent{graceful: graceful && s.restart > 0, restart: s.restart, reason: reason}})
}

// end asks the session to stop, for cause.
func (s *session) end(cause error) {
	s.quitOnce.Do(func() {
		s.cause = cause
		close(s.quit)
		// Unblock the reader at once.
		s.conn.SetReadDeadline(time.Unix(1, 0))
	})
}

func (s *session) ended() error {
	select {
	case <-s.quit:
		return s.cause
	default:
		return nil
	}
}

// open exchanges OPEN and KEEPALIVE messages (OpenSent, OpenConfirm).
func (s *session) open(br *bufio.Reader) error {
	o := s.sp.o
	if err := s.write(s.sp.openMsg); err != nil {
		return fmt.Errorf("sending OPEN: %w", err)
	}
	s.conn.SetReadDeadline(time.Now().Add(openTimeout))
	m, err := s.read(br, nil)
	if err != nil {
		return s.fail(err)
	}
	op, ok := m.Body.(*bgp.BGPOpen)
	if !ok {
		return s.fail(unexpected(m, "OPEN"))
	}
	if _, err := bgp.ValidateOpenMsg(op, s.slot.cfg.ASN, o.ASN, net.IP(o.RouterID.AsSlice())); err != nil {
		return s.fail(err)
	}
	s.negotiate(op)
	if err := s.write(keepaliveMsg); err != nil {
		return fmt.Errorf("sending KEEPALIVE: %w", err)
	}
	m, err = s.read(br, nil)
	if err != nil {
		return s.fail(err)
	}
	if m.Header.Type != bgp.BGP_MSG_KEEPALIVE {
		return s.fail(unexpected(m, "KEEPALIVE"))
	}
	return nil
}

// negotiate reads BIRD's capabilities: families, add-path, graceful
// restart, and the hold time.
func (s *session) negotiate(op *bgp.BGPOpen) {
	s.hold = min(time.Duration(op.HoldTime)*time.Second, s.sp.o.HoldTime)
	var mp family
	sawMP := false
	addPath := map[bgp.RouteFamily]bgp.BGPAddPathMode{}
	for _, p := range op.OptParams {
		pc, ok := p.(*bgp.OptionParameterCapability)
		if !ok {
			continue
		}
		for _, c := range pc.Capability {
			switch c := c.(type) {
			case *bgp.CapMultiProtocol:
				sawMP = true
				switch c.CapValue {
				case bgp.RF_IPv4_UC:
					mp |= ipv4
				case bgp.RF_IPv6_UC:
					mp |= ipv6
				}
			case *bgp.CapAddPath:
				for _, t := range c.Tuples {
					if t.Mode&bgp.BGP_ADD_PATH_SEND != 0 {
						addPath[t.RouteFamily] = bgp.BGP_ADD_PATH_RECEIVE
					}
				}
			case *bgp.CapGracefulRestart:
				s.restart = c.Time
			}
		}
	}
	if !sawMP {
		mp = ipv4 // RFC 4760: no multiprotocol capability means IPv4 unicast
	}
	s.families = mp
	s.opts = &bgp.MarshallingOption{AddPath: addPath}
}

// established reads BIRD's messages until the session ends, and says
// whether BIRD may be restarting gracefully (the connection was lost
// rather than closed with a NOTIFICATION) and why it ended.
func (s *session) established(ctx context.Context, br *bufio.Reader) (graceful bool, reason string) {
	stopKeepalives := s.keepalives()
	defer stopKeepalives()
	var buf []item
	for {
		if s.hold > 0 {
			s.conn.SetReadDeadline(time.Now().Add(s.hold))
		} else {
			s.conn.SetReadDeadline(time.Time{})
		}
		// end() moves the deadline into the past: checked after setting
		// ours, so one of the two always sees the other.
		var m *bgp.BGPMessage
		var err error
		if s.ended() == nil {
			m, err = s.read(br, s.opts)
		}
		if cause := s.ended(); cause != nil {
			if cause == errStopped {
				s.notify(bgp.BGP_ERROR_CEASE, bgp.BGP_ERROR_SUB_ADMINISTRATIVE_SHUTDOWN)
				return false, cause.Error()
			}
			return true, cause.Error()
		}
		var me *bgp.MessageError
		switch {
		case errors.Is(err, os.ErrDeadlineExceeded):
			s.notify(bgp.BGP_ERROR_HOLD_TIMER_EXPIRED, 0)
			return true, fmt.Sprintf("hold timer expired (%v without a message)", s.hold)
		case errors.As(err, &me) && m != nil && m.Header.Type == bgp.BGP_MSG_UPDATE && me.ErrorHandling == bgp.ERROR_HANDLING_TREAT_AS_WITHDRAW:
			// RFC 7606: the UPDATE's routes are withdrawn, the session stays.
			u := bgp.TreatAsWithdraw(m.Body.(*bgp.BGPUpdate))
			buf = decodeUpdate(u, s.sp.o.ASN, buf[:0])
			for i := range buf {
				buf[i].err = fmt.Errorf("malformed UPDATE: %s", me.Message)
			}
			if !s.send(ctx, event{peer: s.slot.idx, paths: buf, update: true}) {
				return false, "lcpfib is stopping"
			}
			buf = nil
			continue
		case errors.As(err, &me) && m != nil && me.ErrorHandling == bgp.ERROR_HANDLING_ATTRIBUTE_DISCARD:
			// The broken attribute is dropped; the rest stands.
		case err != nil:
			if errors.As(err, &me) {
				s.notify(me.TypeCode, me.SubTypeCode)
				return false, "malformed message: " + me.Message
			}
			return true, "connection lost: " + err.Error()
		}
		switch b := m.Body.(type) {
		case *bgp.BGPUpdate:
			buf = decodeUpdate(b, s.sp.o.ASN, buf[:0])
			if !s.send(ctx, event{peer: s.slot.idx, paths: buf, update: true}) {
				return false, "lcpfib is stopping"
			}
			buf = nil // the bridge owns it now
		case *bgp.BGPKeepAlive, *bgp.BGPRouteRefresh:
		case *bgp.BGPNotification:
			return false, "NOTIFICATION from BIRD: " + notificationText(b)
		default:
			s.notify(bgp.BGP_ERROR_FSM_ERROR, 0)
			return false, fmt.Sprintf("unexpected message type %d in Established", m.Header.Type)
		}
	}
}

// keepalives sends a KEEPALIVE every third of the hold time until the
// returned function is called.
func (s *session) keepalives() (stop func()) {
	if s.hold == 0 {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(s.hold / 3)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				if s.write(keepaliveMsg) != nil {
					return // the reader notices the broken connection
				}
			case <-done:
				return
			}
		}
	}()
	return func() { close(done) }
}

// send hands an event to the bridge's loop.
func (s *session) send(ctx context.Context, ev event) bool {
	select {
	case s.sp.events <- ev:
		return true
	case <-ctx.Done():
		return false
	}
}

// sendLast hands over the down event. The bridge's loop may have stopped
// with ctx; then nobody needs it.
func (s *session) sendLast(ev event) {
	select {
	case s.sp.events <- ev:
	case <-s.sp.stopped:
	}
}

// fail answers a broken OPEN exchange with a NOTIFICATION where one fits.
func (s *session) fail(err error) error {
	var me *bgp.MessageError
	if errors.As(err, &me) {
		s.notify(me.TypeCode, me.SubTypeCode)
	}
	return err
}

func (s *session) notify(code, subcode uint8) {
	b, err := bgp.NewBGPNotificationMessage(code, subcode, nil).Serialize()
	if err == nil {
		s.write(b)
	}
}

// writeTimeout bounds a write: a BIRD that stops reading ends the session.
const writeTimeout = 10 * time.Second

func (s *session) write(b []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	_, err := s.conn.Write(b)
	return err
}

// maxMessage is BGP's message size without the extended message
// capability (RFC 8654), which the bridge does not offer.
const maxMessage = 4096

// read reads one message. A message GoBGP cannot decode comes back with a
// *bgp.MessageError; one that makes GoBGP's decoder panic becomes one too.
func (s *session) read(br *bufio.Reader, opts *bgp.MarshallingOption) (m *bgp.BGPMessage, err error) {
	var hb [bgp.BGP_HEADER_LENGTH]byte
	if _, err := io.ReadFull(br, hb[:]); err != nil {
		return nil, err
	}
	var h bgp.BGPHeader
	if err := h.DecodeFromBytes(hb[:]); err != nil {
		return nil, err
	}
	for _, b := range hb[:16] {
		if b != 0xff {
			return nil, bgp.NewMessageError(bgp.BGP_ERROR_MESSAGE_HEADER_ERROR, bgp.BGP_ERROR_SUB_CONNECTION_NOT_SYNCHRONIZED, nil, "marker is not all ones")
		}
	}
	if h.Len > maxMessage {
		return nil, bgp.NewMessageError(bgp.BGP_ERROR_MESSAGE_HEADER_ERROR, bgp.BGP_ERROR_SUB_BAD_MESSAGE_LENGTH, nil, fmt.Sprintf("message length %d beyond %d", h.Len, maxMessage))
	}
	body := make([]byte, int(h.Len)-bgp.BGP_HEADER_LENGTH)
	if _, err := io.ReadFull(br, body); err != nil {
		return nil, err
	}
	return parseBody(&h, body, opts)
}

// parseBody decodes a message body with GoBGP, turning a panic in its
// decoder into an error: a malformed message must never stop lcpfib.
func parseBody(h *bgp.BGPHeader, body []byte, opts *bgp.MarshallingOption) (m *bgp.BGPMessage, err error) {
	defer func() {
		if p := recover(); p != nil {
			m, err = nil, bgp.NewMessageError(bgp.BGP_ERROR_UPDATE_MESSAGE_ERROR, bgp.BGP_ERROR_SUB_MALFORMED_ATTRIBUTE_LIST, nil, fmt.Sprintf("undecodable message (%v)", p))
		}
	}()
	if opts == nil {
		return bgp.ParseBGPBody(h, body)
	}
	return bgp.ParseBGPBody(h, body, opts)
}

func unexpected(m *bgp.BGPMessage, want string) error {
	if n, ok := m.Body.(*bgp.BGPNotification); ok {
		return fmt.Errorf("NOTIFICATION from BIRD instead of %s: %s", want, notificationText(n))
	}
	return bgp.NewMessageError(bgp.BGP_ERROR_FSM_ERROR, 0, nil, fmt.Sprintf("message type %d instead of %s", m.Header.Type, want))
}

func notificationText(n *bgp.BGPNotification) string {
	t := fmt.Sprintf("code %d subcode %d", n.ErrorCode, n.ErrorSubcode)
	if n.ErrorCode == bgp.BGP_ERROR_CEASE {
		t = fmt.Sprintf("Cease (subcode %d)", n.ErrorSubcode)
		if n.ErrorSubcode == bgp.BGP_ERROR_SUB_ADMINISTRATIVE_SHUTDOWN || n.ErrorSubcode == bgp.BGP_ERROR_SUB_ADMINISTRATIVE_RESET {
			// RFC 8203: a length-prefixed UTF-8 reason may follow.
			if len(n.Data) > 0 && int(n.Data[0]) <= len(n.Data)-1 && n.Data[0] > 0 {
				t += fmt.Sprintf(": %q", n.Data[1:1+n.Data[0]])
			}
		}
	}
	return t
}

var (
	keepaliveMsg = mustSerialize(bgp.NewBGPKeepAliveMessage())
	eorMsg       = map[family][]byte{
		ipv4: mustSerialize(bgp.NewEndOfRib(bgp.RF_IPv4_UC)),
		ipv6: mustSerialize(bgp.NewEndOfRib(bgp.RF_IPv6_UC)),
	}
)

func mustSerialize(m *bgp.BGPMessage) []byte {
	b, err := m.Serialize()
	if err != nil {
		panic(err) // fixed messages always encode
	}
	return b
}

// openMessage is the bridge's OPEN: IPv4 and IPv6 unicast, add-path
// receive for both, 4-octet AS numbers, and graceful restart as the
// receiving (helper) speaker only: the capability with no address
// families, so BIRD keeps its routes flowing through a restart of its
// own and the bridge never asks BIRD to keep lcpfib's.
func openMessage(o Options) ([]byte, error) {
	as2 := uint16(bgp.AS_TRANS)
	if o.ASN <= 0xffff {
		as2 = uint16(o.ASN)
	}
	caps := []bgp.ParameterCapabilityInterface{
		bgp.NewCapMultiProtocol(bgp.RF_IPv4_UC),
		bgp.NewCapMultiProtocol(bgp.RF_IPv6_UC),
		bgp.NewCapFourOctetASNumber(o.ASN),
		bgp.NewCapAddPath([]*bgp.CapAddPathTuple{
			bgp.NewCapAddPathTuple(bgp.RF_IPv4_UC, bgp.BGP_ADD_PATH_RECEIVE),
			bgp.NewCapAddPathTuple(bgp.RF_IPv6_UC, bgp.BGP_ADD_PATH_RECEIVE),
		}),
		bgp.NewCapGracefulRestart(false, false, grRestartTime, nil),
	}
	hold := uint16(o.HoldTime / time.Second)
	m := bgp.NewBGPOpenMessage(as2, hold, o.RouterID.String(), []bgp.OptionParameterInterface{bgp.NewOptionParameterCapability(caps)})
	return m.Serialize()
}

// grRestartTime is the restart time in the bridge's graceful restart
// capability; as a helper only, it restarts nothing BIRD must wait for.
const grRestartTime = 120

// addrOf returns a connection's remote address.
func addrOf(c net.Conn) netip.Addr {
	if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}
