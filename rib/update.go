package rib

// Update is one batch of changes from one source, applied atomically by the
// RIB: every route in Set replaces whatever that source had for its key, and
// every key in Del is withdrawn for that source. A key must not be in both.
// The rib neither modifies nor keeps the Update's slices (routes may share
// a Paths slice).
//
// Resync marks the start and the end of a source's full replay (zebra
// replays its whole table on every connection, with no deletes for what it
// dropped meanwhile). ResyncBegin is applied before the Update's routes,
// ResyncEnd after them.
type Update struct {
	Source Source
	Set    []Route
	Del    []Key
	Resync Resync

	query *nexthopQuery // RoutesByNexthop: not an update at all
}

// Resync is a replay marker.
type Resync uint8

const (
	// ResyncNone: an ordinary update.
	ResyncNone Resync = iota
	// ResyncBegin: the source starts replaying everything it has. Its
	// routes stay as they are (forwarding goes on) but are marked stale.
	ResyncBegin
	// ResyncEnd: the replay is complete. The source's routes that the
	// replay did not renew are withdrawn (swept) in every table the replay
	// renewed at least one route of; tables the replay did not touch are
	// left alone, because FRR 8.4 does not replay tables outside VRFs.
	ResyncEnd
)

// Change is one merged change for the dataplane: the route now wanted for
// Key, or Route == nil when nothing is wanted any more.
type Change struct {
	Key   Key
	Route *Route
}
