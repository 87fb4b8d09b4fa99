package pairing

import (
	"maps"
	"sync"
	"sync/atomic"
)

// Stats are the Watcher's counters; read them with Watcher.Stats.
type Stats struct {
	Connected bool   // to VPP
	VPPPID    uint32 // vpe_pid of the VPP connected to
	Pairs     int    // resolved pairs (Linux ifindex -> sw_if_index)
	Events    uint64 // netlink notifications received
	Resyncs   uint64 // full Linux re-dumps (start, ENOBUFS, lost subscription, periodic)
	ENOBUFS   uint64 // netlink receive buffer overruns
	Restarts  uint64 // VPP restarts seen (vpe_pid changed)
	Connects  uint64
	VPPCalls  map[string]uint64 // by message name
	VPPErrors map[string]uint64 // by message name
}

type counters struct {
	events, resyncs, enobufs, restarts, connects atomic.Uint64

	mu     sync.Mutex
	calls  map[string]uint64
	errors map[string]uint64
}

func newCounters() *counters {
	return &counters{calls: map[string]uint64{}, errors: map[string]uint64{}}
}

func (c *counters) vppCall(name string) {
	c.mu.Lock()
	c.calls[name]++
	c.mu.Unlock()
}

func (c *counters) vppError(name string) {
	c.mu.Lock()
	c.errors[name]++
	c.mu.Unlock()
}

func (c *counters) snapshot() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{
		Events: c.events.Load(), Resyncs: c.resyncs.Load(), ENOBUFS: c.enobufs.Load(),
		Restarts: c.restarts.Load(), Connects: c.connects.Load(),
		VPPCalls: maps.Clone(c.calls), VPPErrors: maps.Clone(c.errors),
	}
}
