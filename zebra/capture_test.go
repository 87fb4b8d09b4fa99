package zebra

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/mdlayher/netlink"
)

// TestDecodeCaptures decodes every frame zebra sent in the recordings and
// compares each message, field by field, with the human decode in the
// matching .txt file.
func TestDecodeCaptures(t *testing.T) {
	for _, name := range []string{"basic", "cases_nhg", "cases_nonhg", "legacy_fpm"} {
		t.Run(name, func(t *testing.T) {
			recs := readCapture(t, name+".bin")
			txt := parseTxt(t, name+".txt")
			if len(recs) != len(txt.frames) {
				t.Fatalf("%d frames in the .bin, %d in the .txt", len(recs), len(txt.frames))
			}
			var msgs int
			for i, rec := range recs {
				want := txt.frames[i]
				raw, err := rec.Frame.MarshalBinary()
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(raw, want.raw) || rec.Conn != want.conn || len(raw) != want.len {
					t.Fatalf("frame %d (.txt line %d): .bin and .txt disagree on the bytes", i, want.line)
				}
				got, err := UnmarshalMessages(rec.Frame.Payload)
				if err != nil {
					t.Fatalf("frame %d (.txt line %d): %v", i, want.line, err)
				}
				if diff := cmp.Diff(want.msgs, got, cmpOpts); diff != "" {
					t.Fatalf("frame %d (.txt line %d) (-txt +decoded):\n%s", i, want.line, diff)
				}
				msgs += len(got)
			}
			t.Logf("%d frames, %d messages", len(recs), msgs)
		})
	}
}

// TestMarshalCaptures encodes the decoded messages again. dplane_fpm_nl's
// messages come back byte for byte; the legacy module sends RTA_PRIORITY 0,
// which a zero RouteAttributes.Priority cannot tell from absent, so its
// messages are compared after decoding them again.
func TestMarshalCaptures(t *testing.T) {
	for _, name := range []string{"basic.bin", "cases_nhg.bin", "cases_nonhg.bin", "legacy_fpm.bin"} {
		t.Run(name, func(t *testing.T) {
			exact := !strings.HasPrefix(name, "legacy")
			for i, rec := range readCapture(t, name) {
				ms, err := UnmarshalMessages(rec.Frame.Payload)
				if err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				b, err := MarshalMessages(ms)
				if err != nil {
					t.Fatalf("frame %d: MarshalMessages: %v", i, err)
				}
				if exact && !bytes.Equal(b, rec.Frame.Payload) {
					t.Fatalf("frame %d:\n got %x\nwant %x", i, b, rec.Frame.Payload)
				}
				again, err := UnmarshalMessages(b)
				if err != nil {
					t.Fatalf("frame %d: decoding MarshalMessages' output: %v", i, err)
				}
				if diff := cmp.Diff(ms, again, cmpOpts,
					cmpopts.IgnoreFields(netlink.Header{}, "Length")); diff != "" {
					t.Fatalf("frame %d round trip (-first +second):\n%s", i, diff)
				}
			}
		})
	}
}

// TestDecodeLoad decodes the 120,000-route load recordings (restart.bin.gz
// is the same load recorded around a listener restart): every message must
// decode.
func TestDecodeLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes 240,000 messages")
	}
	for _, name := range []string{"load.bin.gz", "load_nonhg.bin.gz", "restart.bin.gz"} {
		t.Run(name, func(t *testing.T) {
			var routes, nexthops int
			for i, rec := range readCapture(t, name) {
				ms, err := UnmarshalMessages(rec.Frame.Payload)
				if err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				for _, m := range ms {
					switch {
					case m.Route != nil:
						if _, err := m.Route.Prefix(); err != nil {
							t.Fatalf("frame %d: %v", i, err)
						}
						routes++
					case m.Nexthop != nil:
						nexthops++
					}
				}
			}
			if routes != 120007 {
				t.Fatalf("%d routes, want 120007 (120,000 BGP + 7 connected)", routes)
			}
			t.Logf("%d routes, %d nexthops", routes, nexthops)
		})
	}
}
