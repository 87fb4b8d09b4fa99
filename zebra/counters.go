package zebra

import (
	"sync/atomic"
	"time"
)

// Counters describe what a Feed has received and done, in the spirit of
// zebra's "show fpm counters". They count since the Feed was created,
// except the gauges, which describe the current connection.
type Counters struct {
	Connections uint64 // zebra connections (each one replays everything)
	Frames      uint64 // FPM payloads handled
	Messages    uint64 // netlink messages in them

	// Messages by type.
	NewRoute    uint64
	DelRoute    uint64
	NewNexthop  uint64
	DelNexthop  uint64
	Unsupported uint64 // other types (neighbours, MACs) and families: skipped
	// DecodeErrors are well-framed messages that did not decode or made no
	// sense (bad lengths, a nexthop without an id, ...): skipped.
	DecodeErrors uint64

	RoutesSet      uint64 // NEWROUTEs handed on as a Set
	RoutesDeleted  uint64 // DELROUTEs handed on as a Del (not part of a replace)
	RoutesReplaced uint64 // DELROUTE+NEWROUTE pairs for one key in one frame: one Set each
	// RoutesReemitted are Sets caused by a nexthop or group that changed
	// under routes using it.
	RoutesReemitted uint64
	// RoutesWithdrawn are Dels zebra did not ask for: a route whose
	// nexthop was deleted, or that changed into something not programmed.
	RoutesWithdrawn uint64

	// Routes not handed on, by reason.
	SkippedLocalTable   uint64 // table 255: the host's own addresses
	SkippedType         uint64 // rtm_type other than unicast, blackhole, unreachable, prohibit
	SkippedSourcePrefix uint64 // source-specific routes (rtm_src_len != 0)
	SkippedNoNexthop    uint64 // unicast without any gateway or interface
	SkippedConnected    uint64 // connected routes: VPP has them from its interface addresses

	// RoutesHeld counts routes that named a nexthop id not known (yet); they
	// are withdrawn and handed on when the id arrives (RoutesReleased).
	RoutesHeld     uint64
	RoutesReleased uint64

	NexthopChanges uint64 // nexthops or groups that changed under an existing id

	// Replays are zebra's full replays seen to their end (a quiet period,
	// or ReplayMax); ReplaysByTimeout of them ended by ReplayMax.
	// LastReplay is how long the last one took, from the connection to
	// its last message.
	Replays          uint64
	ReplaysByTimeout uint64
	LastReplay       time.Duration

	Batches     uint64 // Updates handed to the sink
	BatchErrors uint64 // Updates the sink refused (the connection is then reset)

	// Gauges for the current connection.
	Nexthops uint64 // single nexthops known
	Groups   uint64 // nexthop groups known
	HeldNow  uint64 // routes waiting for their nexthop
}

type counters struct {
	connections, frames, messages                   atomic.Uint64
	newRoute, delRoute, newNexthop, delNexthop      atomic.Uint64
	unsupported, decodeErrors                       atomic.Uint64
	routesSet, routesDeleted, routesReplaced        atomic.Uint64
	routesReemitted, routesWithdrawn                atomic.Uint64
	skippedLocal, skippedType, skippedSource        atomic.Uint64
	skippedNoNexthop, skippedConnected              atomic.Uint64
	replays, replaysByTimeout                       atomic.Uint64
	lastReplayNanos                                 atomic.Int64
	routesHeld, routesReleased, nexthopChanges      atomic.Uint64
	batches, batchErrors, nexthops, groups, heldNow atomic.Uint64
}

func (c *counters) snapshot() Counters {
	return Counters{
		Connections:         c.connections.Load(),
		Frames:              c.frames.Load(),
		Messages:            c.messages.Load(),
		NewRoute:            c.newRoute.Load(),
		DelRoute:            c.delRoute.Load(),
		NewNexthop:          c.newNexthop.Load(),
		DelNexthop:          c.delNexthop.Load(),
		Unsupported:         c.unsupported.Load(),
		DecodeErrors:        c.decodeErrors.Load(),
		RoutesSet:           c.routesSet.Load(),
		RoutesDeleted:       c.routesDeleted.Load(),
		RoutesReplaced:      c.routesReplaced.Load(),
		RoutesReemitted:     c.routesReemitted.Load(),
		RoutesWithdrawn:     c.routesWithdrawn.Load(),
		SkippedLocalTable:   c.skippedLocal.Load(),
		SkippedType:         c.skippedType.Load(),
		SkippedSourcePrefix: c.skippedSource.Load(),
		SkippedNoNexthop:    c.skippedNoNexthop.Load(),
		SkippedConnected:    c.skippedConnected.Load(),
		Replays:             c.replays.Load(),
		ReplaysByTimeout:    c.replaysByTimeout.Load(),
		LastReplay:          time.Duration(c.lastReplayNanos.Load()),
		RoutesHeld:          c.routesHeld.Load(),
		RoutesReleased:      c.routesReleased.Load(),
		NexthopChanges:      c.nexthopChanges.Load(),
		Batches:             c.batches.Load(),
		BatchErrors:         c.batchErrors.Load(),
		Nexthops:            c.nexthops.Load(),
		Groups:              c.groups.Load(),
		HeldNow:             c.heldNow.Load(),
	}
}
