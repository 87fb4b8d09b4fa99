package pairing

import (
	"context"
	"fmt"

	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/memclnt"
	"go.fd.io/govpp/core"
)

// pipelineWindow is how many requests pipeline keeps in flight.
const pipelineWindow = 256

// pipeline sends independent requests on one stream with up to
// pipelineWindow in flight and calls done with each one's index and
// result (nil, or an api.VPPApiError VPP answered with) in order. It
// returns an error only when the stream fails; requests it did not hear
// back about are then not reported.
func (v *vppAPI) pipeline(ctx context.Context, reqs []api.Message, newReply func(i int) api.Message, done func(i int, err error)) error {
	if len(reqs) == 0 {
		return nil
	}
	s, err := v.stream(ctx)
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok { // replies may still come: never reuse the stream
			s.Close()
			v.pipe = nil
		}
	}()
	sent, recvd := 0, 0
	for recvd < len(reqs) {
		for sent < len(reqs) && sent-recvd < pipelineWindow {
			v.stats.vppCall(reqs[sent].GetMessageName())
			if err := s.SendMsg(reqs[sent]); err != nil {
				v.stats.vppError(reqs[sent].GetMessageName())
				return fmt.Errorf("%s: %w", reqs[sent].GetMessageName(), err)
			}
			sent++
		}
		name := reqs[recvd].GetMessageName()
		m, err := s.RecvMsg()
		if err != nil {
			v.stats.vppError(name)
			return fmt.Errorf("%s: %w", name, err)
		}
		want := newReply(recvd)
		if m.GetMessageName() != want.GetMessageName() {
			v.stats.vppError(name)
			return fmt.Errorf("%s: unexpected reply %s", name, m.GetMessageName())
		}
		err = api.RetvalToVPPApiError(retval(m))
		if err != nil {
			v.stats.vppError(name)
			err = fmt.Errorf("%s: %w", name, err)
		}
		done(recvd, err)
		recvd++
	}
	ok = true
	return nil
}

// stream returns the connection's pipelining stream, opening it on first
// use: one stream serves every batch, so a batch costs no set-up.
func (v *vppAPI) stream(ctx context.Context) (api.Stream, error) {
	if v.pipe != nil {
		return v.pipe, nil
	}
	s, err := v.conn.NewStream(ctx, core.WithRequestSize(pipelineWindow), core.WithReplySize(pipelineWindow+1), core.WithReplyTimeout(v.timeout))
	if err != nil {
		return nil, fmt.Errorf("opening API stream: %w", err)
	}
	// GoVPP v0.13.0: finish one request/reply on a fresh stream before
	// pipelining (see VPP-API-NOTES.md).
	if err := s.SendMsg(&memclnt.ControlPing{}); err != nil {
		s.Close()
		return nil, fmt.Errorf("control_ping: %w", err)
	}
	if _, err := s.RecvMsg(); err != nil {
		s.Close()
		return nil, fmt.Errorf("control_ping: %w", err)
	}
	v.pipe = s
	return s, nil
}
