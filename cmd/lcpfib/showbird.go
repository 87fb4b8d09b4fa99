package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/lcpfib/lcpfib/bird"
)

func init() {
	addShow("bird", "the BGP bridge to BIRD: sessions, paths, graceful restarts", nil, serveBird, printBird)
}

type birdView struct {
	Enabled bool         `json:"enabled"`
	Status  *bird.Status `json:"status,omitempty"`
}

func serveBird(ctx context.Context, d *daemon, _ map[string]string) (birdView, error) {
	if d.bird == nil {
		return birdView{}, nil
	}
	st, err := d.bird.Status(ctx)
	if err != nil {
		return birdView{}, fmt.Errorf("bird bridge: %w", err)
	}
	return birdView{Enabled: true, Status: &st}, nil
}

func printBird(w io.Writer, v birdView) error {
	if !v.Enabled {
		_, err := fmt.Fprintln(w, "BIRD bridge: off (bird.enable)")
		return err
	}
	s := v.Status
	replay := "no"
	if s.Replaying {
		replay = "yes: routes an earlier lcpfib left in VPP wait for every peer's End-of-RIB"
	}
	if err := kv(w,
		"listen", fmt.Sprintf("%s, AS %d, ECMP %v", s.Listen, s.ASN, s.ECMP),
		"first transfer", replay,
		"prefixes", fmt.Sprintf("%d (%d paths)", s.Prefixes, s.Paths),
		"paths", fmt.Sprintf("announced %d, withdrawn %d, broke the convention %d (treated as withdrawn)", s.Announced, s.Withdrawn, s.Invalid),
		"updates", s.Updates,
	); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw := table(w)
	fmt.Fprintln(tw, "PEER\tAS\tTABLE\tSTATE\tSINCE\tPATHS\tSTALE\tFAMILIES\tEND-OF-RIB")
	for _, p := range s.Peers {
		state := p.State
		if p.Restarting {
			state += " (graceful restart)"
		}
		since := "-"
		if !p.Since.IsZero() {
			since = time.Since(p.Since).Round(time.Second).String() + " ago"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%d\t%d\t%s\t%s\n", p.Address, p.ASN, p.Table, state, since, p.Paths, p.Stale,
			orDash(strings.Join(p.Families, ",")), orDash(strings.Join(p.EndOfRIB, ",")))
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
