package zebra

import (
	"bytes"
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/lcpfib/lcpfib/rib"
	"github.com/mdlayher/netlink"
)

// seedFiles are the recordings whose messages seed the fuzz targets.
var seedFiles = []string{"basic.bin", "cases_nhg.bin", "cases_nonhg.bin", "legacy_fpm.bin"}

// seedMessages returns the netlink messages of the recordings.
func seedMessages(f *testing.F) []netlink.Message {
	var out []netlink.Message
	for _, name := range seedFiles {
		for _, rec := range readCapture(f, name) {
			for b := rec.Frame.Payload; len(b) > 0; {
				nm, rest, err := nextMessage(b)
				if err != nil {
					f.Fatalf("%s: %v", name, err)
				}
				nm.Data = bytes.Clone(nm.Data)
				out = append(out, nm)
				b = rest
			}
		}
	}
	return out
}

func FuzzRouteMessage(f *testing.F) {
	for _, nm := range seedMessages(f) {
		if nm.Header.Type == TypeNewRoute || nm.Header.Type == TypeDelRoute {
			f.Add(nm.Data)
		}
	}
	routes, _, _ := mplsSeeds(f)
	for _, b := range routes {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var m RouteMessage
		if err := m.UnmarshalBinary(b); err != nil {
			return
		}
		m.Prefix() // must not panic
		out, err := m.MarshalBinary()
		if err != nil {
			t.Fatalf("MarshalBinary of a decoded message: %v", err)
		}
		var again RouteMessage
		if err := again.UnmarshalBinary(out); err != nil {
			t.Fatalf("decoding MarshalBinary's output %x: %v", out, err)
		}
		if diff := cmp.Diff(m, again, cmpOpts); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}

func FuzzNexthopMessage(f *testing.F) {
	for _, nm := range seedMessages(f) {
		if nm.Header.Type == TypeNewNexthop || nm.Header.Type == TypeDelNexthop {
			f.Add(nm.Data)
		}
	}
	_, nhs, _ := mplsSeeds(f)
	for _, b := range nhs {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var m NexthopMessage
		if err := m.UnmarshalBinary(b); err != nil {
			return
		}
		out, err := m.MarshalBinary()
		if err != nil {
			t.Fatalf("MarshalBinary of a decoded message: %v", err)
		}
		var again NexthopMessage
		if err := again.UnmarshalBinary(out); err != nil {
			t.Fatalf("decoding MarshalBinary's output %x: %v", out, err)
		}
		if diff := cmp.Diff(m, again, cmpOpts); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}

// FuzzPayload decodes whole FPM payloads (several messages) with a round
// trip, and feeds them to a Feed that already holds the nexthops of
// cases_nhg, checking that it never panics and never hands on an
// inconsistent update.
func FuzzPayload(f *testing.F) {
	var nexthops [][]byte
	for _, name := range seedFiles {
		for _, rec := range readCapture(f, name) {
			f.Add(rec.Frame.Payload)
		}
	}
	_, _, mpls := mplsSeeds(f)
	f.Add(mpls)
	for _, rec := range readCapture(f, "cases_nhg.bin") {
		if ms, _ := UnmarshalMessages(rec.Frame.Payload); len(ms) > 0 && ms[0].Nexthop != nil {
			nexthops = append(nexthops, rec.Frame.Payload)
		}
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, b []byte) {
		ms, err := UnmarshalMessages(b)
		if err == nil {
			out, err := MarshalMessages(ms)
			if err != nil {
				t.Fatalf("MarshalMessages of decoded messages: %v", err)
			}
			again, err := UnmarshalMessages(out)
			if err != nil {
				t.Fatalf("decoding MarshalMessages' output %x: %v", out, err)
			}
			if diff := cmp.Diff(ms, again, cmpOpts,
				cmpopts.IgnoreFields(netlink.Header{}, "Length")); diff != "" {
				t.Fatalf("round trip (-first +second):\n%s", diff)
			}
		}

		sink := newFakeSink(t)
		feed := NewFeed(sink, Options{MaxBatch: 8})
		feed.Connected(ctx, 1, loopback)
		for _, p := range nexthops {
			feed.Frame(ctx, 1, p)
		}
		feed.Frame(ctx, 1, b)
		feed.Frame(ctx, 1, b) // again: replaces, re-emits
		if err := feed.Flush(ctx, 1); err != nil {
			t.Fatal(err)
		}
		c := feed.Counters()
		held := 0
		for _, r := range feed.aside {
			if r.held {
				held++
			}
		}
		if int(c.HeldNow) != held {
			t.Fatalf("%d held, %d routes set aside as held", c.HeldNow, held)
		}
		for _, r := range sink.routes {
			if r.Kind == rib.Unicast && len(r.Paths) == 0 {
				t.Fatalf("unicast route without paths: %s", r.Key)
			}
		}
	})
}
