// Package zebra decodes what FRR's zebra sends through dplane_fpm_nl (and
// the legacy fpm:netlink module) and turns it into rib updates.
//
// The payload of an FPM frame is one or more netlink messages in the
// kernel's rtnetlink format: RTM_NEWROUTE / RTM_DELROUTE (struct rtmsg and
// RTA_* attributes) and, in nexthop-group mode, RTM_NEWNEXTHOP /
// RTM_DELNEXTHOP (struct nhmsg and NHA_* attributes). Routes are IPv4,
// IPv6 or MPLS (label switched paths); nexthops may push MPLS labels
// (RTA_ENCAP / NHA_ENCAP): see mpls.go and feed_mpls.go. RouteMessage and
// NexthopMessage are those messages as plain values with MarshalBinary and
// UnmarshalBinary, decoded with mdlayher/netlink's AttributeDecoder; they
// keep the wire's terms (weights minus one, rtm_table, ...).
//
// Feed implements fpm.Handler. It owns the nexthop table of the current
// zebra connection, expands routes through it (or reads RTA_GATEWAY,
// RTA_OIF and RTA_MULTIPATH when zebra runs with "no fpm
// use-next-hop-groups"), converts them to rib.Route at this edge, and hands
// batches of changes to a Sink as rib.Update. A DELROUTE and NEWROUTE for
// the same key in one frame, which is how zebra sends a change, become one
// Set, never a withdrawal followed by an add.
//
// Which route names which nexthop id (RTA_NH_ID) is kept with the route
// in the rib (rib.Route.NexthopID): when a nexthop changes or goes, the
// Feed asks its Sink (a NexthopIndex) for the routes naming it, rather than
// keeping a map entry for every route of a full table itself. It keeps
// only the routes the rib does not hold: those waiting for an unknown
// nexthop and the connected ones it skips.
//
// On every connection zebra replays all nexthops and routes; the Feed
// forgets the previous connection's nexthops. Sweeping routes that zebra
// no longer has after a reconnect is not done yet; Feed.resync is where it
// belongs.
//
// This package must not know about VPP, choose between route sources or
// keep the desired routing state: that is package rib's job. It must not
// read the network or know about FPM framing beyond fpm.Handler.
package zebra
