package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/netip"
	"os/exec"
	"slices"
	"strconv"
	"strings"

	"github.com/lcpfib/lcpfib/rib"
)

// ---- --bird: BIRD's table against lcpfib's desired routes from BIRD.
//
// BIRD has no JSON output, so this reads `birdc show route all` (its
// format since BIRD 2.0). Routes from BIRD's direct protocol are left out,
// as contrib/bird/lcpfib.conf does not export them. The comparison shows
// what BGP cannot carry: a route with several next hops reaches lcpfib
// with the first one only.

// birdRoute is one route of one prefix in BIRD's table.
type birdRoute struct {
	kind   string // unicast, blackhole, unreachable, prohibited
	pref   int
	device bool     // from the direct protocol
	hops   []string // "via GW" or "dev IFNAME"
}

// parseBirdRoutes reads `show route [all]` output into prefix -> routes.
func parseBirdRoutes(out string) (map[netip.Prefix][]birdRoute, error) {
	routes := map[netip.Prefix][]birdRoute{}
	err := scanBirdRoutes(strings.NewReader(out), func(p netip.Prefix, r birdRoute) {
		routes[p] = append(routes[p], r)
	})
	return routes, err
}

// scanBirdRoutes calls fn for every route of `show route [all]` output as
// it is read (a full table need not be held).
func scanBirdRoutes(in io.Reader, fn func(netip.Prefix, birdRoute)) error {
	var cur netip.Prefix
	var r *birdRoute
	flush := func() {
		if r != nil {
			fn(cur, *r)
			r = nil
		}
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case line == "" || strings.HasPrefix(line, "BIRD ") || strings.HasPrefix(line, "Table "):
		case strings.HasPrefix(line, "\t"):
			if r == nil {
				continue
			}
			f := strings.Fields(line)
			switch {
			case f[0] == "via" && len(f) >= 2:
				r.hops = append(r.hops, "via "+f[1])
			case f[0] == "dev" && len(f) >= 2:
				r.hops = append(r.hops, "dev "+f[1])
			case f[0] == "Type:" && len(f) >= 2:
				r.device = f[1] == "device"
			}
		default:
			flush()
			f := strings.Fields(line)
			if line[0] != ' ' {
				p, err := netip.ParsePrefix(f[0])
				if err != nil {
					return fmt.Errorf("birdc output line %d: %q: %w", n, line, err)
				}
				cur, f = p.Masked(), f[1:]
			}
			if !cur.IsValid() || len(f) == 0 {
				return fmt.Errorf("birdc output line %d: %q: no prefix before it", n, line)
			}
			br := birdRoute{kind: f[0]}
			if last := f[len(f)-1]; strings.HasPrefix(last, "(") && strings.HasSuffix(last, ")") {
				pref, err := strconv.Atoi(strings.Trim(last, "()"))
				if err != nil {
					return fmt.Errorf("birdc output line %d: preference %q: %w", n, last, err)
				}
				br.pref = pref
			}
			r = &br
		}
	}
	flush()
	return sc.Err()
}

// birdWant turns BIRD's routes of a prefix into what lcpfib should hold:
// the highest preference wins; with ecmp the unicast routes of that
// preference merge, otherwise any one of them will do (lcpfib picks by
// add-path identifier, which BIRD does not show). ifindex resolves
// interface names.
func birdWant(rs []birdRoute, ecmp bool, ifindex func(string) string) []string {
	rs = slices.DeleteFunc(slices.Clone(rs), func(r birdRoute) bool { return r.device })
	if len(rs) == 0 {
		return nil
	}
	top := slices.MaxFunc(rs, func(a, b birdRoute) int { return a.pref - b.pref }).pref
	var want []string
	var merged []string
	for _, r := range rs {
		if r.pref != top {
			continue
		}
		var c string
		switch r.kind {
		case "blackhole":
			c = "blackhole"
		case "unreachable", "prohibited":
			c = "unreachable"
		default:
			var hops []string
			for _, h := range r.hops {
				if name, ok := strings.CutPrefix(h, "dev "); ok {
					h = "dev " + ifindex(name)
				}
				hops = append(hops, h)
			}
			merged = append(merged, hops...)
			slices.Sort(hops)
			c = strings.Join(slices.Compact(hops), ", ")
		}
		want = append(want, c)
	}
	if ecmp && len(merged) > 0 {
		slices.Sort(merged)
		return []string{strings.Join(slices.Compact(merged), ", ")}
	}
	return want
}

// lcpfibBird is lcpfib's desired routes from BIRD in table, canonical the
// same way: gateways without their interface, interface routes as the
// interface's index.
func lcpfibBird(routes []routeView, table uint32) map[netip.Prefix]string {
	return canonRoutes(routes, func(r routeView) bool { return r.Table == table && r.Source == rib.SourceBIRD.String() },
		func(pv pathView) string {
			if pv.Gateway != "" {
				return "via " + pv.Gateway
			}
			return fmt.Sprintf("dev %d", pv.Ifindex)
		})
}

// compareBird lists where BIRD's table and lcpfib's routes from BIRD
// differ. Prefixes lcpfib has from FRR (rib.prefer) are not compared.
func compareBird(b map[netip.Prefix][]birdRoute, l map[netip.Prefix]string, fromFRR map[netip.Prefix]bool, table uint32, ecmp bool, ifindex func(string) string) []diffView {
	var out []diffView
	for p, rs := range b {
		want := birdWant(rs, ecmp, ifindex)
		if len(want) == 0 || fromFRR[p] {
			continue
		}
		lp, ok := l[p]
		switch {
		case !ok:
			out = append(out, diffView{Table: table, Prefix: p.String(), Cause: "bird-missing", Want: strings.Join(want, " | "),
				Err: "BIRD has it; lcpfib did not get it (BIRD's export filter, or the session: see show bird)"})
		case !slices.Contains(want, lp):
			d := diffView{Table: table, Prefix: p.String(), Cause: "bird-paths", Want: strings.Join(want, " | "), Have: lp}
			for _, r := range rs {
				if len(r.hops) > 1 {
					d.Err = fmt.Sprintf("BIRD's route has %d next hops; BGP carries only the first (README, BIRD)", len(r.hops))
				}
			}
			out = append(out, d)
		}
	}
	for p, lp := range l {
		if _, ok := b[p]; !ok {
			out = append(out, diffView{Table: table, Prefix: p.String(), Cause: "bird-extra", Have: lp,
				Err: "lcpfib has it from BIRD; BIRD's table does not"})
		}
	}
	sortDiffs(out)
	return out
}

// birdTable runs birdc show route all.
func birdTable(ctx context.Context, birdc []string) (map[netip.Prefix][]birdRoute, error) {
	args := append(slices.Clone(birdc[1:]), "show", "route", "all")
	raw, err := exec.CommandContext(ctx, birdc[0], args...).Output()
	if err != nil {
		return nil, fmt.Errorf("%s show route all: %w", strings.Join(birdc, " "), err)
	}
	return parseBirdRoutes(string(raw))
}
