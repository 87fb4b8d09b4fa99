package vpp

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/ip"
	"go.fd.io/govpp/binapi/memclnt"
	"go.fd.io/govpp/core"

	"github.com/lcpfib/lcpfib/rib"
)

// pipeline keeps up to a window of requests in flight on one api.Stream (a
// directStream, or GoVPP's with Config.PlainSocketClient).
// One goroutine sends, another receives; VPP answers a stream's requests in
// order, so the n-th reply belongs to the n-th request.
type pipeline struct {
	ctx     context.Context
	stream  api.Stream
	pending chan inflight // requests sent and not yet answered, in order
	onReply func(f inflight, err error)
	pace    *pacer // owned by the sending goroutine
	flying  *atomic.Int64
	// handed is when the rib handed over the changes being sent (set by
	// the sending goroutine), for Config.Latency.
	handed time.Time
}

// inflight is a request waiting for its reply: the key it is for, and the
// route it installs (nil for deletes and table adds).
type inflight struct {
	req   api.Message
	key   rib.Key
	route *rib.Route
	// handed is when the rib handed the change over.
	handed time.Time
}

// openStream opens the stream routes are programmed on: a GoVPP stream on
// conn, or, with conn nil, a directStream of its own.
func openStream(ctx context.Context, conn *core.Connection, socket string, connectTimeout, timeout time.Duration, window int) (api.Stream, error) {
	if conn == nil {
		s, err := dialDirect(ctx, socket, connectTimeout, timeout, window)
		if err != nil {
			return nil, fmt.Errorf("opening the programming connection: %w", err)
		}
		return s, nil
	}
	s, err := conn.NewStream(ctx,
		core.WithRequestSize(window), core.WithReplySize(window+1), core.WithReplyTimeout(timeout))
	if err != nil {
		return nil, fmt.Errorf("opening API stream: %w", err)
	}
	return s, nil
}

// newPipeline starts a pipeline on s; it closes s if it fails.
func newPipeline(ctx context.Context, s api.Stream, window int, maxRate *atomic.Int64,
	flying *atomic.Int64, onReply func(inflight, error)) (*pipeline, error) {
	// GoVPP v0.13.0 can fail the first reply of a fresh stream with
	// "unknown message ID" when another goroutine is already receiving:
	// finish one request/reply before pipelining.
	if err := s.SendMsg(&memclnt.ControlPing{}); err != nil {
		s.Close()
		return nil, fmt.Errorf("control_ping on new stream: %w", err)
	}
	if _, err := s.RecvMsg(); err != nil {
		s.Close()
		return nil, fmt.Errorf("control_ping on new stream: %w", err)
	}
	return &pipeline{ctx: ctx, stream: s, pending: make(chan inflight, window), onReply: onReply, pace: followRate(maxRate), flying: flying}, nil
}

// send queues a request; it blocks while the window is full.
func (pl *pipeline) send(ctx context.Context, f inflight) error {
	if err := pl.pace.wait(ctx); err != nil {
		return err
	}
	f.handed = pl.handed
	select { // without a select on ctx while the window has room: cheaper
	case pl.pending <- f:
	default:
		select {
		case pl.pending <- f:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	pl.flying.Add(1)
	if err := pl.stream.SendMsg(f.req); err != nil {
		return fmt.Errorf("sending %s for %s: %w", f.req.GetMessageName(), f.key, err)
	}
	return nil
}

// receive reads replies until close or a failure of the stream.
func (pl *pipeline) receive() error {
	for {
		var f inflight
		select { // as in send
		case f = <-pl.pending:
		default:
			select {
			case f = <-pl.pending:
			case <-pl.ctx.Done():
				return nil
			}
		}
		if f.req == nil {
			return nil // closed
		}
		reply, err := pl.stream.RecvMsg()
		if err != nil {
			if pl.ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("waiting for the reply to %s for %s: %w", f.req.GetMessageName(), f.key, err)
		}
		rv, err := retval(reply)
		if err != nil {
			return fmt.Errorf("reply to %s for %s: %w", f.req.GetMessageName(), f.key, err)
		}
		pl.onReply(f, api.RetvalToVPPApiError(rv))
		pl.flying.Add(-1)
	}
}

// done tells the receiver that nothing more will be sent.
func (pl *pipeline) done() { close(pl.pending) }

func retval(m api.Message) (int32, error) {
	switch r := m.(type) {
	case *ip.IPRouteAddDelReply:
		return r.Retval, nil
	case *ip.IPTableAddDelReply:
		return r.Retval, nil
	}
	if rv, ok := mplsRetval(m); ok {
		return rv, nil
	}
	return 0, fmt.Errorf("unexpected message %s", m.GetMessageName())
}

func isRouteAdd(m api.Message) (add, ok bool) {
	r, ok := m.(*ip.IPRouteAddDel)
	if !ok {
		return false, false
	}
	return r.IsAdd, true
}

func tableAdd(t tableKey) *ip.IPTableAddDel {
	return &ip.IPTableAddDel{IsAdd: true, Table: ip.IPTable{TableID: t.id, IsIP6: t.ip6}}
}
