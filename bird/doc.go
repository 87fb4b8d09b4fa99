// Package bird is the BIRD bridge: a passive BGP speaker that BIRD 2 peers
// with on loopback, and the conversion of what BIRD exports into rib
// updates.
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
// Memory and speed are the design constraints (see the README): the
// bridge runs the sessions itself (speaker.go accepts, session.go is the
// state machine of one connection) and uses GoBGP's packet library
// (github.com/osrg/gobgp/v3/pkg/packet/bgp) for every message it encodes
// or decodes. GoBGP's server is not used: it would keep a copy of every
// path in its Adj-RIB-In and hand paths over as protobuf. Sessions decode
// UPDATEs in their own goroutines and hand the paths to one loop
// (bridge.go) that owns the table; selection runs once, there. Graceful
// restart (helper side) is handled there too: when a peer restarts
// gracefully its paths are kept, marked stale, and those it does not
// announce again before its End-of-RIB (or its restart time) are
// withdrawn.
//
// This package must not know about VPP or FRR, and must not decide
// between route sources: that is package rib's job. It must never listen
// on anything but the configured (by default loopback) address, and a
// message from BIRD, however malformed, must never stop lcpfib.
package bird
