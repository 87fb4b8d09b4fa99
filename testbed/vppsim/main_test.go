package main

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"go.fd.io/govpp/adapter/socketclient"
	interfaces "go.fd.io/govpp/binapi/interface"
	"go.fd.io/govpp/binapi/interface_types"
	"go.fd.io/govpp/binapi/memclnt"
	"go.fd.io/govpp/core"
)

const timeout = 10 * time.Second

// startRun runs the command's run with args until the test ends.
func startRun(t *testing.T, args ...string) (socket string, hup chan os.Signal) {
	t.Helper()
	socket = filepath.Join(t.TempDir(), "api.sock")
	hup = make(chan os.Signal, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, append([]string{"-socket", socket}, args...), io.Discard, hup) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
		if _, err := os.Stat(socket); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("socket left behind: %v", err)
		}
	})
	deadline := time.Now().Add(timeout)
	for {
		if _, err := os.Stat(socket); err == nil {
			return socket, hup
		}
		select {
		case err := <-done:
			t.Fatalf("run returned early: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("no socket")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func connect(t *testing.T, socket string) *core.Connection {
	t.Helper()
	conn, err := core.Connect(socketclient.NewVppClient(socket))
	if err != nil {
		t.Fatalf("core.Connect: %v", err)
	}
	t.Cleanup(conn.Disconnect)
	return conn
}

func ping(t *testing.T, conn *core.Connection) (uint32, error) {
	t.Helper()
	return pingWithin(conn, timeout)
}

func pingWithin(conn *core.Connection, d time.Duration) (uint32, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	r, err := memclnt.NewServiceClient(conn).ControlPing(ctx, &memclnt.ControlPing{})
	if err != nil {
		return 0, err
	}
	return r.VpePID, nil
}

// TestSIGHUPRestarts checks that a SIGHUP restarts the simulated VPP: the
// client is dropped, a new one sees a new pid and the interfaces again.
func TestSIGHUPRestarts(t *testing.T) {
	socket, hup := startRun(t, "-interface", "eth0,eth1", "-up", "-delay", "5us")
	conn := connect(t, socket)
	pid, err := ping(t, conn)
	if err != nil {
		t.Fatal(err)
	}
	hup <- syscall.SIGHUP

	// A ping in flight when the restart happens is never answered, as
	// with a real VPP: poll with a short timeout.
	deadline := time.Now().Add(timeout)
	for {
		if _, err := pingWithin(conn, 100*time.Millisecond); err != nil {
			break // dropped
		}
		if time.Now().After(deadline) {
			t.Fatal("the client was not dropped")
		}
		time.Sleep(5 * time.Millisecond)
	}
	conn2 := connect(t, socket)
	pid2, err := ping(t, conn2)
	if err != nil {
		t.Fatal(err)
	}
	if pid2 == pid {
		t.Errorf("pid %d after SIGHUP, want a new one", pid2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	st, err := interfaces.NewServiceClient(conn2).SwInterfaceDump(ctx, &interfaces.SwInterfaceDump{SwIfIndex: ^interface_types.InterfaceIndex(0)})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for {
		d, err := st.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, d.InterfaceName)
		if d.SwIfIndex != 0 && d.Flags&interface_types.IF_STATUS_API_FLAG_ADMIN_UP == 0 {
			t.Errorf("%s is down after the restart", d.InterfaceName)
		}
	}
	if len(names) != 3 || names[1] != "eth0" || names[2] != "eth1" {
		t.Errorf("interfaces after SIGHUP: %v", names)
	}
}

func TestRunBadFlags(t *testing.T) {
	socket := filepath.Join(t.TempDir(), "api.sock")
	for _, args := range [][]string{
		{"-delay", "-1ms"},
		{"-delay", "fast"},
		{"extra"},
		{"-interface", "eth0,eth0"},
		{"-pair", "eth0"},
		{"-pair", "=e0"},
		{"-interface", "eth0", "-pair", "eth1=e1"},
	} {
		err := run(context.Background(), append([]string{"-socket", socket}, args...), io.Discard, nil)
		if err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
}
