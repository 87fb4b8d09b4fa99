// Package bird is the BIRD bridge: a BGP speaker (GoBGP's server, embedded
// as a library) that BIRD 2 peers with on loopback, and the conversion of
// what BIRD exports into rib updates.
//
// BIRD has no FPM, so lcpfib offers it a BGP session. BIRD's export
// filter (contrib/bird/lcpfib.conf) writes each route in a convention
// this package reads (convention.go): the real gateway as the BGP next
// hop, the outgoing Linux interface, the route type (blackhole,
// unreachable, prohibit) and BIRD's preference as communities and
// LOCAL_PREF. With add-path, BIRD sends every route of a prefix; the
// bridge picks the preferred one, or merges those of equal preference
// into one ECMP route when asked to (table.go).
//
// Memory is the design constraint (see the README): GoBGP keeps every
// path it receives in its Adj-RIB-In, which this package cannot avoid, so
// the bridge keeps GoBGP's global RIB empty (it has no IPv4 or IPv6
// unicast table at all, so no best-path selection runs there) and reads
// received paths as they arrive (one watch on the Adj-RIB-In, end-of-RIB
// markers and session state, delivered in order), never by polling.
// Selection runs once, here. Graceful restart is handled here too: when a
// peer restarts gracefully its paths are kept, marked stale, and those it
// does not announce again before its End-of-RIB (or its restart time) are
// withdrawn.
//
// This package must not know about VPP or FRR, and must not decide
// between route sources: that is package rib's job. It must never listen
// on anything but the configured (by default loopback) address.
package bird
