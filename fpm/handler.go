package fpm

import (
	"context"
	"net"
)

// A Handler receives what one zebra connection sends. The server calls it
// from one goroutine at a time: calls for a connection happen in order,
// Connected first and Disconnected last, and a replacing connection's
// Connected comes only after the previous connection's Disconnected has
// returned. conn is a number the server gives each connection, starting at
// 1.
//
// ctx is the connection's context: it is cancelled when the connection is
// replaced (context.Cause is ErrReplaced) or the server stops. A handler
// that blocks (for example on a busy consumer) must return when it is done.
type Handler interface {
	// Connected announces a new connection from zebra, which is about to
	// replay all its nexthops and routes. A non-nil error closes it.
	Connected(ctx context.Context, conn uint64, remote net.Addr) error

	// Frame handles the payload of one frame: one or more netlink
	// messages. payload is valid only during the call. An error matching
	// ErrSkip is counted and the connection continues; any other error
	// closes the connection.
	Frame(ctx context.Context, conn uint64, payload []byte) error

	// Flush is called when the frames received so far have all been
	// handled and the next read would wait for zebra, and once more before
	// Disconnected if frames were handled since the last Flush: the moment
	// to hand a batch on. A non-nil error closes the connection.
	Flush(ctx context.Context, conn uint64) error

	// Disconnected says the connection is gone and why: nil for a clean
	// close by zebra, ErrReplaced, the context's error when the server
	// stops, a *FrameError, or the error that made the server close it.
	Disconnected(conn uint64, err error)
}

// An IdleHandler is a Handler that also wants to know when zebra goes
// quiet: Idle is called, from the same goroutine as the other calls, once
// the connection has carried nothing for Options.IdleAfter, and not again
// until more frames have arrived. zebra marks neither the start nor the end
// of its replay; a quiet period is how the end is seen. A non-nil error
// closes the connection.
type IdleHandler interface {
	Handler
	Idle(ctx context.Context, conn uint64) error
}
