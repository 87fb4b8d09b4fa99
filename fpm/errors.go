package fpm

import (
	"errors"
	"fmt"
)

// Reasons a frame is rejected. Every one of them arrives wrapped in a
// *FrameError and means the stream can no longer be trusted: the server
// closes the connection and zebra reconnects and replays.
var (
	// ErrBadVersion: the version byte is not 1.
	ErrBadVersion = errors.New("unsupported version")
	// ErrUnknownType: the type byte is not 1 (netlink). Type 2 (protobuf)
	// is not supported either.
	ErrUnknownType = errors.New("unknown payload type")
	// ErrShortFrame: fewer than 4 bytes, or a length field below the
	// 4-byte header.
	ErrShortFrame = errors.New("frame shorter than its header")
	// ErrTruncated: the length field asks for more bytes than were given.
	ErrTruncated = errors.New("length field larger than the data")
	// ErrTrailingData: UnmarshalBinary was given more bytes than the length
	// field covers.
	ErrTrailingData = errors.New("data beyond the length field")
	// ErrOversized: a payload too large for the 16-bit length field.
	ErrOversized = errors.New("frame larger than 65535 bytes")
)

// ErrSkip marks a Handler error after which the connection continues: the
// server counts the frame as skipped (Stats.Skipped) and reads the next one.
// A handler returns it wrapped (fmt.Errorf("...: %w", fpm.ErrSkip)) or from
// an error type whose Is method matches it. Any other handler error resets
// the connection. The server does not log skipped frames; the handler logs
// what it needs to.
var ErrSkip = errors.New("frame skipped")

// ErrReplaced is the cause given to a connection's context and to
// Handler.Disconnected when a newer connection from zebra replaced it.
var ErrReplaced = errors.New("replaced by a newer connection")

// FrameError is a frame whose header cannot be used. It always means: reset
// the connection. errors.Is(err, ErrBadVersion) and friends say why.
type FrameError struct {
	Err     error // one of the Err* reasons above
	Version uint8 // header fields as received (zero if not received)
	Type    uint8
	Length  int // the length field (when marshalling: the length it would need)
	Have    int // bytes given to UnmarshalBinary; -1 when reading a stream
}

func (e *FrameError) Error() string {
	return fmt.Sprintf("fpm: bad frame (version %d, type %d, length %d, have %d): %v",
		e.Version, e.Type, e.Length, e.Have, e.Err)
}

func (e *FrameError) Unwrap() error { return e.Err }

// ErrReset is the cause given when Server.Reset closed the connection.
var ErrReset = errors.New("reset on request")

// ErrNoConnection is returned by Server.Send when zebra is not connected.
var ErrNoConnection = errors.New("no zebra connection")
