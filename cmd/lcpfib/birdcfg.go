package main

import (
	"fmt"
	"log/slog"
	"net/netip"
	"os/exec"
	"strings"
	"time"

	"github.com/lcpfib/lcpfib/bird"
)

// BIRDConfig is the bird section: the BGP bridge BIRD exports to.
type BIRDConfig struct {
	Enable    bool          `koanf:"enable"`
	Listen    string        `koanf:"listen"`
	ASN       uint32        `koanf:"asn"`
	RouterID  string        `koanf:"router-id"`
	ECMP      bool          `koanf:"ecmp"`
	ReplayMax time.Duration `koanf:"replay-max"`
	// Birdc is the birdc command line lcpfib runs after each complete
	// table transfer to find multipath routes BGP could not carry
	// (read-only `show route`); empty: off.
	Birdc string `koanf:"birdc"`
	Peers []struct {
		Address  string `koanf:"address"`
		ASN      uint32 `koanf:"asn"`
		Password string `koanf:"password"`
		Table    uint32 `koanf:"table"`
	} `koanf:"peers"`
}

func (c *BIRDConfig) validate() []error {
	var errs []error
	bad := func(key string, val any, allowed string) {
		errs = append(errs, fmt.Errorf("config: %s: %q is not valid: %s", key, fmt.Sprint(val), allowed))
	}
	if ap, err := netip.ParseAddrPort(c.Listen); err != nil {
		bad("bird.listen", c.Listen, "use address:port, for example 127.0.0.1:1790")
	} else if ap.Port() == 0 {
		bad("bird.listen", c.Listen, "the port must not be 0")
	} else if !ap.Addr().IsLoopback() {
		bad("bird.listen", c.Listen, "must be a loopback address: BIRD runs on the same host")
	}
	if c.ASN == 0 {
		bad("bird.asn", c.ASN, "must be an AS number from 1 to 4294967295")
	}
	if c.RouterID != "" {
		if a, err := netip.ParseAddr(c.RouterID); err != nil || !a.Is4() {
			bad("bird.router-id", c.RouterID, "must be an IPv4 address, or empty for the listen address")
		}
	}
	if c.ReplayMax < time.Second {
		bad("bird.replay-max", c.ReplayMax, "must be at least 1s")
	}
	if f := strings.Fields(c.Birdc); len(f) > 0 {
		if _, err := exec.LookPath(f[0]); err != nil {
			bad("bird.birdc", c.Birdc, fmt.Sprintf("%v (install bird2, or leave it empty)", err))
		}
	}
	if len(c.Peers) == 0 {
		bad("bird.peers", "", "list at least one BIRD peer, for example [{address: 127.0.0.1}]")
	}
	seen := map[netip.Addr]bool{}
	for i, p := range c.Peers {
		key := fmt.Sprintf("bird.peers[%d]", i)
		a, err := netip.ParseAddr(p.Address)
		switch {
		case err != nil:
			bad(key+".address", p.Address, "must be the IP address BIRD connects from, such as 127.0.0.1")
		case seen[a]:
			bad(key+".address", p.Address, "each peer may be listed once")
		}
		seen[a] = true
		if p.Table == 255 {
			bad(key+".table", p.Table, "the local table (255) is never programmed; use 0 or 254 for main, or another table")
		}
		if len(p.Password) > 80 {
			bad(key+".password", "(hidden)", "TCP MD5 keys are at most 80 bytes")
		}
	}
	return errs
}

// options converts the section for bird.New.
func (c *BIRDConfig) options(netns string, log *slog.Logger) bird.Options {
	o := bird.Options{
		Listen:    netip.MustParseAddrPort(c.Listen),
		Netns:     netns,
		ASN:       c.ASN,
		ECMP:      c.ECMP,
		ReplayMax: c.ReplayMax,
		Logger:    log,
	}
	if c.RouterID != "" {
		o.RouterID = netip.MustParseAddr(c.RouterID)
	}
	for _, p := range c.Peers {
		o.Peers = append(o.Peers, bird.Peer{Address: netip.MustParseAddr(p.Address), ASN: p.ASN, Password: p.Password, Table: p.Table})
	}
	return o
}
