package fulltable

import (
	"errors"
	"fmt"
	"net/netip"
)

// Defaults: today's Internet table as FULL-TABLE.md describes it, sent by
// bgpd through zebra as FRR 8.4 does.
const (
	DefaultV4             = 1_040_000
	DefaultV6             = 223_000
	DefaultECMP           = 0.10       // share of routes with more than one path
	DefaultMaxPaths       = 4          // ECMP routes get 2 to 4 paths
	DefaultTable          = 254        // RT_TABLE_MAIN
	DefaultProtocol       = 186        // RTPROT_BGP
	DefaultPriority       = 20         // RTA_PRIORITY zebra always sends
	DefaultFirstNexthopID = 21         // in the FRR captures zebra's own connected nexthops took the ids below
	DefaultPID            = 2178538930 // zebra's netlink port id in load.bin.gz
)

// maxPeers bounds the peers of one family: a set of paths is a bit mask of
// them.
const maxPeers = 64

// A Peer is a BGP neighbour whose address is the nexthop of the routes it
// sends, reached over a Linux interface.
type Peer struct {
	Gateway netip.Addr
	Ifindex uint32 // Linux ifindex in zebra's network namespace
}

// Config says what table to generate. Start from DefaultConfig: zero values
// are taken literally (V6 == 0 means no IPv6 routes).
type Config struct {
	V4, V6 int    // prefixes of each family
	Seed   uint64 // the same Config gives the same table, byte for byte

	// ECMP is the share of routes (0 to 1) reached over several peers;
	// each of them gets 2 to MaxPaths paths (at most the family's peers).
	ECMP     float64
	MaxPaths int

	// NexthopGroups selects FRR 8.4's default wire mode: RTM_NEWNEXTHOP for
	// every nexthop and group first, then routes naming them in RTA_NH_ID.
	// When false ("no fpm use-next-hop-groups"), routes carry RTA_GATEWAY
	// and RTA_OIF, or RTA_MULTIPATH.
	NexthopGroups bool

	// Peers of each family: routes are spread over them at random.
	V4Peers, V6Peers []Peer

	Table          uint32 // routing table: rtm_table, or RTA_TABLE above 255 (as zebra encodes it)
	Protocol       uint8  // rtm_protocol
	Priority       uint32 // RTA_PRIORITY
	FirstNexthopID uint32 // nexthop ids are given out from here, one at a time, as zebra does
	PID            uint32 // nlmsg_pid zebra writes (its netlink socket's port id)

	// Withdraw is the share of routes (0 to 1) that Withdrawals deletes
	// after the load; Expected and Replay leave them out.
	Withdraw float64
}

// DefaultConfig returns a full table in nexthop-group mode: 4 IPv4 peers
// on 2 interfaces (ifindex 2 and 3) and 4 IPv6 peers on the same two.
// The peers' addresses are private (10.0.0.0/8, fd00::/8), outside the
// space the prefixes are drawn from, so no route covers a nexthop.
func DefaultConfig() Config {
	return Config{
		V4:             DefaultV4,
		V6:             DefaultV6,
		Seed:           1,
		ECMP:           DefaultECMP,
		MaxPaths:       DefaultMaxPaths,
		NexthopGroups:  true,
		V4Peers:        DefaultV4Peers(),
		V6Peers:        DefaultV6Peers(),
		Table:          DefaultTable,
		Protocol:       DefaultProtocol,
		Priority:       DefaultPriority,
		FirstNexthopID: DefaultFirstNexthopID,
		PID:            DefaultPID,
	}
}

// DefaultV4Peers are 10.1.0.10 and 10.1.0.11 on ifindex 2, 10.2.0.10 and
// 10.2.0.11 on ifindex 3.
func DefaultV4Peers() []Peer {
	return []Peer{
		{Gateway: netip.MustParseAddr("10.1.0.10"), Ifindex: 2},
		{Gateway: netip.MustParseAddr("10.1.0.11"), Ifindex: 2},
		{Gateway: netip.MustParseAddr("10.2.0.10"), Ifindex: 3},
		{Gateway: netip.MustParseAddr("10.2.0.11"), Ifindex: 3},
	}
}

// DefaultV6Peers are fd00:1::a and fd00:1::b on ifindex 2, fd00:2::a and
// fd00:2::b on ifindex 3.
func DefaultV6Peers() []Peer {
	return []Peer{
		{Gateway: netip.MustParseAddr("fd00:1::a"), Ifindex: 2},
		{Gateway: netip.MustParseAddr("fd00:1::b"), Ifindex: 2},
		{Gateway: netip.MustParseAddr("fd00:2::a"), Ifindex: 3},
		{Gateway: netip.MustParseAddr("fd00:2::b"), Ifindex: 3},
	}
}

// validate checks c as a whole and names the field and value at fault.
func (c *Config) validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if c.V4 < 0 {
		bad("v4: %d prefixes", c.V4)
	}
	if c.V6 < 0 {
		bad("v6: %d prefixes", c.V6)
	}
	if !(c.ECMP >= 0 && c.ECMP <= 1) {
		bad("ecmp: share %v not within 0 and 1", c.ECMP)
	}
	if !(c.Withdraw >= 0 && c.Withdraw <= 1) {
		bad("withdraw: share %v not within 0 and 1", c.Withdraw)
	}
	if c.ECMP > 0 && c.MaxPaths < 2 {
		bad("max paths: %d, ECMP needs at least 2", c.MaxPaths)
	}
	checkPeers := func(name string, n int, peers []Peer, is4 bool) {
		switch {
		case n > 0 && len(peers) == 0:
			bad("%s peers: none for %d prefixes", name, n)
		case len(peers) > maxPeers:
			bad("%s peers: %d, at most %d", name, len(peers), maxPeers)
		case n > 0 && c.ECMP > 0 && len(peers) < 2:
			bad("%s peers: ECMP %v needs at least 2", name, c.ECMP)
		}
		seen := make(map[Peer]bool, len(peers))
		for _, p := range peers {
			switch {
			case !p.Gateway.IsValid() || p.Gateway.Is4() != is4 || p.Gateway.Is4In6():
				bad("%s peers: gateway %v is not an %s address", name, p.Gateway, name)
			case p.Ifindex == 0:
				bad("%s peers: gateway %v without an ifindex", name, p.Gateway)
			case seen[p]:
				bad("%s peers: %v ifindex %d listed twice", name, p.Gateway, p.Ifindex)
			}
			seen[p] = true
		}
	}
	checkPeers("ipv4", c.V4, c.V4Peers, true)
	checkPeers("ipv6", c.V6, c.V6Peers, false)
	if c.Table == 0 {
		bad("table: 0")
	}
	if c.FirstNexthopID == 0 {
		bad("first nexthop id: 0")
	}
	return errors.Join(errs...)
}
