package fpm

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFrameUnmarshalBinary(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want Frame
		err  error
	}{
		{
			name: "netlink frame from basic.bin",
			in: []byte{
				0x01,       // version 1
				0x01,       // type 1: netlink
				0x00, 0x0c, // length 12, header included
				// payload: the first 8 bytes of a netlink message
				0x28, 0x00, 0x00, 0x00, 0x68, 0x00, 0x01, 0x05,
			},
			want: Frame{Version: 1, Type: 1, Payload: []byte{0x28, 0x00, 0x00, 0x00, 0x68, 0x00, 0x01, 0x05}},
		},
		{
			name: "empty payload",
			in: []byte{
				0x01,       // version
				0x01,       // type
				0x00, 0x04, // length 4: header only
			},
			want: Frame{Version: 1, Type: 1, Payload: []byte{}},
		},
		{
			name: "bad version",
			in: []byte{
				0x02,       // version 2
				0x01,       // type
				0x00, 0x05, // length
				0xff, // payload
			},
			err: ErrBadVersion,
		},
		{
			name: "protobuf type",
			in: []byte{
				0x01,       // version
				0x02,       // type 2: protobuf
				0x00, 0x05, // length
				0xff, // payload
			},
			err: ErrUnknownType,
		},
		{
			name: "unknown type",
			in: []byte{
				0x01,       // version
				0x00,       // type 0
				0x00, 0x04, // length
			},
			err: ErrUnknownType,
		},
		{
			name: "fewer than 4 bytes",
			in: []byte{
				0x01, 0x01, 0x00, // version, type, half a length
			},
			err: ErrShortFrame,
		},
		{
			name: "nothing",
			in:   nil,
			err:  ErrShortFrame,
		},
		{
			name: "length field below the header",
			in: []byte{
				0x01,       // version
				0x01,       // type
				0x00, 0x03, // length 3
			},
			err: ErrShortFrame,
		},
		{
			name: "length field larger than the data",
			in: []byte{
				0x01,       // version
				0x01,       // type
				0xff, 0xff, // length 65535
				0x00, 0x00, // 2 bytes of payload
			},
			err: ErrTruncated,
		},
		{
			name: "data beyond the length",
			in: []byte{
				0x01,       // version
				0x01,       // type
				0x00, 0x05, // length 5
				0xaa,       // payload
				0xbb, 0xcc, // next frame?
			},
			err: ErrTrailingData,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f Frame
			err := f.UnmarshalBinary(tt.in)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				var fe *FrameError
				if !errors.As(err, &fe) {
					t.Fatalf("err %T is not a *FrameError", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("UnmarshalBinary: %v", err)
			}
			if diff := cmp.Diff(tt.want, f); diff != "" {
				t.Fatalf("frame (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFrameMarshalBinary(t *testing.T) {
	tests := []struct {
		name string
		in   Frame
		want []byte
		err  error
	}{
		{
			name: "netlink",
			in:   Frame{Version: 1, Type: 1, Payload: []byte{0xde, 0xad, 0xbe, 0xef}},
			want: []byte{
				0x01,       // version
				0x01,       // type netlink
				0x00, 0x08, // length 8 = 4 + 4
				0xde, 0xad, 0xbe, 0xef, // payload
			},
		},
		{
			name: "largest",
			in:   Frame{Version: 1, Type: 1, Payload: make([]byte, MaxPayload)},
			want: append([]byte{
				0x01,       // version
				0x01,       // type
				0xff, 0xff, // length 65535
			}, make([]byte, MaxPayload)...),
		},
		{
			name: "oversized",
			in:   Frame{Version: 1, Type: 1, Payload: make([]byte, MaxPayload+1)},
			err:  ErrOversized,
		},
		{
			name: "bad version",
			in:   Frame{Version: 0, Type: 1},
			err:  ErrBadVersion,
		},
		{
			name: "bad type",
			in:   Frame{Version: 1, Type: 2},
			err:  ErrUnknownType,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.in.MarshalBinary()
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if tt.err != nil {
				return
			}
			if !bytes.Equal(b, tt.want) {
				t.Fatalf("bytes:\n got %x\nwant %x", b, tt.want)
			}
		})
	}
}

func TestReader(t *testing.T) {
	var stream []byte
	payloads := [][]byte{{1, 2, 3, 4}, {}, bytes.Repeat([]byte{7}, MaxPayload), {5}}
	for _, p := range payloads {
		b, err := Frame{Version: 1, Type: 1, Payload: p}.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		stream = append(stream, b...)
	}
	// One byte at a time: frames must be reassembled.
	r := NewReader(&oneByteReader{b: stream})
	for i, want := range payloads {
		f, err := r.Next()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if !bytes.Equal(f.Payload, want) {
			t.Fatalf("frame %d: payload of %d bytes, want %d", i, len(f.Payload), len(want))
		}
	}
	if _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("at end: err = %v, want EOF", err)
	}

	// A stream cut inside a frame.
	r = NewReader(bytes.NewReader(stream[:6]))
	if _, err := r.Next(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("cut stream: err = %v, want unexpected EOF", err)
	}

	// A bad header.
	r = NewReader(bytes.NewReader([]byte{2, 1, 0, 4}))
	if _, err := r.Next(); !errors.Is(err, ErrBadVersion) {
		t.Fatalf("bad header: err = %v, want ErrBadVersion", err)
	}
}

func TestReaderReady(t *testing.T) {
	f1, _ := Frame{Version: 1, Type: 1, Payload: []byte{1, 2, 3, 4}}.MarshalBinary()
	f2, _ := Frame{Version: 1, Type: 1, Payload: []byte{5, 6}}.MarshalBinary()
	r := NewReader(bytes.NewReader(append(append([]byte{}, f1...), f2[:3]...)))
	if r.Ready() {
		t.Fatal("Ready before any read")
	}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if r.Ready() {
		t.Fatal("Ready with only 3 bytes of the next frame buffered")
	}
}

func BenchmarkReader(b *testing.B) {
	frame, _ := Frame{Version: 1, Type: 1, Payload: make([]byte, 52)}.MarshalBinary()
	stream := bytes.Repeat(frame, 10000)
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	rd := bytes.NewReader(stream)
	r := NewReader(rd)
	for b.Loop() {
		rd.Reset(stream)
		r.Reset(rd)
		for {
			if _, err := r.Next(); err != nil {
				break
			}
		}
	}
	b.ReportMetric(float64(b.N)*10000/b.Elapsed().Seconds(), "frames/s")
}

// oneByteReader returns at most one byte per Read.
type oneByteReader struct{ b []byte }

func (r *oneByteReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	p[0] = r.b[0]
	r.b = r.b[1:]
	return 1, nil
}
