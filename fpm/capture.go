package fpm

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// CaptureMagic starts every FPMCAP1 recording.
const CaptureMagic = "FPMCAP1\n"

// captureRecordHeaderLen is the receive time (8 bytes) and connection number
// (4 bytes) in front of each frame.
const captureRecordHeaderLen = 12

var gzipMagic = []byte{0x1f, 0x8b}

// errBadMagic: the input is not an FPMCAP1 recording.
var errBadMagic = errors.New("fpm: not an FPMCAP1 capture")

// A CaptureRecord is one frame of a recording, as zebra sent it.
type CaptureRecord struct {
	Time  time.Time // when the frame was received
	Conn  uint32    // connection number: a new one each time zebra reconnected
	Frame Frame
}

// A CaptureReader reads an FPMCAP1 recording: the 8-byte magic, then
// records of an 8-byte big-endian receive time in Unix nanoseconds, a
// 4-byte big-endian connection number and a raw FPM frame. Gzipped input
// is recognised and decompressed.
type CaptureReader struct {
	br *bufio.Reader
	gz *gzip.Reader
}

// NewCaptureReader checks the magic and returns a reader for the records
// that follow.
func NewCaptureReader(r io.Reader) (*CaptureReader, error) {
	cr := &CaptureReader{br: bufio.NewReaderSize(r, readBufferSize)}
	if b, err := cr.br.Peek(len(gzipMagic)); err == nil && bytes.Equal(b, gzipMagic) {
		gz, err := gzip.NewReader(cr.br)
		if err != nil {
			return nil, fmt.Errorf("fpm: opening gzipped capture: %w", err)
		}
		cr.gz = gz
		cr.br = bufio.NewReaderSize(gz, readBufferSize)
	}
	magic := make([]byte, len(CaptureMagic))
	if _, err := io.ReadFull(cr.br, magic); err != nil || string(magic) != CaptureMagic {
		return nil, errBadMagic
	}
	return cr, nil
}

// Next returns the next record. The frame's Payload is valid only until the
// next call. At the end of the recording Next returns io.EOF; a recording
// cut inside a record gives io.ErrUnexpectedEOF.
func (c *CaptureReader) Next() (CaptureRecord, error) {
	b, err := c.br.Peek(captureRecordHeaderLen)
	if err != nil {
		return CaptureRecord{}, eofError(err, len(b))
	}
	rec := CaptureRecord{
		Time: time.Unix(0, int64(binary.BigEndian.Uint64(b[0:8]))),
		Conn: binary.BigEndian.Uint32(b[8:12]),
	}
	if _, err := c.br.Discard(captureRecordHeaderLen); err != nil {
		return CaptureRecord{}, err
	}
	rec.Frame, err = readFrame(c.br)
	if err != nil {
		return CaptureRecord{}, eofError(err, 1)
	}
	return rec, nil
}

// Close releases the gzip decompressor, if any. It does not close the
// underlying reader.
func (c *CaptureReader) Close() error {
	if c.gz != nil {
		return c.gz.Close()
	}
	return nil
}

// ReadCaptureFile reads a whole recording (.bin or .bin.gz) into memory,
// with payloads copied so that records stay valid.
func ReadCaptureFile(name string) ([]CaptureRecord, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cr, err := NewCaptureReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	defer cr.Close()
	var recs []CaptureRecord
	for {
		rec, err := cr.Next()
		if errors.Is(err, io.EOF) {
			return recs, nil
		}
		if err != nil {
			return recs, fmt.Errorf("%s: record %d: %w", name, len(recs), err)
		}
		rec.Frame.Payload = bytes.Clone(rec.Frame.Payload)
		recs = append(recs, rec)
	}
}
