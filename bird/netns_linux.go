package bird

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"syscall"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// listen opens the bridge's TCP listener, in the network namespace o.Netns
// if set: a socket belongs to the namespace of the thread that creates
// it, so a locked thread enters the namespace, listens, and is thrown
// away (it is never given back to the runtime). The peers' TCP MD5 keys
// (RFC 2385) are set on the listener before it accepts anything: the
// kernel then drops unsigned or wrongly signed segments from them.
func listen(o Options) (*net.TCPListener, error) {
	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) { serr = setMD5Keys(int(fd), o) })
		if err != nil {
			return err
		}
		return serr
	}}
	// MPTCP sockets refuse TCP_MD5SIG.
	lc.SetMultipathTCP(false)
	do := func() (*net.TCPListener, error) {
		ln, err := lc.Listen(context.Background(), "tcp", o.Listen.String())
		if err != nil {
			return nil, fmt.Errorf("listen %s: %w", o.Listen, err)
		}
		return ln.(*net.TCPListener), nil
	}
	if o.Netns == "" {
		return do()
	}
	type result struct {
		ln  *net.TCPListener
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with this goroutine
		target, err := netns.GetFromPath(o.Netns)
		if err != nil {
			ch <- result{nil, fmt.Errorf("opening network namespace %s: %w", o.Netns, err)}
			return
		}
		err = netns.Set(target)
		target.Close()
		if err != nil {
			ch <- result{nil, fmt.Errorf("entering network namespace %s: %w", o.Netns, err)}
			return
		}
		ln, err := do()
		ch <- result{ln, err}
	}()
	r := <-ch
	return r.ln, r.err
}

// setMD5Keys sets every configured password on the listening socket fd.
func setMD5Keys(fd int, o Options) error {
	v6 := o.Listen.Addr().Is6() && !o.Listen.Addr().Is4In6()
	for i, p := range o.Peers {
		if p.Password == "" {
			continue
		}
		sig := unix.TCPMD5Sig{Keylen: uint16(len(p.Password))}
		copy(sig.Key[:], p.Password)
		a := p.Address.Unmap()
		if v6 {
			// An IPv6 socket sees IPv4 peers as mapped addresses.
			sig.Addr.Family = unix.AF_INET6
			a16 := a.As16()                   // IPv4-mapped for an IPv4 address
			copy(sig.Addr.Data[6:22], a16[:]) // port, flow info, address
		} else {
			sig.Addr.Family = unix.AF_INET
			a4 := a.As4()
			copy(sig.Addr.Data[2:6], a4[:]) // port, address
		}
		if err := unix.SetsockoptTCPMD5Sig(fd, unix.IPPROTO_TCP, unix.TCP_MD5SIG, &sig); err != nil {
			return fmt.Errorf("peers[%d].password: setting the TCP MD5 key for %s: %w", i, p.Address, err)
		}
	}
	return nil
}
