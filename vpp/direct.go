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
// from one sender and one receiver, and VPP answers them in order: RecvMsg
// checks that each reply's context is the next one sent. Before the
// pipeline starts, walkRoutes reads VPP's FIB over it.
type directStream struct {
	ctx     context.Context
	c       *sockClient
	timeout time.Duration // of each reply

	// Owned by the sender.
	reqIDs map[string]uint16 // by message name
	buf    []byte
	sent   uint32 // context of the last request

	// Read by the reader (the client's callback). replies is filled in
	// by dialDirect before the first request is sent, and so before any
	// reply can arrive (VPP sends a socket client nothing unasked).
	replies map[uint16]reflect.Type
	in      chan directReply
	closing chan struct{} // closed by Close: the reader drops what it has

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
// their replies (the route dump at connect, then route programming);
// directMPLS those of MPLS, which is optional (see mplsMessages): a VPP
// without them gets no MPLS request.
var (
	directMessages = []api.Message{
		&memclnt.ControlPing{}, &memclnt.ControlPingReply{},
		&ip.IPRouteAddDel{}, &ip.IPRouteAddDelReply{},
		&ip.IPTableAddDel{}, &ip.IPTableAddDelReply{},
		&ip.IPRouteV2Dump{}, &ip.IPRouteV2Details{},
	}
	directMPLS = []api.Message{
		&mpls.MplsTableAddDel{}, &mpls.MplsTableAddDelReply{},
		&mpls.MplsRouteAddDel{}, &mpls.MplsRouteAddDelReply{},
		&mpls.SwInterfaceSetMplsEnable{}, &mpls.SwInterfaceSetMplsEnableReply{},
	}
)

// dialDirect connects a sockClient for a directStream with up to window
// requests in flight.
func dialDirect(ctx context.Context, socket string, timeout, replyTimeout time.Duration, window int) (*directStream, error) {
	c := newSockClient(socket, "lcpfib-routes", timeout)
	s := &directStream{ctx: ctx, c: c, timeout: replyTimeout,
		reqIDs: map[string]uint16{}, replies: map[uint16]reflect.Type{},
		in: make(chan directReply, window+1), closing: make(chan struct{}), next: 1}
	c.SetMsgCallback(s.read)
	if err := c.Connect(); err != nil {
		return nil, fmt.Errorf("connecting to VPP API socket %s: %w", socket, err)
	}
	var missing []string
	for i, m := range append(directMessages[:len(directMessages):len(directMessages)], directMPLS...) {
		id, err := c.GetMsgID(m.GetMessageName(), m.GetCrcString())
		if err != nil {
			if i < len(directMessages) {
				missing = append(missing, m.GetMessageName()+"_"+m.GetCrcString())
			}
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
	s.sent = nextContext(s.sent)
	return s.c.SendMsg(s.sent, b) // copies b
}

// read is the client's callback: it decodes a reply in the reader's
// goroutine. Messages that are no reply to this stream's requests (an
// event, a message of a type it does not know) are dropped, as GoVPP's
// core drops them when nobody subscribed; a reply that is missing for
// that reason shows as the next one's context, or as a timeout.
func (s *directStream) read(id uint16, data []byte) {
	t, ok := s.replies[id]
	if !ok || len(data) < 6 {
		return
	}
	r := directReply{context: binary.BigEndian.Uint32(data[2:6])}
	if r.context == 0 { // an event: requests' contexts count from 1
		return
	}
	m := reflect.New(t).Interface().(api.Message)
	um, ok := m.(interface{ Unmarshal([]byte) error })
	if !ok {
		r.err = fmt.Errorf("%s has no generated Unmarshal", m.GetMessageName())
	} else if err := um.Unmarshal(data[6:]); err != nil {
		r.err = fmt.Errorf("decoding %s: %w", m.GetMessageName(), err)
	}
	r.msg = m
	select { // without a select on ctx and closing while there is room: cheaper
	case s.in <- r:
	default:
		select {
		case s.in <- r:
		case <-s.ctx.Done():
		case <-s.closing:
		}
	}
}

// RecvMsg returns the next reply, waiting at most the reply timeout.
func (s *directStream) RecvMsg() (api.Message, error) {
	r, err := s.recv(s.timeout)
	if err != nil {
		return nil, err
	}
	if r.context != s.next {
		return nil, fmt.Errorf("reply with context %d, want %d", r.context, s.next)
	}
	s.next = nextContext(s.next)
	return r.msg, nil
}

// recv returns the next message from VPP, waiting at most timeout.
func (s *directStream) recv(timeout time.Duration) (directReply, error) {
	var r directReply
	select {
	case r = <-s.in:
	default:
		if s.timer == nil {
			s.timer = time.NewTimer(timeout)
		} else {
			s.timer.Reset(timeout)
		}
		select {
		case r = <-s.in:
			s.timer.Stop()
		case <-s.timer.C:
			return r, fmt.Errorf("%w %s", core.ErrReplyTimeout, timeout)
		case <-s.c.readerDone:
			return r, s.c.failure()
		case <-s.ctx.Done():
			return r, s.ctx.Err()
		}
	}
	return r, r.err
}

// walkRoutes is WalkRoutes on the stream, before any other request is in
// flight: ip_route_v2_dump and control_ping, whose reply ends the dump.
// Each entry is decoded by the reader; the connection's reading buffer
// and a hand-off per entry are the only costs between VPP and each.
func (s *directStream) walkRoutes(table uint32, ip6 bool, timeout time.Duration, each func(Entry) error) error {
	if err := s.SendMsg(&ip.IPRouteV2Dump{Table: ip.IPTable{TableID: table, IsIP6: ip6}}); err != nil {
		return fmt.Errorf("ip_route_v2_dump: %w", err)
	}
	dump := s.sent
	if err := s.SendMsg(&memclnt.ControlPing{}); err != nil {
		return fmt.Errorf("ip_route_v2_dump: %w", err)
	}
	ping := s.sent
	s.next = nextContext(ping)
	for {
		r, err := s.recv(timeout)
		if err != nil {
			return fmt.Errorf("ip_route_v2_dump: %w", err)
		}
		switch m := r.msg.(type) {
		case *ip.IPRouteV2Details:
			if r.context != dump {
				return fmt.Errorf("ip_route_v2_dump: details with context %d, want %d", r.context, dump)
			}
			if err := each(Entry{Table: m.Route.TableID, Prefix: FromPrefix(m.Route.Prefix), Source: m.Route.Src, Paths: m.Route.Paths}); err != nil {
				return err
			}
		case *memclnt.ControlPingReply:
			if r.context != ping {
				return fmt.Errorf("ip_route_v2_dump: control_ping_reply with context %d, want %d", r.context, ping)
			}
			return nil
		default:
			return fmt.Errorf("ip_route_v2_dump: unexpected %s", r.msg.GetMessageName())
		}
	}
}

// nextContext is the context after c: contexts count from 1 and skip 0,
// which marks events.
func nextContext(c uint32) uint32 {
	if c++; c == 0 {
		c = 1
	}
	return c
}

// Close disconnects.
func (s *directStream) Close() error {
	close(s.closing)
	return s.c.Disconnect()
}

// failure is why the client stopped.
func (c *sockClient) failure() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.werr != nil {
		return c.werr
	}
	return errors.New("VPP connection closed")
}
