package rib

// Update is one batch of changes from one source, applied atomically by the
// RIB: every route in Set replaces whatever that source had for its key, and
// every key in Del is withdrawn for that source. A key must not be in both.
type Update struct {
	Source Source
	Set    []Route
	Del    []Key
}

// Change is one merged change for the dataplane: the route now wanted for
// Key, or Route == nil when nothing is wanted any more.
type Change struct {
	Key   Key
	Route *Route
}
