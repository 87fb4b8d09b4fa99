package pairing

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.fd.io/govpp/adapter/socketclient"
	"go.fd.io/govpp/core"

	"github.com/lcpfib/lcpfib/testbed/vppsim/sim"
)

func TestStaticSync(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "api.sock")
	s, err := sim.Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"GigabitEthernet3/0/0", "GigabitEthernet3/0/1"} {
		if _, err := s.AddInterface(sim.Interface{Name: n}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Serve(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; s.Close() })
	conn, err := core.Connect(socketclient.NewVppClient(sock))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Disconnect()

	links := map[string]uint32{"e0": 7, "e1": 9}
	link := func(name string) (uint32, error) {
		if i, ok := links[name]; ok {
			return i, nil
		}
		return 0, fmt.Errorf("Link not found")
	}
	st := NewStatic([]Pair{
		{Linux: "e0", VPP: "GigabitEthernet3/0/0"},
		{Linux: "e1", VPP: "GigabitEthernet3/0/1"},
		{Linux: "e2", VPP: "GigabitEthernet3/0/1"},
		{Linux: "e1", VPP: "TenGigabitEthernet9/0/0"},
	}, link, time.Second, nil)
	if err := st.Sync(context.Background(), conn); err != nil {
		t.Fatal(err)
	}
	want := []Resolved{
		{Pair: Pair{"e0", "GigabitEthernet3/0/0"}, Ifindex: 7, SwIfIndex: 1},
		{Pair: Pair{"e1", "GigabitEthernet3/0/1"}, Ifindex: 9, SwIfIndex: 2},
		{Pair: Pair{"e2", "GigabitEthernet3/0/1"}, Err: `Linux interface "e2": Link not found`},
		{Pair: Pair{"e1", "TenGigabitEthernet9/0/0"}, Err: `VPP has no interface "TenGigabitEthernet9/0/0"`},
	}
	if d := cmp.Diff(want, st.Pairs()); d != "" {
		t.Fatalf("pairs (-want +got):\n%s", d)
	}
	for ifindex, sw := range map[uint32]uint32{7: 1, 9: 2} {
		if got, ok := st.SwIfIndex(ifindex); !ok || got != sw {
			t.Errorf("SwIfIndex(%d) = %d, %v; want %d", ifindex, got, ok, sw)
		}
	}
	if _, ok := st.SwIfIndex(8); ok {
		t.Error("SwIfIndex(8) resolved; nothing is paired with it")
	}

	// A Linux interface recreated with a new ifindex is picked up by the
	// next Sync (every VPP reconnect).
	links["e0"] = 17
	if err := st.Sync(context.Background(), conn); err != nil {
		t.Fatal(err)
	}
	if _, ok := st.SwIfIndex(7); ok {
		t.Error("old ifindex 7 still resolves")
	}
	if got, ok := st.SwIfIndex(17); !ok || got != 1 {
		t.Errorf("SwIfIndex(17) = %d, %v", got, ok)
	}
}
