package fpm

import (
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// captureDir holds the FRR recordings, relative to this package.
const captureDir = "../../shared/fpm-captures"

// captureFiles are the small recordings; every frame seeds FuzzFrame.
var captureFiles = []string{"basic.bin", "cases_nhg.bin", "cases_nonhg.bin", "legacy_fpm.bin"}

func readCapture(tb testing.TB, name string) []CaptureRecord {
	tb.Helper()
	recs, err := ReadCaptureFile(filepath.Join(captureDir, name))
	if err != nil {
		tb.Fatalf("reading capture (see ../shared/fpm-captures/README.md): %v", err)
	}
	return recs
}

func TestReadCaptureFile(t *testing.T) {
	tests := []struct {
		name   string
		frames int
		conns  int
	}{
		{"basic.bin", 13, 1},
		{"cases_nhg.bin", 64, 1},
		{"cases_nonhg.bin", 55, 2},
		{"legacy_fpm.bin", 14, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs := readCapture(t, tt.name)
			if len(recs) != tt.frames {
				t.Fatalf("%d frames, want %d", len(recs), tt.frames)
			}
			conns := map[uint32]bool{}
			for i, r := range recs {
				conns[r.Conn] = true
				if r.Frame.Version != Version || r.Frame.Type != TypeNetlink {
					t.Fatalf("record %d: frame %d/%d", i, r.Frame.Version, r.Frame.Type)
				}
				if i > 0 && r.Time.Before(recs[i-1].Time) {
					t.Fatalf("record %d: time goes backwards", i)
				}
			}
			if len(conns) != tt.conns {
				t.Fatalf("%d connections, want %d", len(conns), tt.conns)
			}
		})
	}
}

func TestReadCaptureGzip(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 8 MB")
	}
	recs := readCapture(t, "load.bin.gz")
	if len(recs) != 120021 {
		t.Fatalf("%d frames, want 120021", len(recs))
	}
}

func TestCaptureReaderBadMagic(t *testing.T) {
	_, err := NewCaptureReader(bytesReader("FPMCAP2\n"))
	if !errors.Is(err, errBadMagic) {
		t.Fatalf("err = %v, want errBadMagic", err)
	}
	cr, err := NewCaptureReader(bytesReader(CaptureMagic + "\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cr.Next(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("cut record: err = %v, want unexpected EOF", err)
	}
}

func bytesReader(s string) io.Reader { return strings.NewReader(s) }
