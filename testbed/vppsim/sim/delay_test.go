package sim_test

import (
	"path/filepath"
	"testing"
	"time"

	"go.fd.io/govpp/binapi/ip"
	"go.fd.io/govpp/binapi/memclnt"

	"github.com/lcpfib/lcpfib/testbed/vppsim/sim"
)

// TestDelay checks that every request, control_ping included, takes at
// least the delay, and that requests from several clients queue behind
// one another as on VPP's one main thread. Only lower bounds are checked:
// the delay makes vppsim slower, never faster.
func TestDelay(t *testing.T) {
	const d = 2 * time.Millisecond
	srv := startSimWith(t, []sim.Option{sim.WithDelay(d)}, "eth0")
	if got := srv.Delay(); got != d {
		t.Errorf("Delay() = %v, want %v", got, d)
	}
	conn := connect(t, srv)
	ping := memclnt.NewServiceClient(conn)

	const pings = 20
	start := time.Now()
	for range pings {
		if _, err := ping.ControlPing(ctxFor(t), &memclnt.ControlPing{}); err != nil {
			t.Fatal(err)
		}
	}
	if took := time.Since(start); took < pings*d {
		t.Errorf("%d pings took %v, want at least %v", pings, took, pings*d)
	}

	// Change it while serving: two clients pipelining share the thread.
	const (
		d2     = 500 * time.Microsecond
		each   = 100
		sender = 2
	)
	if err := srv.SetDelay(d2); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, sender)
	ctx := ctxFor(t)
	start = time.Now()
	for k := range sender {
		conn := connect(t, srv)
		go func() {
			gen := hostRoute()
			errs <- pipeline(ctx, conn, each, func(i int) *ip.IPRouteAddDel { return gen(k*each + i) }, 64)
		}()
	}
	for range sender {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	took := time.Since(start)
	if took < sender*each*d2 {
		t.Errorf("%d pipelined adds took %v, want at least %v", sender*each, took, sender*each*d2)
	}
	t.Logf("%d pipelined adds at %v each: %v (%.0f/s)", sender*each, d2, took, sender*each/took.Seconds())

	if err := srv.SetDelay(0); err != nil {
		t.Fatal(err)
	}
	if _, err := ping.ControlPing(ctxFor(t), &memclnt.ControlPing{}); err != nil {
		t.Fatal(err)
	}
	if err := srv.SetDelay(-time.Second); err == nil {
		t.Error("SetDelay(-1s) succeeded")
	}
}

func TestListenNegativeDelay(t *testing.T) {
	srv, err := sim.Listen(filepath.Join(t.TempDir(), "api.sock"), sim.WithDelay(-time.Microsecond))
	if err == nil {
		srv.Close()
		t.Fatal("Listen with a negative delay succeeded")
	}
}
