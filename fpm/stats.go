package fpm

import "sync/atomic"

// Stats are the server's counters since it was created.
type Stats struct {
	Connections uint64 // connections accepted from zebra
	Frames      uint64 // well-formed frames read
	Bytes       uint64 // bytes of those frames, headers included
	BadFrames   uint64 // frames with a bad header (each one reset its connection)
	Skipped     uint64 // frames the handler skipped (errors matching ErrSkip)
	Resets      uint64 // connections closed because of a bad frame or a handler error
	Current     uint64 // id of the connection being read, 0 when none
}

type stats struct {
	connections atomic.Uint64
	frames      atomic.Uint64
	bytes       atomic.Uint64
	badFrames   atomic.Uint64
	skipped     atomic.Uint64
	resets      atomic.Uint64
	current     atomic.Uint64
}

func (s *stats) snapshot() Stats {
	return Stats{
		Connections: s.connections.Load(),
		Frames:      s.frames.Load(),
		Bytes:       s.bytes.Load(),
		BadFrames:   s.badFrames.Load(),
		Skipped:     s.skipped.Load(),
		Resets:      s.resets.Load(),
		Current:     s.current.Load(),
	}
}
