package zebra

import (
	"context"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lcpfib/lcpfib/rib"
)

func TestNexthopGroups(t *testing.T) {
	recs := readCapture(t, "cases_nhg.bin")
	f := NewFeed(newFakeSink(t), Options{})
	ctx := context.Background()
	if err := f.Connected(ctx, 1, loopback); err != nil {
		t.Fatal(err)
	}
	// The capture starts with six single nexthops, ids 7 to 12 (see
	// cases_nhg.txt).
	for _, rec := range recs[:6] {
		if err := f.Frame(ctx, 1, rec.Frame.Payload); err != nil {
			t.Fatal(err)
		}
	}
	ifonly := func(id, ifindex uint32) NexthopInfo {
		return NexthopInfo{ID: id, Paths: []rib.Path{{Ifindex: ifindex, Weight: 1}}}
	}
	want := []NexthopInfo{ifonly(7, 2), ifonly(8, 3), ifonly(9, 4), ifonly(10, 2), ifonly(11, 3), ifonly(12, 4)}
	if diff := cmp.Diff(want, f.NexthopGroups(), cmpOpts); diff != "" {
		t.Fatalf("after six nexthops (-want +got):\n%s", diff)
	}

	// The rest, read while another goroutine asks (the race detector
	// checks the locking).
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				f.NexthopGroups()
			}
		}
	}()
	for _, rec := range recs[6:] {
		if rec.Conn != 1 {
			break
		}
		f.Frame(ctx, 1, rec.Frame.Payload) // skipped messages are the capture's, not the test's
		f.Flush(ctx, 1)
	}
	close(stop)
	wg.Wait()
	got := f.NexthopGroups()
	c := f.Counters()
	if uint64(len(got)) != c.Nexthops+c.Groups || c.Groups == 0 {
		t.Fatalf("%d entries, counters say %d nexthops and %d groups", len(got), c.Nexthops, c.Groups)
	}
	for _, n := range got {
		switch {
		case n.Blackhole:
		case n.Members != nil && len(n.Paths) != len(n.Members):
			t.Errorf("group %d: %d members, %d paths", n.ID, len(n.Members), len(n.Paths))
		case n.Members == nil && len(n.Paths) != 1:
			t.Errorf("nexthop %d: %d paths", n.ID, len(n.Paths))
		}
	}
}
