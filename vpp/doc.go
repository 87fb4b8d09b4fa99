// Package vpp programs the desired state into VPP through its binary API,
// with GoVPP's binapi types: interfaces, pings and dumps through GoVPP's
// core and socketclient; the FIB read at connect and route programming
// over a second connection, a directStream on lcpfib's own sockClient
// (direct.go, sockclient.go), unless Config.PlainSocketClient.
//
// It owns the connection to VPP and everything VPP holds on lcpfib's behalf:
// it pulls merged changes from the rib, translates Linux terms (table
// numbers, ifindexes, rtm types) into VPP's (FIB table ids, sw_if_index, path
// types), and sends them pipelined with a bounded window. Every request has
// a deadline.
//
// Table mapping: Linux table 254 ("main") is VPP table 0; every other Linux
// table N is VPP table N, created with ip_table_add_del before its first
// route. Table 255 ("local") is never programmed: VPP derives its local
// entries from interface addresses.
//
// MPLS (mpls.go): label stacks of paths go in ip_route_add_del; an LSP is
// a pair of mpls_route_add_del (non-EOS and EOS) in MPLS table 0, created
// with mpls_table_add_del at first use, and the interfaces MPLS paths use
// are MPLS-enabled. MPLS is optional: a VPP without the MPLS API still
// takes IP routes.
//
// It must not decide which routes are wanted (that is the rib's job) nor
// talk to netlink or the routing daemons.
package vpp
