package fpm

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzFrame checks that any frame that decodes encodes back to the same
// bytes, and that the stream Reader agrees with UnmarshalBinary.
func FuzzFrame(f *testing.F) {
	for _, name := range captureFiles {
		for _, r := range readCapture(f, name) {
			b, err := r.Frame.MarshalBinary()
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte{1, 1, 0, 4})
	f.Add([]byte{1, 2, 0, 4})
	f.Add([]byte{1, 1, 0, 3})

	f.Fuzz(func(t *testing.T, b []byte) {
		var fr Frame
		err := fr.UnmarshalBinary(b)

		sf, serr := NewReader(bytes.NewReader(b)).Next()
		if err != nil {
			var fe *FrameError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *FrameError", err)
			}
			// The stream reader may accept a prefix (trailing data is
			// the next frame); otherwise it must fail too.
			if serr == nil && !errors.Is(err, ErrTrailingData) {
				t.Fatalf("Reader accepted what UnmarshalBinary rejected: %v", err)
			}
			return
		}
		if serr != nil {
			t.Fatalf("Reader failed on a valid frame: %v", serr)
		}
		if !bytes.Equal(sf.Payload, fr.Payload) {
			t.Fatal("Reader and UnmarshalBinary disagree on the payload")
		}
		out, err := fr.MarshalBinary()
		if err != nil {
			t.Fatalf("MarshalBinary of a decoded frame: %v", err)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("round trip:\n got %x\nwant %x", out, b)
		}
	})
}
