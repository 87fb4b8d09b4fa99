package sim

import (
	"net"
	"os"

	"go.fd.io/govpp/api"
)

// hostTap is an open TAP or TUN device.
type hostTap struct {
	f *os.File
}

// close closes the device's descriptor, which removes the device.
func (t *hostTap) close() error {
	if t == nil || t.f == nil {
		return nil
	}
	err := t.f.Close()
	t.f = nil
	return err
}

// hostTapConfig is what the TAP is created with.
type hostTapConfig struct {
	netns string // name under /run/netns; "" for vppsim's own namespace
	name  string
	tun   bool
	mac   net.HardwareAddr // TAP only; nil leaves the kernel's
	mtu   uint32           // 0 leaves the kernel's
	up    bool
}

// hostErr is a failure creating or changing a host interface: the retval
// VPP would answer with and why.
type hostErr struct {
	rv  api.VPPApiError
	err error
}

func (e *hostErr) Error() string { return e.err.Error() }
func (e *hostErr) Unwrap() error { return e.err }
