package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"
)

// notifier speaks systemd's notify protocol (sd_notify(3)): READY=1 once
// the daemon runs, a one-line STATUS, and WATCHDOG=1 keep-alives when the
// unit sets WatchdogSec. Without NOTIFY_SOCKET (not under systemd) it does
// nothing.
type notifier struct {
	conn *net.UnixConn
}

func newNotifier() (*notifier, error) {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return &notifier{}, nil
	}
	if path[0] == '@' { // abstract socket
		path = "\x00" + path[1:]
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return nil, fmt.Errorf("NOTIFY_SOCKET %s: %w", os.Getenv("NOTIFY_SOCKET"), err)
	}
	return &notifier{conn: c}, nil
}

func (n *notifier) send(state string) error {
	if n.conn == nil {
		return nil
	}
	_, err := n.conn.Write([]byte(state))
	return err
}

// watchdogInterval is half of WATCHDOG_USEC when the watchdog is meant for
// this process, else 0.
func watchdogInterval() time.Duration {
	usec, err := strconv.ParseInt(os.Getenv("WATCHDOG_USEC"), 10, 64)
	if err != nil || usec <= 0 {
		return 0
	}
	if pid := os.Getenv("WATCHDOG_PID"); pid != "" && pid != strconv.Itoa(os.Getpid()) {
		return 0
	}
	return time.Duration(usec) * time.Microsecond / 2
}

// run sends READY=1, then STATUS every few seconds (and WATCHDOG=1 when
// asked) until ctx is done, then STOPPING=1.
func (n *notifier) run(ctx context.Context, status func() string) error {
	if n.conn == nil {
		return nil
	}
	defer n.conn.Close()
	if err := n.send("READY=1\nSTATUS=" + status()); err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	every := 5 * time.Second
	wd := watchdogInterval()
	if wd > 0 && wd < every {
		every = wd
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			msg := "STATUS=" + status()
			if wd > 0 {
				msg += "\nWATCHDOG=1"
			}
			n.send(msg) // a lost status is not worth stopping for
		case <-ctx.Done():
			n.send("STOPPING=1")
			return nil
		}
	}
}
