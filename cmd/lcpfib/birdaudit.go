package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os/exec"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/lcpfib/lcpfib/rib"
)

// birdAudit finds, after each complete table transfer from BIRD, the
// routes BGP could not carry whole: BIRD's filters see only the first next
// hop of a multipath route (README, BIRD), so neither the filter nor the
// bridge can tell. It reads BIRD's own table with birdc (`show route`,
// read-only, streamed) and logs every prefix whose BIRD route has more
// next hops than the route lcpfib programs from BIRD.
type birdAudit struct {
	birdc   []string
	table   uint32 // the first BIRD peer's table, as `check --bird`
	rib     *rib.RIB
	idle    func(context.Context) bool // the dataplane has caught up
	log     *slog.Logger
	running atomic.Bool
	cut     atomic.Int64 // routes cut short at the last audit; -1: none run yet
	ctx     context.Context
}

// auditTimeout bounds one audit (birdc printing a full table included).
const auditTimeout = 10 * time.Minute

// auditQuiet is how long the dataplane must have had nothing to do
// before an audit reads BIRD's table.
const auditQuiet = 5 * time.Second

// maxAuditLogs bounds the lines one audit logs; the count covers all.
const maxAuditLogs = 20

func newBirdAudit(ctx context.Context, birdc []string, table uint32, r *rib.RIB, idle func(context.Context) bool, log *slog.Logger) *birdAudit {
	a := &birdAudit{birdc: birdc, table: table, rib: r, idle: idle, log: log, ctx: ctx}
	a.cut.Store(-1)
	return a
}

// transferred starts an audit unless one is running; the bridge calls it
// from its loop.
func (a *birdAudit) transferred(netip.Addr) {
	if !a.running.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer a.running.Store(false)
		if err := a.run(); err != nil && a.ctx.Err() == nil {
			a.log.Warn("could not read BIRD's table to look for multipath routes BGP cannot carry (bird.birdc)", "err", err)
		}
	}()
}

func (a *birdAudit) run() error {
	ctx, cancel := context.WithTimeout(a.ctx, auditTimeout)
	defer cancel()
	// Not while a table load is programmed: BIRD printing its table and
	// the scan would slow it down. The audit can wait until the
	// dataplane has been idle for auditQuiet (one idle sample can fall
	// between two batches of a load).
	for quiet := 0; quiet < int(auditQuiet/time.Second); {
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			return ctx.Err()
		}
		if a.idle(ctx) {
			quiet++
		} else {
			quiet = 0
		}
	}
	args := append(slices.Clone(a.birdc[1:]), "show", "route")
	cmd := exec.CommandContext(ctx, a.birdc[0], args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: %w", strings.Join(a.birdc, " "), err)
	}
	// Only multipath routes are kept; the rest of a full table streams by.
	start := time.Now()
	hops := map[netip.Prefix]int{}
	read := 0
	serr := scanBirdRoutes(out, func(p netip.Prefix, r birdRoute) {
		read++
		if len(r.hops) > 1 {
			hops[p] = max(hops[p], len(r.hops))
		}
	})
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("%s show route: %w: %s", strings.Join(a.birdc, " "), err, strings.TrimSpace(stderr.String()))
	}
	if serr != nil {
		return serr
	}
	keys := make([]rib.Key, 0, len(hops))
	for p := range hops {
		keys = append(keys, rib.Key{Table: a.table, Prefix: p})
	}
	slices.SortFunc(keys, rib.CompareKeys)
	routes, err := a.rib.Lookup(ctx, keys)
	if err != nil {
		return err
	}
	n := 0
	for i, rt := range routes {
		// Only what lcpfib programs from BIRD: a prefix FRR wins, or one
		// BIRD's export filter leaves out, is not BGP's doing.
		if rt.Source != rib.SourceBIRD || len(rt.Paths) >= hops[keys[i].Prefix] {
			continue
		}
		n++
		if n <= maxAuditLogs {
			a.log.Warn("BIRD's route has more next hops than BGP can carry: VPP gets fewer (README, BIRD: multipath routes)",
				"prefix", keys[i].Prefix.String(), "bird_next_hops", hops[keys[i].Prefix], "programmed", len(rt.Paths))
		}
	}
	a.cut.Store(int64(n))
	a.log.Info("looked for multipath routes BGP cannot carry in BIRD's table", "routes_read", read,
		"multipath", len(hops), "cut_short", n, "took", time.Since(start))
	if n > 0 {
		a.log.Warn("multipath routes from BIRD programmed with fewer next hops than BIRD has", "routes", n,
			"list", "lcpfib check --bird")
	}
	return nil
}
