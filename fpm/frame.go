package fpm

import "encoding/binary"

// Wire constants of the FPM header.
const (
	Version     = 1 // the only FPM version
	TypeNetlink = 1 // payload is netlink messages; type 2 (protobuf) is not supported

	HeaderLen  = 4     // version, type, 16-bit length
	MaxLen     = 65535 // the largest frame the 16-bit length field can describe
	MaxPayload = MaxLen - HeaderLen
)

// A Frame is one FPM message: a header and a payload of netlink messages.
// Payload is not interpreted here.
type Frame struct {
	Version uint8
	Type    uint8
	Payload []byte
}

// header is the decoded 4-byte FPM header.
type header struct {
	version uint8
	typ     uint8
	length  int // total, header included
}

func parseHeader(b []byte) header {
	return header{version: b[0], typ: b[1], length: int(binary.BigEndian.Uint16(b[2:4]))}
}

// check validates a header against the bytes available (have, header
// included); have < 0 means "a stream: more bytes may come".
func (h header) check(have int) error {
	err := func() error {
		switch {
		case h.version != Version:
			return ErrBadVersion
		case h.typ != TypeNetlink:
			return ErrUnknownType
		case h.length < HeaderLen:
			return ErrShortFrame
		case have >= 0 && h.length > have:
			return ErrTruncated
		case have >= 0 && h.length < have:
			return ErrTrailingData
		}
		return nil
	}()
	if err != nil {
		return &FrameError{Err: err, Version: h.version, Type: h.typ, Length: h.length, Have: have}
	}
	return nil
}

// MarshalBinary encodes f as one FPM frame.
func (f Frame) MarshalBinary() ([]byte, error) {
	return f.AppendBinary(make([]byte, 0, HeaderLen+len(f.Payload)))
}

// AppendBinary appends the encoding of f to b.
func (f Frame) AppendBinary(b []byte) ([]byte, error) {
	if len(f.Payload) > MaxPayload {
		return b, &FrameError{Err: ErrOversized, Version: f.Version, Type: f.Type,
			Length: HeaderLen + len(f.Payload), Have: HeaderLen + len(f.Payload)}
	}
	h := header{version: f.Version, typ: f.Type, length: HeaderLen + len(f.Payload)}
	if err := h.check(h.length); err != nil {
		return b, err
	}
	b = append(b, f.Version, f.Type)
	b = binary.BigEndian.AppendUint16(b, uint16(h.length))
	return append(b, f.Payload...), nil
}

// UnmarshalBinary decodes exactly one frame from b. Payload aliases b.
func (f *Frame) UnmarshalBinary(b []byte) error {
	if len(b) < HeaderLen {
		fe := &FrameError{Err: ErrShortFrame, Have: len(b)}
		if len(b) >= 2 {
			fe.Version, fe.Type = b[0], b[1]
		}
		return fe
	}
	h := parseHeader(b)
	if err := h.check(len(b)); err != nil {
		return err
	}
	*f = Frame{Version: h.version, Type: h.typ, Payload: b[HeaderLen:h.length]}
	return nil
}
