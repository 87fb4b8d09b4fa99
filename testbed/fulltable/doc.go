// Package fulltable generates a realistic Internet routing table, the way
// FRR's zebra would send it through dplane_fpm_nl, for tests and
// benchmarks.
//
// A Table is a deterministic function of its Config (seed included): N
// IPv4 and M IPv6 prefixes with the prefix-length mix of
// ../shared/FULL-TABLE.md, random aligned prefixes in public unicast space
// (no duplicates, overlaps allowed), reached through a small set of BGP
// peers, a configurable share of them over 2 to 4 equal-cost paths. Every
// prefix, path set and withdrawal is computed from its position with keyed
// permutations and hashes, so the whole table is never held in memory:
// Load, Withdrawals and Replay stream FPM frames (one netlink message per
// frame, as FRR sends them), and Expected streams the rib.Route values a
// receiver must end up with. The frames are built with package zebra's
// encoders, in either of FRR's wire modes: nexthop groups (FRR 8.4's
// default) or "no fpm use-next-hop-groups".
//
// This package owns generating tables. It must not read or write the
// network, decode what a receiver does with the frames, or be imported by
// the daemon's own packages: it is test and benchmark tooling.
package fulltable
