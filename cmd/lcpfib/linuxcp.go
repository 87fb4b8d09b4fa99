package main

import (
	"fmt"
	"log/slog"
	"maps"
	"time"

	"github.com/lcpfib/lcpfib/pairing"
)

// LinuxCPConfig is the linux-cp section: when enabled, pairing.Watcher
// replaces the static pairs. The interfaces list then declares the
// linux-cp pairs to create when VPP lacks them (linux: the TAP's name),
// and lcpfib mirrors addresses, link state and neighbours from Linux.
type LinuxCPConfig struct {
	Enable bool `koanf:"enable"`
	// ReceiveBuffer is each netlink subscription's receive buffer, bytes.
	ReceiveBuffer int `koanf:"receive-buffer"`
	// Reconcile is how often Linux and VPP are re-read in full and
	// repaired.
	Reconcile time.Duration `koanf:"reconcile"`
	VLANs     []VLANConfig  `koanf:"vlans"`
}

// VLANConfig declares a VLAN sub-interface and its Linux VLAN device.
type VLANConfig struct {
	Parent string `koanf:"parent"` // VPP name of a declared pair's interface
	VLAN   uint16 `koanf:"vlan"`
	Linux  string `koanf:"linux"`
}

var linuxCPDefaults = map[string]any{
	"linux-cp.enable":         false,
	"linux-cp.receive-buffer": 8 << 20,
	"linux-cp.reconcile":      "30s",
}

var linuxCPListKeys = map[string][]string{"linux-cp.vlans": {"parent", "vlan", "linux"}}

func init() {
	maps.Copy(defaults, linuxCPDefaults)
	maps.Copy(listKeys, linuxCPListKeys)
}

func (c *LinuxCPConfig) validate() error {
	if c.ReceiveBuffer < 0 {
		return fmt.Errorf("config: linux-cp.receive-buffer: %d is not valid: must be 0 (the kernel's default) or a size in bytes", c.ReceiveBuffer)
	}
	if c.Reconcile < time.Second {
		return fmt.Errorf("config: linux-cp.reconcile: %v is not valid: must be at least 1s", c.Reconcile)
	}
	return nil
}

// newWatcher builds the linux-cp pairing from the configuration; onChange
// runs when the Linux ifindex -> sw_if_index table changes (wire it to a
// route resync) and must not block.
func newWatcher(cfg *Config, lc *LinuxCPConfig, log *slog.Logger, onChange func()) (*pairing.Watcher, error) {
	pc := pairing.Config{
		Netns:              cfg.Netns,
		Socket:             cfg.VPP.Socket,
		ReplyTimeout:       cfg.VPP.ReplyTimeout,
		ConnectTimeout:     cfg.VPP.ConnectTimeout,
		ReceiveBufferSize:  lc.ReceiveBuffer,
		ReceiveBufferForce: true,
		ReconcileInterval:  lc.Reconcile,
		Logger:             log,
		OnChange:           onChange,
	}
	for _, p := range cfg.Interfaces {
		pc.Pairs = append(pc.Pairs, pairing.PairSpec{VPP: p.VPP, Linux: p.Linux})
	}
	for _, v := range lc.VLANs {
		pc.VLANs = append(pc.VLANs, pairing.VLANSpec{Parent: v.Parent, VLAN: v.VLAN, Linux: v.Linux})
	}
	w, err := pairing.New(pc)
	if err != nil {
		return nil, fmt.Errorf("config: linux-cp: %w", err)
	}
	return w, nil
}
