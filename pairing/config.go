package pairing

import (
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"
)

// PairSpec declares one linux-cp pair: a VPP interface and the name of its
// Linux mirror in the dataplane namespace. When VPP has no pair for the
// interface, the Watcher creates one with lcp_itf_pair_add_del_v2 (a TAP,
// or a TUN when VPP says the interface is point-to-point).
type PairSpec struct {
	VPP   string // VPP interface name, as in `show interface`
	Linux string // host interface name (at most 15 bytes)
}

// VLANSpec declares a VLAN sub-interface: VPP sub-interface Parent.VLAN
// (created with create_vlan_subif when missing), paired with a Linux VLAN
// interface named Linux on the parent's mirror. The parent must be paired.
type VLANSpec struct {
	Parent string // VPP name of the parent interface
	VLAN   uint16 // 802.1Q id, 1..4094
	Linux  string // host interface name
}

// Config configures a Watcher. Zero values take the defaults noted.
type Config struct {
	// Netns is the dataplane namespace's file (/run/netns/NAME); empty
	// means the current namespace.
	Netns string
	// LCPNetns is the namespace name handed to linux-cp when creating a
	// pair; default the base name of Netns.
	LCPNetns string
	Socket   string // VPP API socket; default /run/vpp/api.sock
	Pairs    []PairSpec
	VLANs    []VLANSpec

	ReplyTimeout      time.Duration // deadline of every VPP call; default 5 s
	ConnectTimeout    time.Duration // default 5 s
	PingInterval      time.Duration // VPP liveness and restart check; default 1 s
	RetryMin          time.Duration // reconnect backoff; default 250 ms
	RetryMax          time.Duration // default 5 s
	ReconcileInterval time.Duration // full Linux and VPP re-dump and repair; default 30 s
	NetlinkTimeout    time.Duration // deadline of every netlink dump; default 5 s
	// ReceiveBufferSize is the receive buffer of each netlink subscription
	// socket (bytes; 0: the kernel default). ReceiveBufferForce sets it
	// beyond net.core.rmem_max (needs CAP_NET_ADMIN).
	ReceiveBufferSize  int
	ReceiveBufferForce bool
	// Events is the capacity of the queue between the netlink readers and
	// the owner goroutine; default 4096. When it is full the readers wait
	// and the kernel drops (ENOBUFS), which triggers a resync.
	Events int

	Logger *slog.Logger // default: discard
	// OnChange is called, from the Watcher's goroutine and never while a
	// lock is held, after the Linux ifindex -> sw_if_index table changed
	// (a pair appeared, disappeared or moved). It must not block; the
	// daemon uses it to make the route programmer resync.
	OnChange func()
}

func (c *Config) setDefaults() {
	if c.Socket == "" {
		c.Socket = "/run/vpp/api.sock"
	}
	if c.LCPNetns == "" && c.Netns != "" {
		c.LCPNetns = filepath.Base(c.Netns)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.ReplyTimeout, 5*time.Second)
	def(&c.ConnectTimeout, 5*time.Second)
	def(&c.PingInterval, time.Second)
	def(&c.RetryMin, 250*time.Millisecond)
	def(&c.RetryMax, 5*time.Second)
	def(&c.ReconcileInterval, 30*time.Second)
	def(&c.NetlinkTimeout, 5*time.Second)
	if c.Events <= 0 {
		c.Events = 4096
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
}

// Validate checks the declared pairs and VLANs.
func (c *Config) Validate() error {
	linux := map[string]bool{}
	vppNames := map[string]bool{}
	checkLinux := func(key, name string) error {
		if name == "" || len(name) > 15 {
			return fmt.Errorf("%s: Linux interface name %q must be 1 to 15 bytes", key, name)
		}
		if linux[name] {
			return fmt.Errorf("%s: Linux interface %q is paired twice", key, name)
		}
		linux[name] = true
		return nil
	}
	for i, p := range c.Pairs {
		key := fmt.Sprintf("pairs[%d]", i)
		if p.VPP == "" {
			return fmt.Errorf("%s.vpp: empty VPP interface name", key)
		}
		if vppNames[p.VPP] {
			return fmt.Errorf("%s.vpp: VPP interface %q is paired twice", key, p.VPP)
		}
		vppNames[p.VPP] = true
		if err := checkLinux(key+".linux", p.Linux); err != nil {
			return err
		}
	}
	for i, v := range c.VLANs {
		key := fmt.Sprintf("vlans[%d]", i)
		if v.VLAN == 0 || v.VLAN > 4094 {
			return fmt.Errorf("%s.vlan: %d is not a VLAN id (1..4094)", key, v.VLAN)
		}
		if !vppNames[v.Parent] {
			return fmt.Errorf("%s.parent: %q is not a declared pair's VPP interface", key, v.Parent)
		}
		if err := checkLinux(key+".linux", v.Linux); err != nil {
			return err
		}
	}
	return nil
}
