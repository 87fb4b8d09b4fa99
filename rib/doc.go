// Package rib is the route model shared by every source and the desired
// forwarding state built from it.
//
// A route is keyed by (Linux table, prefix) and carries its kind and paths in
// Linux terms (gateway and Linux ifindex). A path may push MPLS labels; a
// label switched path is a route keyed by (Linux table, incoming label)
// instead (label.go). Sources (the FRR feed, the BIRD
// bridge) convert their protocol messages into rib types at their edge and
// send Updates; one goroutine owns the desired state, chooses between
// sources, and hands the dataplane the latest change per key, so a prefix
// that changes five times while the dataplane is busy costs one VPP call.
// It also keeps, for a source, the id of the nexthop each of its routes
// was resolved through (Route.NexthopID, RoutesByNexthop), so that the
// source need not index a full table itself.
//
// The rib must not know about VPP, netlink, FPM or BGP.
package rib
