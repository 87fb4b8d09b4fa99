package vpp

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"time"

	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/ip"
	"go.fd.io/govpp/binapi/memclnt"
	"go.fd.io/govpp/binapi/mpls"
	"go.fd.io/govpp/core"
)

// directStream is an api.Stream on a sockClient of its own, without
// GoVPP's core: requests are encoded by their generated Marshal into one
// reused buffer and queued on the client; each reply is decoded by its
// generated Unmarshal in the client's reader and handed to RecvMsg. GoVPP's
// core stream costs, per request, a request and a reply object, two
// channel hand-offs, a timer, a copy of the reply and several locks and
// map lookups, about an eighth of lcpfib's CPU in a table load.
//
// It carries the programming connection's messages only (directMessages),
// one request at a time from one sender and one receiver, and VPP answers
// them in order: RecvMsg checks that each reply's context is the next one
// sent.
type directStream struct {
	ctx     context.Context
	c       *sockClient
	timeout time.Duration // of each reply

	// Owned by the sender.
	reqIDs map[string]uint16 // by message name
	buf    []byte
	sent   uint32 // context of the last request

	// Owned by the reader (the client's callback), set before it starts.
	replies map[uint16]reflect.Type
	in      chan directReply

	// Owned by the receiver.
	next  uint32 // context of the reply expected next
	timer *time.Timer
}

type directReply struct {
	msg     api.Message
	context uint32
	err     error
}

// directMessages are the requests the programming connection sends and
// their replies.
var directMessages = []api.Message{
	&memclnt.ControlPing{}, &memclnt.ControlPingReply{},
	&ip.IPRouteAddDel{}, &ip.IPRouteAddDelReply{},
	&ip.IPTableAddDel{}, &ip.IPTableAddDelReply{},
	&mpls.MplsTableAddDel{}, &mpls.MplsTableAddDelReply{},
	&mpls.MplsRouteAddDel{}, &mpls.MplsRouteAddDelReply{},
	&mpls.SwInterfaceSetMplsEnable{}, &mpls.SwInterfaceSetMplsEnableReply{},
}

// dialDirect connects a sockClient for a directStream with up to window
// requests in flight.
func dialDirect(ctx context.Context, socket string, timeout, replyTimeout time.Duration, window int) (*directStream, error) {
	c := newSockClient(socket, "lcpfib-routes", timeout)
	s := &directStream{ctx: ctx, c: c, timeout: replyTimeout,
		reqIDs: map[string]uint16{}, replies: map[uint16]reflect.Type{},
		in: make(chan directReply, window+1), next: 1}
	c.SetMsgCallback(s.read)
	if err := c.Connect(); err != nil {
		return nil, fmt.Errorf("connecting to VPP API socket %s: %w", socket, err)
	}
	var missing []string
	for _, m := range directMessages {
		id, err := c.GetMsgID(m.GetMessageName(), m.GetCrcString())
		if err != nil {
			missing = append(missing, m.GetMessageName()+"_"+m.GetCrcString())
			continue
		}
		if m.GetMessageType() == api.RequestMessage {
			s.reqIDs[m.GetMessageName()] = id
		} else {
			s.replies[id] = reflect.TypeOf(m).Elem()
		}
	}
	if len(missing) > 0 {
		c.Disconnect()
		return nil, fmt.Errorf("VPP lacks API messages lcpfib needs: %v", missing)
	}
	return s, nil
}

func (s *directStream) Context() context.Context { return s.ctx }

// SendMsg encodes m and queues it on the connection.
func (s *directStream) SendMsg(m api.Message) error {
	id, ok := s.reqIDs[m.GetMessageName()]
	if !ok {
		return fmt.Errorf("%s is not a message of the programming connection", m.GetMessageName())
	}
	mm, ok := m.(interface {
		Size() int
		Marshal([]byte) ([]byte, error)
	})
	if !ok {
		return fmt.Errorf("%s has no generated Marshal", m.GetMessageName())
	}
	const offset = 10 // id, client index, context: filled in by the client
	n := offset + mm.Size()
	if cap(s.buf) < n {
		s.buf = make([]byte, n)
	}
	b := s.buf[:n]
	clear(b)
	binary.BigEndian.PutUint16(b, id)
	if _, err := mm.Marshal(b[offset:]); err != nil {
		return fmt.Errorf("encoding %s: %w", m.GetMessageName(), err)
	}
	s.sent++
	return s.c.SendMsg(s.sent, b) // copies b
}

// read is the client's callback: it decodes a reply in the reader's
// goroutine. A message it does not know ends the stream.
func (s *directStream) read(id uint16, data []byte) {
	var r directReply
	t, ok := s.replies[id]
	switch {
	case !ok:
		r.err = fmt.Errorf("unexpected message id %d from VPP", id)
	case len(data) < 6:
		r.err = fmt.Errorf("a %d-byte reply from VPP", len(data))
	default:
		r.context = binary.BigEndian.Uint32(data[2:6])
		m := reflect.New(t).Interface().(api.Message)
		um, ok := m.(interface{ Unmarshal([]byte) error })
		if !ok {
			r.err = fmt.Errorf("%s has no generated Unmarshal", m.GetMessageName())
		} else if err := um.Unmarshal(data[6:]); err != nil {
			r.err = fmt.Errorf("decoding %s: %w", m.GetMessageName(), err)
		}
		r.msg = m
	}
	select {
	case s.in <- r:
	case <-s.ctx.Done():
	}
}

// RecvMsg returns the next reply, waiting at most the reply timeout.
func (s *directStream) RecvMsg() (api.Message, error) {
	var r directReply
	select {
	case r = <-s.in:
	default:
		if s.timer == nil {
			s.timer = time.NewTimer(s.timeout)
		} else {
			s.timer.Reset(s.timeout)
		}
		select {
		case r = <-s.in:
			s.timer.Stop()
		case <-s.timer.C:
			return nil, fmt.Errorf("%w %s", core.ErrReplyTimeout, s.timeout)
		case <-s.c.readerDone:
			return nil, s.c.failure()
		case <-s.ctx.Done():
			return nil, s.ctx.Err()
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	if r.context != s.next {
		return nil, fmt.Errorf("reply with context %d, want %d", r.context, s.next)
	}
	s.next++
	return r.msg, nil
}

// Close disconnects.
func (s *directStream) Close() error { return s.c.Disconnect() }

// failure is why the client stopped.
func (c *sockClient) failure() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.werr != nil {
		return c.werr
	}
	return errors.New("VPP connection closed")
}
