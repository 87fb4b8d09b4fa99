package sim

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"syscall"

	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/ip"
	"go.fd.io/govpp/codec"
)

const (
	// frameHeaderLen is VPP's msgbuf_t: 8 bytes of queue pointer, the
	// payload length (big-endian) and 4 bytes of timestamp; only the
	// length is meaningful on the socket.
	frameHeaderLen = 16
	// maxMessageLen bounds a request's payload. The largest vppsim takes,
	// ip_route_add_del_v2 with 255 paths, is under 43 KiB.
	maxMessageLen = 1 << 20
	readBufferLen = 64 << 10
	// flushLen makes a long run of pipelined requests send its replies
	// in chunks instead of all at the end.
	flushLen = 256 << 10
	// regHandleBit is set in every socket client index VPP hands out.
	regHandleBit = 1 << 31
)

// errMalformed marks a message that breaks the framing or its own size;
// the client that sent it is disconnected.
var errMalformed = errors.New("malformed message")

// errRestarted marks a message from a client of a VPP that has since
// restarted; the client is disconnected.
var errRestarted = errors.New("VPP restarted")

// conn is one client connection. Only its own goroutine touches its
// fields, except nc, which shutdown and sockclnt_delete may close.
type conn struct {
	s        *Server
	nc       *net.UnixConn
	gen      *vpp   // the VPP the client connected to (guarded by s.mu)
	regIndex uint32 // registration pool index
	handle   uint32 // the client_index VPP reports: regIndex | 1<<31

	in      []byte  // the message being handled
	req     request // its header
	hot     hotMessages
	out     []byte // encoded replies not yet written
	muted   bool   // the current request is not this client's: no reply
	closing bool   // leave once out is written (sockclnt_delete)

	// wmu serialises writes to nc: the client's own goroutine writes
	// replies, its event writer the events other requests queued.
	wmu sync.Mutex
	ev  eventQueue
}

// hotMessages are reused for the requests clients send by the hundred
// thousand, so decoding them and encoding the reply allocates nothing
// beyond what the generated decoder does.
type hotMessages struct {
	routeAddDel      ip.IPRouteAddDel
	routeAddDelReply ip.IPRouteAddDelReply
}

func newConn(s *Server, nc *net.UnixConn) *conn {
	return &conn{s: s, nc: nc, ev: newEventQueue()}
}

func (c *conn) setRegistration(i uint32) {
	c.regIndex = i
	c.handle = i | regHandleBit
}

// run reads and serves messages until the client leaves or breaks the
// protocol. Replies are written when no complete request is waiting in
// the read buffer, so pipelined requests are answered in batches.
func (c *conn) run() error {
	r := bufio.NewReaderSize(c.nc, readBufferLen)
	var hdr [frameHeaderLen]byte
	for {
		if !messageBuffered(r) || len(c.out) >= flushLen {
			if err := c.flush(); errors.Is(err, io.EOF) {
				return nil
			} else if err != nil {
				return err
			}
		}
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if isDisconnect(err) {
				return nil
			}
			return fmt.Errorf("reading header: %w", err)
		}
		n := binary.BigEndian.Uint32(hdr[8:12])
		if n > maxMessageLen {
			return fmt.Errorf("%w: length %d exceeds %d", errMalformed, n, maxMessageLen)
		}
		c.in = slices.Grow(c.in[:0], int(n))[:n]
		if _, err := io.ReadFull(r, c.in); err != nil {
			return fmt.Errorf("reading %d-byte message: %w", n, err)
		}
		if err := c.s.dispatch(c, c.in); err != nil {
			_ = c.flush() // answer what came before the bad message
			return err
		}
		if c.closing {
			_ = c.flush() // the client may already have stopped reading
			return nil
		}
	}
}

// isDisconnect reports whether err just means the client went away.
func isDisconnect(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)
}

// messageBuffered reports whether a whole message is already in r, so it
// can be handled without blocking.
func messageBuffered(r *bufio.Reader) bool {
	b := r.Buffered()
	if b < frameHeaderLen {
		return false
	}
	hdr, err := r.Peek(frameHeaderLen)
	if err != nil {
		return false
	}
	return uint64(b) >= frameHeaderLen+uint64(binary.BigEndian.Uint32(hdr[8:12]))
}

// flush writes the pending replies; io.EOF means the client is gone.
func (c *conn) flush() error {
	if len(c.out) == 0 {
		return nil
	}
	c.wmu.Lock()
	_, err := c.nc.Write(c.out)
	c.wmu.Unlock()
	if cap(c.out) > 4*flushLen {
		c.out = nil // let a huge dump's buffer go
	} else {
		c.out = c.out[:0]
	}
	switch {
	case err == nil:
		return nil
	case isDisconnect(err):
		return io.EOF
	default:
		return fmt.Errorf("writing replies: %w", err)
	}
}

// reserve makes room for n more bytes of replies, so a large dump grows
// its buffer once.
func (c *conn) reserve(n int) {
	if !c.muted {
		c.out = slices.Grow(c.out, n)
	}
}

// send queues a reply or details message. Messages of request type (only
// sockclnt_create_reply) carry a zero client_index before the context.
func (c *conn) send(m api.Message, context uint32) {
	if c.muted {
		return
	}
	c.out = c.s.appendMsg(c.out, m, context)
}

// appendMsg appends a framed message to buf; on failure it logs and
// returns buf unchanged.
func (s *Server) appendMsg(buf []byte, m api.Message, context uint32) []byte {
	id, ok := s.table.id(m)
	if !ok {
		s.log.Error("reply not in message table", keyName, m.GetMessageName())
		return buf
	}
	mm, ok := m.(codec.Marshaler)
	if !ok {
		s.log.Error("reply has no generated marshaller", keyName, m.GetMessageName())
		return buf
	}
	hdr := headerLen(m)
	n := hdr + mm.Size()
	start := len(buf)
	buf = slices.Grow(buf, frameHeaderLen+n)[:start+frameHeaderLen+n]
	b := buf[start:]
	clear(b)
	binary.BigEndian.PutUint32(b[8:12], uint32(n))
	p := b[frameHeaderLen:]
	binary.BigEndian.PutUint16(p, id)
	binary.BigEndian.PutUint32(p[hdr-4:], context)
	if _, err := mm.Marshal(p[hdr:]); err != nil {
		s.log.Error("encoding reply", keyName, m.GetMessageName(), keyErr, err)
		return buf[:start]
	}
	return buf
}
