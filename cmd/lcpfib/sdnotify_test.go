package main

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSystemdNotify(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify.sock")
	srv, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	t.Setenv("NOTIFY_SOCKET", path)
	t.Setenv("WATCHDOG_USEC", "200000") // 0.2 s: keep-alives every 0.1 s
	t.Setenv("WATCHDOG_PID", "")
	n, err := newNotifier()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.run(ctx, func() string { return "zebra up, VPP up" }) }()
	read := func() string {
		t.Helper()
		buf := make([]byte, 512)
		srv.SetReadDeadline(time.Now().Add(5 * time.Second))
		k, err := srv.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		return string(buf[:k])
	}
	if got := read(); got != "READY=1\nSTATUS=zebra up, VPP up" {
		t.Fatalf("first message %q", got)
	}
	if got := read(); !strings.Contains(got, "WATCHDOG=1") || !strings.Contains(got, "STATUS=") {
		t.Fatalf("keep-alive %q", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for { // drain keep-alives sent before the cancel
		if got := read(); got == "STOPPING=1" {
			break
		}
	}
	t.Setenv("NOTIFY_SOCKET", "")
	if n, err := newNotifier(); err != nil || n.conn != nil {
		t.Fatalf("without NOTIFY_SOCKET: %v %v", n, err)
	}
}
