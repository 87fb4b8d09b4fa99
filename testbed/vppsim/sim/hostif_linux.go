//go:build linux

package sim

import (
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"go.fd.io/govpp/api"
	"golang.org/x/sys/unix"
)

// The Linux side of linux-cp pairs: real TAP (or TUN) devices and VLAN
// devices, created in the pair's network namespace as tap_create_if
// (src/plugins/tap/tap.c) and lcp_netlink_add_link_vlan do. A TAP lives
// as long as vppsim holds its file descriptor: it is not persistent, so
// closing the descriptor (pair deleted, Restart, Close, or vppsim dying)
// removes it and the VLAN devices on it.

// linuxHost is the real hostOps.
type linuxHost struct{}

func (linuxHost) openTap(cfg hostTapConfig) (*hostTap, uint32, error) { return openHostTap(cfg) }

func (linuxHost) addVLAN(ns string, parent uint32, vlan uint16, name string, up bool) (uint32, error) {
	return addHostVLAN(ns, parent, vlan, name, up)
}

func (linuxHost) delLink(ns, name string) error { return delHostLink(ns, name) }

// inNetns runs fn on an OS thread that has entered the named namespace
// ("" for the current one). If the thread cannot be put back, it is
// left locked so the runtime discards it.
func inNetns(name string, fn func() error) error {
	if name == "" {
		return fn()
	}
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			done <- &hostErr{api.SYSCALL_ERROR_2, fmt.Errorf("opening own netns: %w", err)}
			return
		}
		defer orig.Close()
		target, err := netns.GetFromName(name)
		if err != nil {
			runtime.UnlockOSThread()
			done <- &hostErr{api.SYSCALL_ERROR_2, fmt.Errorf("opening netns %q: %w", name, err)}
			return
		}
		defer target.Close()
		if err := netns.Set(target); err != nil {
			runtime.UnlockOSThread()
			done <- &hostErr{api.SYSCALL_ERROR_3, fmt.Errorf("entering netns %q: %w", name, err)}
			return
		}
		ferr := fn()
		if err := netns.Set(orig); err == nil {
			runtime.UnlockOSThread()
		}
		done <- ferr
	}()
	return <-done
}

// openHostTap creates the TAP (TUN) and returns it with its ifindex.
func openHostTap(cfg hostTapConfig) (*hostTap, uint32, error) {
	var tap *hostTap
	var ifindex uint32
	err := inNetns(cfg.netns, func() error {
		// The device belongs to the namespace /dev/net/tun is opened in.
		fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
		if err != nil {
			return &hostErr{api.SYSCALL_ERROR_2, fmt.Errorf("opening /dev/net/tun: %w", err)}
		}
		f := os.NewFile(uintptr(fd), "/dev/net/tun")
		ifr, err := unix.NewIfreq(cfg.name)
		if err != nil {
			_ = f.Close()
			return &hostErr{api.SYSCALL_ERROR_3, fmt.Errorf("TUNSETIFF %q: %w", cfg.name, err)}
		}
		flags := uint16(unix.IFF_TAP | unix.IFF_NO_PI)
		if cfg.tun {
			flags = unix.IFF_TUN | unix.IFF_NO_PI
		}
		ifr.SetUint16(flags)
		if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
			_ = f.Close()
			return &hostErr{api.SYSCALL_ERROR_3, fmt.Errorf("TUNSETIFF %q: %w", cfg.name, err)}
		}
		tap = &hostTap{f: f}
		idx, err := configureLink(cfg.name, cfg.mac, cfg.mtu, cfg.up)
		if err != nil {
			_ = tap.close()
			return err
		}
		ifindex = idx
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return tap, ifindex, nil
}

// configureLink sets a link's MAC, MTU and state in the current
// namespace and returns its ifindex.
func configureLink(name string, mac net.HardwareAddr, mtu uint32, up bool) (uint32, error) {
	h, err := netlink.NewHandle()
	if err != nil {
		return 0, &hostErr{api.NETLINK_ERROR, fmt.Errorf("netlink: %w", err)}
	}
	defer h.Close()
	link, err := h.LinkByName(name)
	if err != nil {
		return 0, &hostErr{api.NETLINK_ERROR, fmt.Errorf("finding %q: %w", name, err)}
	}
	if mac != nil {
		if err := h.LinkSetHardwareAddr(link, mac); err != nil {
			return 0, &hostErr{api.NETLINK_ERROR, fmt.Errorf("setting MAC of %q: %w", name, err)}
		}
	}
	if mtu != 0 {
		if err := h.LinkSetMTU(link, int(mtu)); err != nil {
			return 0, &hostErr{api.NETLINK_ERROR, fmt.Errorf("setting MTU of %q: %w", name, err)}
		}
	}
	if up {
		if err := h.LinkSetUp(link); err != nil {
			return 0, &hostErr{api.NETLINK_ERROR, fmt.Errorf("setting %q up: %w", name, err)}
		}
	}
	return uint32(link.Attrs().Index), nil
}

// addHostVLAN creates (or finds) the VLAN device name on the link with
// ifindex parent, as lcp_netlink_add_link_vlan does for a
// sub-interface's pair, and returns its ifindex.
func addHostVLAN(ns string, parent uint32, vlan uint16, name string, up bool) (uint32, error) {
	var ifindex uint32
	err := inNetns(ns, func() error {
		if l, err := netlink.LinkByName(name); err == nil {
			ifindex = uint32(l.Attrs().Index)
			return nil
		}
		v := &netlink.Vlan{
			LinkAttrs:    netlink.LinkAttrs{Name: name, ParentIndex: int(parent)},
			VlanId:       int(vlan),
			VlanProtocol: netlink.VLAN_PROTOCOL_8021Q,
		}
		if err := netlink.LinkAdd(v); err != nil {
			return &hostErr{api.INVALID_ARGUMENT, fmt.Errorf("adding VLAN %q: %w", name, err)}
		}
		idx, err := configureLink(name, nil, 0, up)
		ifindex = idx
		return err
	})
	return ifindex, err
}

// delHostLink deletes a link by name, as lcp_netlink_del_link does; a
// link that is already gone is not an error.
func delHostLink(ns, name string) error {
	return inNetns(ns, func() error {
		l, err := netlink.LinkByName(name)
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return nil
		}
		if err != nil {
			return err
		}
		return netlink.LinkDel(l)
	})
}
