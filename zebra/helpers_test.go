package zebra

import (
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/lcpfib/lcpfib/fpm"
)

// captureDir holds the FRR recordings, relative to this package.
const captureDir = "../../shared/fpm-captures"

// cmpOpts compare netip values by value.
var cmpOpts = cmp.Options{cmpopts.EquateComparable(netip.Addr{}, netip.Prefix{})}

func readCapture(tb testing.TB, name string) []fpm.CaptureRecord {
	tb.Helper()
	recs, err := fpm.ReadCaptureFile(filepath.Join(captureDir, name))
	if err != nil {
		tb.Fatalf("reading capture (see ../shared/fpm-captures/README.md): %v", err)
	}
	return recs
}

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

func prefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }
