package bird

import (
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"time"
)

// DefaultListen is where the bridge listens unless told otherwise: loopback
// and an unprivileged port, so lcpfib needs no capability to bind it.
var DefaultListen = netip.MustParseAddrPort("127.0.0.1:1790")

// DefaultASN is the bridge's AS number unless configured: a private 4-byte
// AS. BIRD peers with it over iBGP (same AS), which carries LOCAL_PREF.
const DefaultASN = 4200000000

// Peer is a BIRD instance allowed to connect.
type Peer struct {
	Address  netip.Addr // the address BIRD connects from
	ASN      uint32     // BIRD's AS on this session; 0: the bridge's own (iBGP)
	Password string     // TCP MD5 signature (RFC 2385); empty: none
	Table    uint32     // Linux routing table the routes go in; 0: main (254)
}

// Options configure a Bridge.
type Options struct {
	Listen   netip.AddrPort // default DefaultListen
	Netns    string         // network namespace (path) to listen in; empty: lcpfib's own
	ASN      uint32         // default DefaultASN
	RouterID netip.Addr     // BGP identifier, IPv4; default the listen address if IPv4, else 127.0.0.1
	Peers    []Peer
	// ECMP merges the paths of one prefix that share the highest
	// preference into one multipath route. Off: the path with the lowest
	// path identifier among them wins.
	ECMP bool
	// ReplayMax bounds how long the first table transfer after lcpfib
	// starts may take before routes an earlier lcpfib left in VPP are
	// swept anyway (a configured peer that never connects). Default 10 min.
	ReplayMax time.Duration
	// HoldTime is the BGP hold time offered; default 90 s.
	HoldTime time.Duration
	// Transferred, if set, is called after each complete table transfer
	// from a peer (End-of-RIB in every family), from the bridge's loop:
	// it must not block.
	Transferred func(peer netip.Addr)
	Logger      *slog.Logger
}

func (o *Options) defaults() {
	if !o.Listen.IsValid() {
		o.Listen = DefaultListen
	}
	if o.ASN == 0 {
		o.ASN = DefaultASN
	}
	if !o.RouterID.IsValid() {
		o.RouterID = netip.MustParseAddr("127.0.0.1")
		if a := o.Listen.Addr(); a.Is4() && !a.IsUnspecified() {
			o.RouterID = a
		}
	}
	if o.ReplayMax <= 0 {
		o.ReplayMax = 10 * time.Minute
	}
	if o.HoldTime <= 0 {
		o.HoldTime = 90 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	for i := range o.Peers {
		if o.Peers[i].ASN == 0 {
			o.Peers[i].ASN = o.ASN
		}
		if o.Peers[i].Table == 0 {
			o.Peers[i].Table = 254
		}
	}
}

// Validate reports the first thing wrong with o, naming the field.
func (o *Options) Validate() error {
	if o.Listen.IsValid() && o.Listen.Port() == 0 {
		return fmt.Errorf("listen %s: port must be 1-65535", o.Listen)
	}
	if o.RouterID.IsValid() && !o.RouterID.Is4() {
		return fmt.Errorf("router-id %s: must be an IPv4 address", o.RouterID)
	}
	if len(o.Peers) == 0 {
		return fmt.Errorf("peers: at least one BIRD peer must be configured")
	}
	seen := map[netip.Addr]bool{}
	for i, p := range o.Peers {
		if !p.Address.IsValid() {
			return fmt.Errorf("peers[%d].address: missing", i)
		}
		if seen[p.Address] {
			return fmt.Errorf("peers[%d].address %s: listed twice", i, p.Address)
		}
		seen[p.Address] = true
		if o.Listen.IsValid() && o.Listen.Addr().Unmap().Is4() && !p.Address.Unmap().Is4() {
			return fmt.Errorf("peers[%d].address %s: IPv6, but listen %s is IPv4", i, p.Address, o.Listen)
		}
		if p.Table == 255 {
			return fmt.Errorf("peers[%d].table 255: the local table is never programmed", i)
		}
		if len(p.Password) > 80 {
			return fmt.Errorf("peers[%d].password: longer than the 80 bytes TCP MD5 allows", i)
		}
	}
	return nil
}
