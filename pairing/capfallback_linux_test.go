package pairing

import (
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// TestSubscribeWithoutNetAdmin: as under the packaged unit (no
// capabilities), SO_RCVBUFFORCE is refused; the subscriptions are opened
// with the capped buffer instead of failing.
func TestSubscribeWithoutNetAdmin(t *testing.T) {
	needRoot(t)
	w, err := New(Config{ReceiveBufferSize: 8 << 20, ReceiveBufferForce: true})
	if err != nil {
		t.Fatal(err)
	}
	n := &nlNamespace{ns: netns.None(), timeout: time.Second}
	var sub *subscription
	var precond, serr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		// Capabilities are per thread: this one loses CAP_NET_ADMIN and
		// stays locked, so it ends with the goroutine.
		runtime.LockOSThread()
		hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
		var data [2]unix.CapUserData
		if err := unix.Capget(&hdr, &data[0]); err != nil {
			precond = err
			return
		}
		data[0].Effective &^= 1 << unix.CAP_NET_ADMIN
		if err := unix.Capset(&hdr, &data[0]); err != nil {
			precond = err
			return
		}
		// The test tests something only if forcing is refused here.
		fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_ROUTE)
		if err != nil {
			precond = err
			return
		}
		err = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 8<<20)
		unix.Close(fd)
		if !errors.Is(err, unix.EPERM) {
			precond = errors.New("SO_RCVBUFFORCE is not refused without CAP_NET_ADMIN: nothing to test")
			return
		}
		sub, serr = w.subscribe(n, 1)
	}()
	<-done
	if precond != nil {
		t.Fatal(precond)
	}
	if serr != nil {
		t.Fatalf("subscribing without CAP_NET_ADMIN: %v", serr)
	}
	sub.stop()
	if w.cfg.ReceiveBufferForce {
		t.Fatal("subscribed, but still set to force the buffer")
	}
}
