package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lcpfib/lcpfib/fpm"
	"github.com/lcpfib/lcpfib/pairing"
	"github.com/lcpfib/lcpfib/rib"
	"github.com/lcpfib/lcpfib/vpp"
	"github.com/lcpfib/lcpfib/zebra"
)

// command is one request the control socket answers.
type command struct {
	long  bool // dumps VPP's FIB: a longer deadline
	serve func(ctx context.Context, d *daemon, args map[string]string) (any, error)
}

// commands are the control socket's requests by name ("show routes").
var commands = map[string]command{}

// showCommand is one `lcpfib show NAME` of the CLI.
type showCommand struct {
	name, help string
	// flags declares the command's options on fs and returns a function
	// that, after parsing, gives them as request arguments.
	flags func(fs *flag.FlagSet) func() map[string]string
	print func(w io.Writer, data json.RawMessage) error
}

// shows lists the show commands in the order of the usage text.
var shows []showCommand

// addShow adds `lcpfib show NAME`, the one call a component needs to be
// shown: serve answers it in the daemon, print writes its aligned text
// form (--json prints T as JSON instead), flags (may be nil) declares its
// options (showbird.go is an example).
func addShow[T any](name, help string, flags func(*flag.FlagSet) func() map[string]string,
	serve func(ctx context.Context, d *daemon, args map[string]string) (T, error), print func(w io.Writer, v T) error) {
	commands["show "+name] = command{serve: func(ctx context.Context, d *daemon, args map[string]string) (any, error) {
		return serve(ctx, d, args)
	}}
	shows = append(shows, showCommand{name: name, help: help, flags: flags, print: func(w io.Writer, data json.RawMessage) error {
		var v T
		if err := json.Unmarshal(data, &v); err != nil {
			return fmt.Errorf("decoding show %s: %w", name, err)
		}
		return print(w, v)
	}})
}

func init() {
	addShow("routes", "routes lcpfib wants in VPP ([--table N] [--prefix P] [--limit N])", routeFlags, serveRoutes, printRoutes)
	addShow("nexthop-groups", "zebra's nexthops and groups on the current connection", nil, serveNexthops, printNexthops)
	addShow("pairs", "Linux <-> VPP interface pairs", nil, servePairs, printPairs)
	addShow("neighbors", "ARP/ND neighbours mirrored onto VPP (linux-cp)", nil, serveNeighbors, printNeighbors)
	addShow("fpm", "zebra's FPM connection and counters", nil, serveFPM, printFPM)
	addShow("vpp", "VPP connection, version, queue, failures with VPP's error", nil, serveVPP, printVPP)
	addShow("stats", "desired state, routes by table and source, programming progress", nil, serveStats, printStats)
	commands["check"] = command{long: true, serve: func(ctx context.Context, d *daemon, args map[string]string) (any, error) {
		return d.check(ctx, args)
	}}
	commands["resync"] = command{long: true, serve: func(ctx context.Context, d *daemon, _ map[string]string) (any, error) {
		n, err := d.vpp.Reread(ctx)
		return resyncView{Corrected: n}, err
	}}
}

// table returns an aligned table writer; flush it when done.
func table(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0) }

// ---- show routes

type routeView struct {
	Table    uint32     `json:"table"`
	Prefix   string     `json:"prefix,omitempty"`
	Label    uint32     `json:"label,omitempty"` // LSPs
	Kind     string     `json:"kind"`
	Source   string     `json:"source"`
	Protocol uint8      `json:"protocol"`
	Paths    []pathView `json:"paths,omitempty"`
	Failure  string     `json:"failure,omitempty"` // VPP's error while it refuses the route
}

type pathView struct {
	Gateway   string `json:"gateway,omitempty"`
	Ifindex   uint32 `json:"ifindex,omitempty"`
	SwIfIndex *int64 `json:"sw_if_index,omitempty"` // nil: no VPP interface paired (or none given)
	Weight    uint32 `json:"weight"`
	Labels    string `json:"labels,omitempty"`
}

func (p pathView) String() string {
	var parts []string
	if p.Gateway != "" {
		parts = append(parts, "via "+p.Gateway)
	}
	if p.Ifindex != 0 {
		s := fmt.Sprintf("ifindex %d", p.Ifindex)
		if p.SwIfIndex == nil {
			s += " (unpaired)"
		} else {
			s += fmt.Sprintf(" (sw_if_index %d)", *p.SwIfIndex)
		}
		parts = append(parts, s)
	}
	if p.Weight > 1 {
		parts = append(parts, fmt.Sprintf("weight %d", p.Weight))
	}
	if p.Labels != "" {
		parts = append(parts, "labels "+p.Labels)
	}
	return strings.Join(parts, " ")
}

type routesView struct {
	Matched int         `json:"matched"`
	Routes  []routeView `json:"routes"`
}

func routeFlags(fs *flag.FlagSet) func() map[string]string {
	t := fs.Uint("table", 0, "Linux table (254 is main); 0: every table")
	p := fs.String("prefix", "", "only routes overlapping this prefix (an address is a host prefix)")
	l := fs.Int("limit", 0, "print at most this many routes; 0: all")
	return func() map[string]string {
		return map[string]string{"table": strconv.FormatUint(uint64(*t), 10), "prefix": *p, "limit": strconv.Itoa(*l)}
	}
}

// parsePrefix takes a prefix, or an address as its host prefix.
func parsePrefix(s string) (netip.Prefix, error) {
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return p, fmt.Errorf("prefix %q: want an address or a prefix such as 10.0.0.0/8", s)
	}
	return p.Masked(), nil
}

func serveRoutes(ctx context.Context, d *daemon, args map[string]string) (routesView, error) {
	var f rib.Filter
	if s := args["table"]; s != "" {
		t, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return routesView{}, fmt.Errorf("table %q: want a number", s)
		}
		f.Table = uint32(t)
	}
	if s := args["prefix"]; s != "" {
		p, err := parsePrefix(s)
		if err != nil {
			return routesView{}, err
		}
		f.Prefix = p
	}
	if s := args["limit"]; s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return routesView{}, fmt.Errorf("limit %q: want a number, 0 for all", s)
		}
		f.Limit = n
	}
	routes, matched, err := d.rib.Query(ctx, f)
	if err != nil {
		return routesView{}, fmt.Errorf("asking the rib: %w", err)
	}
	failed := map[rib.Key]string{}
	for _, fl := range d.vpp.Failures() {
		failed[fl.Key] = fl.Err
	}
	out := routesView{Matched: matched, Routes: make([]routeView, 0, len(routes))}
	for _, r := range routes {
		out.Routes = append(out.Routes, d.routeView(r, failed[r.Key]))
	}
	return out, nil
}

func (d *daemon) routeView(r rib.Route, failure string) routeView {
	v := routeView{Table: r.Table, Kind: r.Kind.String(), Source: r.Source.String(), Protocol: r.Protocol, Failure: failure}
	if r.IsLSP() {
		v.Label = r.Label
	} else {
		v.Prefix = r.Prefix.String()
	}
	for _, p := range r.Paths {
		pv := pathView{Ifindex: p.Ifindex, Weight: max(p.Weight, 1)}
		if p.Gateway.IsValid() {
			pv.Gateway = p.Gateway.String()
		}
		if p.Ifindex != 0 && d.pairs != nil {
			if sw, ok := d.pairs.SwIfIndex(p.Ifindex); ok {
				s := int64(sw)
				pv.SwIfIndex = &s
			}
		}
		if p.Labels.Len() > 0 {
			pv.Labels = p.Labels.String()
		}
		v.Paths = append(v.Paths, pv)
	}
	return v
}

// routeName is how the views name a route: its prefix, or "label N" for
// an LSP (which has no prefix).
func routeName(prefix string, label uint32) string {
	if prefix == "" {
		return fmt.Sprintf("label %d", label)
	}
	return prefix
}

func printRoutes(w io.Writer, v routesView) error {
	tw := table(w)
	fmt.Fprintln(tw, "TABLE\tPREFIX\tKIND\tSOURCE\tPROTO\tPATHS")
	for _, r := range v.Routes {
		what := routeName(r.Prefix, r.Label)
		paths := make([]string, len(r.Paths))
		for i, p := range r.Paths {
			paths[i] = p.String()
		}
		ps := strings.Join(paths, ", ")
		if r.Failure != "" {
			ps += "  [VPP refused: " + r.Failure + "]"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\n", r.Table, what, r.Kind, r.Source, r.Protocol, ps)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d routes shown, %d matched\n", len(v.Routes), v.Matched)
	return err
}

// ---- show nexthop-groups

type nexthopView struct {
	ID        uint32     `json:"id"`
	Type      string     `json:"type"` // nexthop, group, blackhole
	Members   string     `json:"members,omitempty"`
	Resolved  bool       `json:"resolved"` // every member known: routes naming it are programmed
	Paths     []pathView `json:"paths,omitempty"`
	Blackhole bool       `json:"blackhole,omitempty"`
}

func serveNexthops(ctx context.Context, d *daemon, _ map[string]string) ([]nexthopView, error) {
	var out []nexthopView
	for _, n := range d.feed.NexthopGroups() {
		v := nexthopView{ID: n.ID, Type: "nexthop", Resolved: n.Paths != nil || n.Blackhole, Blackhole: n.Blackhole}
		if n.Members != nil {
			v.Type = "group"
			ms := make([]string, len(n.Members))
			for i, m := range n.Members {
				ms[i] = fmt.Sprintf("%d/w%d", m.ID, m.Weight)
			}
			v.Members = strings.Join(ms, " ")
		} else if n.Blackhole {
			v.Type = "blackhole"
		}
		v.Paths = d.routeView(rib.Route{Paths: n.Paths}, "").Paths
		out = append(out, v)
	}
	return out, nil
}

func printNexthops(w io.Writer, v []nexthopView) error {
	tw := table(w)
	fmt.Fprintln(tw, "ID\tTYPE\tMEMBERS\tPATHS")
	for _, n := range v {
		paths := make([]string, len(n.Paths))
		for i, p := range n.Paths {
			paths[i] = p.String()
		}
		ps := strings.Join(paths, ", ")
		switch {
		case n.Blackhole:
			ps = "blackhole"
		case !n.Resolved:
			ps = "(a member is not known yet: routes naming it are held)"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", n.ID, n.Type, dash(n.Members), ps)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d nexthops and groups\n", len(v))
	return err
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// ---- show pairs

type pairView struct {
	Linux     string `json:"linux"`
	Ifindex   uint32 `json:"ifindex"`
	VPP       string `json:"vpp"`
	SwIfIndex uint32 `json:"sw_if_index"`
	Created   bool   `json:"created,omitempty"` // linux-cp: lcpfib created the pair
	Err       string `json:"err,omitempty"`     // static: why the pair is not resolved
}

type pairsView struct {
	Mode  string     `json:"mode"` // static or linux-cp
	Pairs []pairView `json:"pairs"`
}

func servePairs(ctx context.Context, d *daemon, _ map[string]string) (pairsView, error) {
	switch p := d.pairs.(type) {
	case *pairing.Watcher:
		v := pairsView{Mode: "linux-cp", Pairs: []pairView{}}
		for _, pi := range p.Pairs() {
			v.Pairs = append(v.Pairs, pairView{Linux: pi.Linux, Ifindex: pi.Ifindex, VPP: pi.VPP, SwIfIndex: pi.SwIfIndex, Created: pi.Created})
		}
		return v, nil
	case *pairing.Static:
		v := pairsView{Mode: "static", Pairs: []pairView{}}
		for _, r := range p.Pairs() {
			v.Pairs = append(v.Pairs, pairView{Linux: r.Linux, Ifindex: r.Ifindex, VPP: r.VPP, SwIfIndex: r.SwIfIndex, Err: r.Err})
		}
		return v, nil
	}
	return pairsView{}, fmt.Errorf("the interface table (%T) cannot list its pairs", d.pairs)
}

func printPairs(w io.Writer, v pairsView) error {
	tw := table(w)
	fmt.Fprintln(tw, "LINUX\tIFINDEX\tVPP\tSW_IF_INDEX\tSTATE")
	for _, p := range v.Pairs {
		state := "resolved"
		switch {
		case p.Err != "":
			state = "unresolved: " + p.Err
		case p.Ifindex == 0:
			state = "no Linux interface yet"
		case p.Created:
			state = "resolved, created by lcpfib"
		}
		ifx, sw := strconv.Itoa(int(p.Ifindex)), strconv.Itoa(int(p.SwIfIndex))
		if p.Err != "" {
			ifx, sw = "-", "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.Linux, ifx, p.VPP, sw, state)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d pairs (%s)\n", len(v.Pairs), v.Mode)
	return err
}

// ---- show neighbors

func serveNeighbors(ctx context.Context, d *daemon, _ map[string]string) ([]pairing.Neighbor, error) {
	if d.linux == nil {
		return nil, errors.New("neighbours are mirrored only with linux-cp.enable: true (static pairs leave them to VPP)")
	}
	return d.linux.Neighbors(ctx)
}

func printNeighbors(w io.Writer, v []pairing.Neighbor) error {
	tw := table(w)
	fmt.Fprintln(tw, "VPP\tSW_IF_INDEX\tLINUX\tIP\tMAC\tTYPE")
	for _, n := range v {
		typ := "dynamic"
		if n.Static {
			typ = "static"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", dash(n.VPP), n.SwIfIndex, dash(n.Linux), n.IP, n.MAC, typ)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d neighbours in VPP\n", len(v))
	return err
}

// ---- show fpm

type fpmView struct {
	Listen     string         `json:"listen"`
	Connected  bool           `json:"connected"`
	Connection uint64         `json:"connection"`
	Server     fpm.Stats      `json:"server"`
	Feed       zebra.Counters `json:"feed"`
	Notify     *notifyView    `json:"notify,omitempty"`
	Replaying  bool           `json:"replaying"`
	LastReplay jsonDuration   `json:"last_replay"`
}

type notifyView struct{ Sent, Failed, Dropped uint64 }

func serveFPM(ctx context.Context, d *daemon, _ map[string]string) (fpmView, error) {
	s := d.fpm.Stats()
	c := d.feed.Counters()
	v := fpmView{Connected: s.Current != 0, Connection: s.Current, Server: s, Feed: c, LastReplay: jsonDuration(c.LastReplay)}
	if d.cfg != nil {
		v.Listen = d.cfg.FPM.Listen
	}
	if d.notify != nil {
		ns := d.notify.Stats()
		v.Notify = &notifyView{ns.Sent, ns.Failed, ns.Dropped}
	}
	if rs, err := d.rib.Stats(ctx); err == nil {
		v.Replaying = rs.Replaying > 0
	}
	return v, nil
}

// kv writes aligned "key  value" lines.
func kv(w io.Writer, pairs ...any) error {
	tw := table(w)
	for i := 0; i+1 < len(pairs); i += 2 {
		fmt.Fprintf(tw, "%v:\t%v\n", pairs[i], pairs[i+1])
	}
	return tw.Flush()
}

func upDown(b bool) string {
	if b {
		return "up"
	}
	return "down"
}

func printFPM(w io.Writer, v fpmView) error {
	c := v.Feed
	conn := "none"
	if v.Connected {
		conn = fmt.Sprintf("up (connection %d)", v.Connection)
	}
	replay := "no"
	if v.Replaying {
		replay = "yes: stale routes are swept when zebra goes quiet"
	}
	pairs := []any{
		"listen", v.Listen, "zebra", conn, "replaying", replay,
		"connections", v.Server.Connections, "frames", v.Server.Frames, "bytes", v.Server.Bytes,
		"bad frames", v.Server.BadFrames, "resets", v.Server.Resets,
		"messages", fmt.Sprintf("%d (newroute %d, delroute %d, newnexthop %d, delnexthop %d, unsupported %d)", c.Messages, c.NewRoute, c.DelRoute, c.NewNexthop, c.DelNexthop, c.Unsupported),
		"decode errors", c.DecodeErrors,
		"routes", fmt.Sprintf("set %d, replaced %d, deleted %d, withdrawn %d, re-emitted %d, held %d (now %d)", c.RoutesSet, c.RoutesReplaced, c.RoutesDeleted, c.RoutesWithdrawn, c.RoutesReemitted, c.RoutesHeld, c.HeldNow),
		"skipped", fmt.Sprintf("local table %d, connected %d, type %d, source prefix %d, no nexthop %d", c.SkippedLocalTable, c.SkippedConnected, c.SkippedType, c.SkippedSourcePrefix, c.SkippedNoNexthop),
		"nexthops", fmt.Sprintf("%d single, %d groups", c.Nexthops, c.Groups),
		"replays", fmt.Sprintf("%d (%d ended by fpm.replay-max), last took %s", c.Replays, c.ReplaysByTimeout, time.Duration(v.LastReplay)),
	}
	if v.Notify != nil {
		pairs = append(pairs, "notifications", fmt.Sprintf("offload %d, offload-failed %d, dropped %d", v.Notify.Sent, v.Notify.Failed, v.Notify.Dropped))
	}
	return kv(w, pairs...)
}

// jsonDuration is a duration that encodes as Go's text ("1.5s").
type jsonDuration time.Duration

func (d jsonDuration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

func (d *jsonDuration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	*d = jsonDuration(v)
	return err
}

// ---- show vpp

type failureView struct {
	Table    uint32    `json:"table"`
	Prefix   string    `json:"prefix,omitempty"`
	Label    uint32    `json:"label,omitempty"`
	Err      string    `json:"err"`
	Attempts int       `json:"attempts"`
	Since    time.Time `json:"since"`
	Next     time.Time `json:"next"`
}

type vppView struct {
	Connected bool          `json:"connected"`
	Settings  vpp.Settings  `json:"settings"`
	Version   vpp.Version   `json:"version"`
	Stats     vpp.Stats     `json:"stats"`
	Pending   int           `json:"pending"` // changes waiting in the rib
	Failures  []failureView `json:"failures"`
}

func serveVPP(ctx context.Context, d *daemon, _ map[string]string) (vppView, error) {
	s := d.vpp.Stats()
	v := vppView{Connected: s.Connected, Settings: d.vpp.Settings(), Version: s.VPP, Stats: s, Failures: []failureView{}}
	if rs, err := d.rib.Stats(ctx); err == nil {
		v.Pending = rs.Pending
	}
	for _, f := range d.vpp.Failures() {
		fv := failureView{Table: f.Key.Table, Err: f.Err, Attempts: f.Attempts, Since: f.Since, Next: f.Next}
		if f.Key.IsLSP() {
			fv.Label = f.Key.Label
		} else {
			fv.Prefix = f.Key.Prefix.String()
		}
		v.Failures = append(v.Failures, fv)
	}
	return v, nil
}

func printVPP(w io.Writer, v vppView) error {
	s := v.Stats
	conn := "down (reconnecting with backoff)"
	if v.Connected {
		conn = "up"
	}
	rate := "none"
	if v.Settings.MaxRate > 0 {
		rate = fmt.Sprintf("%d requests/s", v.Settings.MaxRate)
	}
	err := kv(w,
		"socket", v.Settings.Socket, "connection", conn,
		"version", fmt.Sprintf("%s %s (built %s)", dash(v.Version.Program), dash(v.Version.Version), dash(v.Version.BuildDate)),
		"vpe_pid", fmt.Sprintf("%d (changes when VPP restarts)", v.Version.PID),
		"connects", s.Connects,
		"queue", fmt.Sprintf("%d pending in the rib, %d in flight (window %d), max-rate %s", v.Pending, s.InFlight, v.Settings.Window, rate),
		"installed", fmt.Sprintf("%d entries VPP holds for lcpfib", s.Installed),
		"calls", fmt.Sprintf("added %d, deleted %d, refused %d, unchanged %d (no call)", s.RoutesAdded, s.RoutesDeleted, s.RouteErrors, s.Unchanged),
		"left out", fmt.Sprintf("unresolved %d (no paired interface), skipped %d (table not programmed)", s.Unresolved, s.Skipped),
		"mpls", fmt.Sprintf("supported %v, LSPs added %d, deleted %d, skipped %d", s.MPLS.Supported, s.MPLS.LSPsAdded, s.MPLS.LSPsDeleted, s.MPLS.Skipped),
		"failing", len(v.Failures),
	)
	if err != nil || len(v.Failures) == 0 {
		return err
	}
	fmt.Fprintln(w)
	tw := table(w)
	fmt.Fprintln(tw, "TABLE\tROUTE\tATTEMPTS\tSINCE\tNEXT TRY\tVPP's ERROR")
	for _, f := range v.Failures {
		what := routeName(f.Prefix, f.Label)
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\n", f.Table, what, f.Attempts, f.Since.Format(time.RFC3339), f.Next.Format(time.RFC3339), f.Err)
	}
	return tw.Flush()
}

// ---- show stats

type countView struct {
	Table  uint32 `json:"table"`
	Source string `json:"source"`
	Routes int    `json:"routes"`
}

type statsView struct {
	Rib struct {
		Routes     int          `json:"routes"`
		Pending    int          `json:"pending"`
		Orphans    int          `json:"orphans"`
		Replaying  int          `json:"replaying"`
		Resyncs    uint64       `json:"resyncs"`
		Swept      uint64       `json:"swept"`
		LastSwept  int          `json:"last_swept"`
		LastResync jsonDuration `json:"last_resync"`
		LastSweep  jsonDuration `json:"last_sweep"`
	} `json:"rib"`
	Routes    []countView `json:"routes_by_table"`
	Installed int         `json:"installed"`
	Failing   int         `json:"failing"`
	Progress  Progress    `json:"progress"`
}

func serveStats(ctx context.Context, d *daemon, _ map[string]string) (statsView, error) {
	var v statsView
	rs, err := d.rib.Stats(ctx)
	if err != nil {
		return v, fmt.Errorf("asking the rib: %w", err)
	}
	v.Rib.Routes, v.Rib.Pending, v.Rib.Orphans, v.Rib.Replaying = rs.Routes, rs.Pending, rs.Orphans, rs.Replaying
	v.Rib.Resyncs, v.Rib.Swept, v.Rib.LastSwept = rs.Resyncs, rs.Swept, rs.LastSwept
	v.Rib.LastResync, v.Rib.LastSweep = jsonDuration(rs.LastResync), jsonDuration(rs.LastSweep)
	counts, err := d.rib.Counts(ctx)
	if err != nil {
		return v, fmt.Errorf("asking the rib: %w", err)
	}
	v.Routes = []countView{}
	for ts, n := range counts {
		v.Routes = append(v.Routes, countView{Table: ts.Table, Source: ts.Source.String(), Routes: n})
	}
	sortCounts(v.Routes)
	vs := d.vpp.Stats()
	v.Installed, v.Failing = vs.Installed, vs.Failing
	if d.progress != nil {
		v.Progress = d.progress.current()
	}
	return v, nil
}

func sortCounts(cs []countView) {
	slices.SortFunc(cs, func(a, b countView) int {
		return cmp.Or(cmp.Compare(a.Table, b.Table), cmp.Compare(a.Source, b.Source))
	})
}

func printStats(w io.Writer, v statsView) error {
	r := v.Rib
	err := kv(w,
		"routes wanted", r.Routes, "pending", r.Pending, "in VPP", v.Installed, "failing", v.Failing,
		"orphans", fmt.Sprintf("%d (in VPP from an earlier lcpfib, swept after the replays)", r.Orphans),
		"replays", fmt.Sprintf("%d started, %d running, last took %s", r.Resyncs, r.Replaying, time.Duration(r.LastResync)),
		"swept", fmt.Sprintf("%d in all, %d by the last sweep (took %s)", r.Swept, r.LastSwept, time.Duration(r.LastSweep)),
		"progress", v.Progress.String(),
	)
	if err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw := table(w)
	fmt.Fprintln(tw, "TABLE\tSOURCE\tROUTES")
	for _, c := range v.Routes {
		fmt.Fprintf(tw, "%d\t%s\t%d\n", c.Table, c.Source, c.Routes)
	}
	return tw.Flush()
}

// ---- resync

type resyncView struct {
	Corrected int `json:"corrected"`
}
