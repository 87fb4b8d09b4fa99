package main

import (
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"slices"

	"github.com/lcpfib/lcpfib/fpm"
	"github.com/lcpfib/lcpfib/testbed/fulltable"
	"github.com/lcpfib/lcpfib/zebra"
)

// frame is one FPM frame to send.
type frame struct {
	b      []byte // the whole frame, header included; valid until the next one
	routes int    // route messages in it (RTM_NEWROUTE, RTM_DELROUTE)
	conn   uint32 // the source's connection: a change opens a new TCP connection
}

// A source yields the frames of each pass: pass 0 is the first sending,
// passes 1 and up follow a reconnection.
type source interface {
	frames(pass int) iter.Seq2[frame, error]
	String() string
}

// tableSource sends a generated table.
type tableSource struct{ t *fulltable.Table }

func (s tableSource) String() string {
	c := s.t.Config()
	mode := "nexthop groups"
	if !c.NexthopGroups {
		mode = "no nexthop groups"
	}
	return fmt.Sprintf("generated table: %d IPv4 + %d IPv6 routes, %.0f%% ECMP, %s, seed %d",
		c.V4, c.V6, 100*c.ECMP, mode, c.Seed)
}

// frames yields the load and the withdrawals on the first pass, and what
// zebra replays after that on the others.
func (s tableSource) frames(pass int) iter.Seq2[frame, error] {
	seqs := []iter.Seq2[fulltable.Frame, error]{s.t.Replay()}
	if pass == 0 {
		seqs = []iter.Seq2[fulltable.Frame, error]{s.t.Load(), s.t.Withdrawals()}
	}
	return func(yield func(frame, error) bool) {
		for _, seq := range seqs {
			for f, err := range seq {
				if err != nil {
					yield(frame{}, err)
					return
				}
				fr := frame{b: f.Bytes, conn: 1}
				if f.Type == zebra.TypeNewRoute || f.Type == zebra.TypeDelRoute {
					fr.routes = 1
				}
				if !yield(fr, nil) {
					return
				}
			}
		}
	}
}

// captureSource sends a recording, read again from the file on every pass
// so that a large one is never held in memory.
type captureSource struct {
	path string
	conn uint32 // only this recorded connection; 0: all of them
}

func (s captureSource) String() string {
	if s.conn != 0 {
		return fmt.Sprintf("capture %s, connection %d", s.path, s.conn)
	}
	return "capture " + s.path
}

// errNoFrames: the recording holds nothing to send.
var errNoFrames = errors.New("no frames to send")

func (s captureSource) frames(pass int) iter.Seq2[frame, error] {
	return func(yield func(frame, error) bool) {
		f, err := os.Open(s.path)
		if err != nil {
			yield(frame{}, fmt.Errorf("opening capture: %w", err))
			return
		}
		defer f.Close()
		cr, err := fpm.NewCaptureReader(f)
		if err != nil {
			yield(frame{}, fmt.Errorf("reading capture %s: %w", s.path, err))
			return
		}
		defer cr.Close()
		var (
			buf   []byte
			sent  int
			conns []uint32 // recorded connections, to name them when -conn matches none
		)
		for i := 0; ; i++ {
			rec, err := cr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				yield(frame{}, fmt.Errorf("reading capture %s: record %d: %w", s.path, i, err))
				return
			}
			if !slices.Contains(conns, rec.Conn) {
				conns = append(conns, rec.Conn)
			}
			if s.conn != 0 && rec.Conn != s.conn {
				continue
			}
			if buf, err = rec.Frame.AppendBinary(buf[:0]); err != nil {
				yield(frame{}, fmt.Errorf("capture %s: record %d: %w", s.path, i, err))
				return
			}
			sent++
			if !yield(frame{b: buf, routes: countRoutes(rec.Frame.Payload), conn: rec.Conn}, nil) {
				return
			}
		}
		if sent == 0 {
			yield(frame{}, fmt.Errorf("capture %s: %w of connection %d (it holds connections %v)",
				s.path, errNoFrames, s.conn, conns))
		}
	}
}

// countRoutes counts the route messages of a payload. A payload zebra's
// decoder refuses is still sent, counted as no routes.
func countRoutes(payload []byte) int {
	ms, _ := zebra.UnmarshalMessages(payload)
	n := 0
	for _, m := range ms {
		if m.Route != nil {
			n++
		}
	}
	return n
}
