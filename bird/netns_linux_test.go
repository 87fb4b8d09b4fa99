package bird

import (
	"context"
	"net"
	"net/netip"
	"syscall"
	"testing"
	"time"
)

// dialMD5 connects to addr from the socket's own family, signing with key
// ("" for none).
func dialMD5(addr netip.AddrPort, key string) (net.Conn, error) {
	d := net.Dialer{Timeout: time.Second}
	d.SetMultipathTCP(false)
	if key != "" {
		d.Control = func(_, _ string, rc syscall.RawConn) error {
			var serr error
			err := rc.Control(func(fd uintptr) {
				o := Options{Listen: addr, Peers: []Peer{{Address: addr.Addr(), Password: key}}}
				serr = setMD5Keys(int(fd), o)
			})
			if err != nil {
				return err
			}
			return serr
		}
	}
	return d.DialContext(context.Background(), "tcp", addr.String())
}

// TestListenMD5: the listener's keys let a signed connection in and keep
// an unsigned or wrongly signed one out, over IPv4 and IPv6.
func TestListenMD5(t *testing.T) {
	for _, a := range []string{"127.0.0.1", "::1"} {
		t.Run(a, func(t *testing.T) {
			ip := netip.MustParseAddr(a)
			o := Options{Listen: netip.AddrPortFrom(ip, 0), Peers: []Peer{{Address: ip, Password: "s3cret"}}}
			ln, err := listen(o)
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					c.Close()
				}
			}()
			addr := netip.MustParseAddrPort(ln.Addr().String())
			if c, err := dialMD5(addr, "s3cret"); err != nil {
				t.Fatalf("with the key: %v", err)
			} else {
				c.Close()
			}
			for _, key := range []string{"", "wrong"} {
				if c, err := dialMD5(addr, key); err == nil {
					c.Close()
					t.Fatalf("key %q: connected", key)
				}
			}
		})
	}
}
