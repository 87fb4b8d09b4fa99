package vpp

import (
	"context"
	"fmt"
	"time"

	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/memclnt"
	"go.fd.io/govpp/core"
)

// dumpBuffer is how many details a dump stream buffers. GoVPP drops a reply
// that finds its stream's buffer full for core.ReplyChannelTimeout, so a
// million-route dump needs room while the consumer works.
const dumpBuffer = 1 << 16

// Dump sends a *_dump request followed by control_ping, as VPP's clients do,
// and calls each for every details message until the ping's reply marks the
// end. Every reply has the given deadline.
func Dump(ctx context.Context, conn api.Connection, req api.Message, timeout time.Duration, each func(api.Message) error) error {
	s, err := conn.NewStream(ctx, core.WithReplyTimeout(timeout), core.WithReplySize(dumpBuffer))
	if err != nil {
		return fmt.Errorf("%s: opening stream: %w", req.GetMessageName(), err)
	}
	defer s.Close()
	if err := s.SendMsg(req); err != nil {
		return fmt.Errorf("%s: %w", req.GetMessageName(), err)
	}
	if err := s.SendMsg(&memclnt.ControlPing{}); err != nil {
		return fmt.Errorf("%s: %w", req.GetMessageName(), err)
	}
	for {
		m, err := s.RecvMsg()
		if err != nil {
			return fmt.Errorf("%s: %w", req.GetMessageName(), err)
		}
		if _, end := m.(*memclnt.ControlPingReply); end {
			return nil
		}
		if err := each(m); err != nil {
			return err
		}
	}
}
