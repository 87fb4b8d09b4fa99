package fpm

import (
	"bufio"
	"errors"
	"io"
)

// readBufferSize holds at least one frame of the largest size, so a whole
// frame can always be handed out as one slice of the buffer.
const readBufferSize = 2 * 65536

// A Reader cuts FPM frames out of a byte stream. It reads in large chunks
// and hands out payloads that point into its buffer, so reading a frame
// allocates nothing.
type Reader struct {
	br *bufio.Reader
}

// NewReader returns a Reader reading from r.
func NewReader(r io.Reader) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, readBufferSize)}
}

// Reset discards buffered data and makes the Reader read from r, keeping
// its buffer.
func (r *Reader) Reset(src io.Reader) { r.br.Reset(src) }

// Next returns the next frame. Its Payload points into the Reader's buffer
// and is valid only until the next call to Next or Reset.
//
// Next returns io.EOF at a clean end of stream, io.ErrUnexpectedEOF when the
// stream ends inside a frame, and a *FrameError when a header is bad; the
// stream cannot be resynchronised after a FrameError.
func (r *Reader) Next() (Frame, error) {
	return readFrame(r.br)
}

// Ready reports whether a whole frame is already buffered, that is, whether
// the next call to Next will return without reading from the stream. A
// server uses it to know when a burst has been drained.
func (r *Reader) Ready() bool {
	n := r.br.Buffered()
	if n < HeaderLen {
		return false
	}
	b, err := r.br.Peek(HeaderLen) // buffered: no read
	if err != nil {
		return false
	}
	return parseHeader(b).length <= n
}

// readFrame reads one frame from br; the payload aliases br's buffer.
func readFrame(br *bufio.Reader) (Frame, error) {
	b, err := br.Peek(HeaderLen)
	if err != nil {
		return Frame{}, eofError(err, len(b))
	}
	h := parseHeader(b)
	if err := h.check(-1); err != nil {
		return Frame{}, err
	}
	// h.length <= MaxLen < readBufferSize, so Peek cannot fail with
	// bufio.ErrBufferFull.
	b, err = br.Peek(h.length)
	if err != nil {
		return Frame{}, eofError(err, len(b))
	}
	// Discard of buffered bytes does not read, so b stays valid.
	if _, err := br.Discard(h.length); err != nil {
		return Frame{}, err
	}
	return Frame{Version: h.version, Type: h.typ, Payload: b[HeaderLen:h.length:h.length]}, nil
}

// eofError turns an EOF after some bytes of a frame into
// io.ErrUnexpectedEOF.
func eofError(err error, got int) error {
	if errors.Is(err, io.EOF) && got > 0 {
		return io.ErrUnexpectedEOF
	}
	return err
}
