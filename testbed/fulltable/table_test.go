package fulltable

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"iter"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/lcpfib/lcpfib/fpm"
	"github.com/lcpfib/lcpfib/rib"
	"github.com/lcpfib/lcpfib/zebra"
)

var cmpOpts = cmp.Options{cmpopts.EquateComparable(netip.Addr{}, netip.Prefix{})}

func mustNew(tb testing.TB, cfg Config) *Table {
	tb.Helper()
	tab, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return tab
}

// digest hashes every frame of a sequence.
func digest(tb testing.TB, seq iter.Seq2[Frame, error]) (sum [32]byte, frames int) {
	tb.Helper()
	h := sha256.New()
	for f, err := range seq {
		if err != nil {
			tb.Fatal(err)
		}
		h.Write(f.Bytes)
		frames++
	}
	copy(sum[:], h.Sum(nil))
	return sum, frames
}

func TestDeterministic(t *testing.T) {
	for _, nhg := range []bool{true, false} {
		cfg := DefaultConfig()
		cfg.V4, cfg.V6, cfg.NexthopGroups, cfg.Withdraw = 30_000, 10_000, nhg, 0.2
		a, n := digest(t, mustNew(t, cfg).Load())
		b, _ := digest(t, mustNew(t, cfg).Load())
		if a != b {
			t.Errorf("nhg=%v: two tables of one Config differ", nhg)
		}
		aw, _ := digest(t, mustNew(t, cfg).Withdrawals())
		bw, _ := digest(t, mustNew(t, cfg).Withdrawals())
		if aw != bw {
			t.Errorf("nhg=%v: withdrawals of one Config differ", nhg)
		}
		cfg.Seed++
		c, m := digest(t, mustNew(t, cfg).Load())
		if a == c {
			t.Errorf("nhg=%v: seeds %d and %d give the same table", nhg, cfg.Seed-1, cfg.Seed)
		}
		if n != m {
			t.Errorf("nhg=%v: %d frames with one seed, %d with the next", nhg, n, m)
		}
	}
}

// TestFamiliesIndependent: a family's routes do not depend on the size of
// the other family or on the share withdrawn.
func TestFamiliesIndependent(t *testing.T) {
	cfg := DefaultConfig()
	cfg.V4, cfg.V6 = 5_000, 3_000
	both := mustNew(t, cfg).ExpectedRoutes()
	cfg.V6 = 0
	cfg.Withdraw = 0.5
	cfg.ECMP = 0 // changes the paths, not the prefixes
	var only4 []netip.Prefix
	for r := range mustNew(t, cfg).Expected() {
		only4 = append(only4, r.Prefix)
	}
	var want []netip.Prefix
	for _, r := range both {
		if r.Prefix.Addr().Is4() {
			want = append(want, r.Prefix)
		}
	}
	if len(only4) != 2_500 {
		t.Fatalf("%d routes left of 5,000 after withdrawing half", len(only4))
	}
	for _, p := range only4 {
		if !slices.Contains(want, p) {
			t.Fatalf("%s is not in the table with IPv6", p)
		}
	}
}

// fakeSink applies updates to a map, as the rib would for one source.
type fakeSink struct {
	t      testing.TB
	routes map[rib.Key]rib.Route
}

func newFakeSink(t testing.TB) *fakeSink { return &fakeSink{t: t, routes: map[rib.Key]rib.Route{}} }

func (s *fakeSink) Apply(ctx context.Context, u rib.Update) error {
	for _, k := range u.Del {
		delete(s.routes, k)
	}
	for _, r := range u.Set {
		if slices.Contains(u.Del, r.Key) {
			s.t.Errorf("%s both set and deleted in one update", r.Key)
		}
		s.routes[r.Key] = r
	}
	return nil
}

func keyed(rs []rib.Route) map[rib.Key]rib.Route {
	m := make(map[rib.Key]rib.Route, len(rs))
	for _, r := range rs {
		m[r.Key] = r
	}
	return m
}

// feed checks that every frame holds one netlink message zebra's decoder
// takes, with the type and flags FRR sends, and hands it to the Feed as
// connection conn.
func feed(t *testing.T, f *zebra.Feed, conn uint64, seq iter.Seq2[Frame, error]) (frames int) {
	t.Helper()
	ctx := context.Background()
	for fr, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		var ff fpm.Frame
		if err := ff.UnmarshalBinary(fr.Bytes); err != nil {
			t.Fatalf("frame %d: %v", frames, err)
		}
		ms, err := zebra.UnmarshalMessages(ff.Payload)
		if err != nil {
			t.Fatalf("frame %d: %v", frames, err)
		}
		if len(ms) != 1 || ms[0].Header.Type != fr.Type {
			t.Fatalf("frame %d: %d messages, first of type %v; want one of type %v", frames, len(ms), ms[0].Header.Type, fr.Type)
		}
		want := flagsReplace
		if fr.Type == zebra.TypeDelRoute || (ms[0].Route != nil && ms[0].Route.Family == zebra.FamilyInet6) {
			want = flagsCreate
		}
		if h := ms[0].Header; h.Flags != want || h.PID != DefaultPID || h.Sequence != 0 {
			t.Fatalf("frame %d: header %+v, want flags %#x", frames, h, want)
		}
		if err := f.Frame(ctx, conn, ff.Payload); err != nil {
			t.Fatalf("frame %d: %v", frames, err)
		}
		frames++
	}
	if err := f.Flush(ctx, conn); err != nil {
		t.Fatal(err)
	}
	return frames
}

// TestFeed sends tables through package zebra's Feed, in both wire modes,
// and compares what reaches the sink with Expected: after the load, after
// the withdrawals, and after a reconnection's replay into a fresh Feed.
func TestFeed(t *testing.T) {
	for _, nhg := range []bool{true, false} {
		name := "nhg"
		if !nhg {
			name = "no-nhg"
		}
		t.Run(name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.V4, cfg.V6, cfg.NexthopGroups = 40_000, 10_000, nhg
			cfg.Withdraw = 0.1
			tab := mustNew(t, cfg)
			full := cfg
			full.Withdraw = 0
			loaded := mustNew(t, full).ExpectedRoutes()
			c := tab.Counts()
			if c.ECMP < 4_500 || c.ECMP > 5_500 {
				t.Errorf("%d ECMP routes of 50,000, want about 10 %%", c.ECMP)
			}
			if c.Withdrawn != 5_000 {
				t.Errorf("%d routes withdrawn, want 5,000", c.Withdrawn)
			}

			sink := newFakeSink(t)
			f := zebra.NewFeed(sink, zebra.Options{})
			ctx := context.Background()
			if err := f.Connected(ctx, 1, nil); err != nil {
				t.Fatal(err)
			}
			n := feed(t, f, 1, tab.Load())
			wantFrames := cfg.V4 + cfg.V6
			if nhg {
				wantFrames += c.Nexthops + c.Groups
			}
			if n != wantFrames {
				t.Errorf("load: %d frames, want %d", n, wantFrames)
			}
			if diff := diffRoutes(keyed(loaded), sink.routes); diff != "" {
				t.Fatalf("after the load:\n%s", diff)
			}
			if n := feed(t, f, 1, tab.Withdrawals()); n != c.Withdrawn {
				t.Errorf("withdrawals: %d frames, want %d", n, c.Withdrawn)
			}
			expected := tab.ExpectedRoutes()
			if len(expected) != len(loaded)-c.Withdrawn {
				t.Errorf("Expected has %d routes, want %d", len(expected), len(loaded)-c.Withdrawn)
			}
			want := keyed(expected)
			if diff := diffRoutes(want, sink.routes); diff != "" {
				t.Fatalf("after the withdrawals:\n%s", diff)
			}
			fc := f.Counters()
			if fc.DecodeErrors != 0 || fc.Unsupported != 0 || fc.RoutesHeld != 0 || fc.RoutesWithdrawn != 0 {
				t.Errorf("feed counters: %+v", fc)
			}
			if nhg && (fc.Nexthops != uint64(c.Nexthops) || fc.Groups != uint64(c.Groups)) {
				t.Errorf("feed knows %d nexthops and %d groups, want %d and %d",
					fc.Nexthops, fc.Groups, c.Nexthops, c.Groups)
			}

			// A reconnection: zebra replays what it has into a new Feed.
			sink2 := newFakeSink(t)
			f2 := zebra.NewFeed(sink2, zebra.Options{})
			if err := f2.Connected(ctx, 2, nil); err != nil {
				t.Fatal(err)
			}
			feed(t, f2, 2, tab.Replay())
			if diff := diffRoutes(want, sink2.routes); diff != "" {
				t.Fatalf("after a replay:\n%s", diff)
			}
		})
	}
}

// TestFrameBytes checks whole frames against FRR 8.4's encoding, field by
// field (compare cases_nhg.txt and cases_nonhg.txt).
func TestFrameBytes(t *testing.T) {
	one4 := []Peer{{Gateway: netip.MustParseAddr("10.1.0.10"), Ifindex: 2}}
	two4 := append(slices.Clone(one4), Peer{Gateway: netip.MustParseAddr("10.2.0.10"), Ifindex: 3})
	one6 := []Peer{{Gateway: netip.MustParseAddr("fd00:1::a"), Ifindex: 2}}
	base := func(v4, v6 int, ecmp float64, nhg bool) Config {
		c := DefaultConfig()
		c.V4, c.V6, c.ECMP, c.MaxPaths, c.NexthopGroups = v4, v6, ecmp, 2, nhg
		c.V4Peers, c.V6Peers = one4, one6
		if ecmp > 0 {
			c.V4Peers = two4
		}
		return c
	}
	nlmsg := func(length, typ, flags string) string {
		return length + "000000" + // nlmsg_len
			typ + "00" + flags + // nlmsg_type, nlmsg_flags
			"00000000" + // nlmsg_seq
			"b2ddd981" // nlmsg_pid 2178538930
	}
	const (
		newNH    = "68"   // RTM_NEWNEXTHOP
		newRoute = "18"   // RTM_NEWROUTE
		delRoute = "19"   // RTM_DELROUTE
		replace  = "0105" // NLM_F_REQUEST|NLM_F_REPLACE|NLM_F_CREATE
		create   = "0104" // NLM_F_REQUEST|NLM_F_CREATE
	)
	nh4 := func(id, gw, oif string) string {
		return "01010034" + nlmsg("30", newNH, replace) + // FPM header: 52 bytes
			"02000b00" + "00000000" + // nhmsg: AF_INET, scope 0, zebra, resvd; flags
			"08000100" + id + // NHA_ID
			"08000600" + gw + // NHA_GATEWAY
			"08000500" + oif // NHA_OIF
	}
	v4rtmsg := func(typ string) string {
		return "02180000" + // AF_INET, dst_len 24, src_len, tos
			"feba00" + typ + // table 254, bgp, scope universe, rtm_type
			"00000000" // rtm_flags
	}
	tests := []struct {
		name string
		cfg  Config
		seq  func(*Table) iter.Seq2[Frame, error]
		want func(dst string) []string // dst: RTA_DST's bytes in hex
	}{
		{
			name: "nhg single",
			cfg:  base(1, 0, 0, true),
			seq:  (*Table).Load,
			want: func(dst string) []string {
				return []string{
					nh4("15000000", "0a01000a", "02000000"), // id 21 via 10.1.0.10 ifindex 2
					"01010038" + nlmsg("34", newRoute, replace) + v4rtmsg("01") + // 56 bytes, unicast
						"08000100" + dst + // RTA_DST
						"0800060014000000" + // RTA_PRIORITY 20
						"08001e0015000000", // RTA_NH_ID 21
				}
			},
		},
		{
			name: "nhg ecmp",
			cfg:  base(1, 0, 1, true),
			seq:  (*Table).Load,
			want: func(dst string) []string {
				return []string{
					nh4("15000000", "0a01000a", "02000000"), // id 21 via 10.1.0.10 ifindex 2
					nh4("16000000", "0a02000a", "03000000"), // id 22 via 10.2.0.10 ifindex 3
					"01010038" + nlmsg("34", newNH, replace) + // FPM: 56 bytes
						"00000b00" + "00000000" + // nhmsg: AF_UNSPEC (a group), zebra
						"0800010017000000" + // NHA_ID 23
						"14000200" + // NHA_GROUP, two struct nexthop_grp
						"15000000" + "00000000" + // id 21, weight-1 0, reserved
						"16000000" + "00000000", // id 22
					"01010038" + nlmsg("34", newRoute, replace) + v4rtmsg("01") +
						"08000100" + dst + // RTA_DST
						"0800060014000000" + // RTA_PRIORITY 20
						"08001e0017000000", // RTA_NH_ID 23
				}
			},
		},
		{
			name: "no-nhg ecmp",
			cfg:  base(1, 0, 1, false),
			seq:  (*Table).Load,
			want: func(dst string) []string {
				return []string{
					"01010054" + nlmsg("50", newRoute, replace) + v4rtmsg("01") + // 84 bytes
						"08000100" + dst + // RTA_DST
						"0800060014000000" + // RTA_PRIORITY 20
						"24000980" + // RTA_MULTIPATH | NLA_F_NESTED, 32 bytes
						"10000000" + "02000000" + // rtnh_len 16, flags 0, hops 0; ifindex 2
						"080005000a01000a" + // RTA_GATEWAY 10.1.0.10
						"10000000" + "03000000" + // ifindex 3
						"080005000a02000a", // RTA_GATEWAY 10.2.0.10
				}
			},
		},
		{
			name: "no-nhg v6",
			cfg:  base(0, 1, 0, false),
			seq:  (*Table).Load,
			want: func(dst string) []string {
				return []string{
					"01010058" + nlmsg("54", newRoute, create) + // 88 bytes; IPv6: no NLM_F_REPLACE
						"0a300000" + // AF_INET6, dst_len 48
						"feba0001" + "00000000" + // table 254, bgp, universe, unicast; flags
						"14000100" + dst + // RTA_DST
						"0800060014000000" + // RTA_PRIORITY 20
						"14000500" + "fd00000100000000000000000000000a" + // RTA_GATEWAY fd00:1::a
						"0800040002000000", // RTA_OIF 2
				}
			},
		},
		{
			name: "delete v6",
			cfg:  func() Config { c := base(0, 1, 0, true); c.Withdraw = 1; return c }(),
			seq:  (*Table).Withdrawals,
			want: func(dst string) []string {
				return []string{
					"0101003c" + nlmsg("38", delRoute, create) + // 60 bytes
						"0a300000" + // AF_INET6, dst_len 48
						"feba0000" + "00000000" + // table 254, bgp, universe, rtm_type 0
						"14000100" + dst + // RTA_DST
						"0800060014000000", // RTA_PRIORITY 20
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab := mustNew(t, tt.cfg)
			p := onlyPrefix(t, tab)
			want := tt.want(hexOf(p.Addr().AsSlice()))
			var got []string
			for f, err := range tt.seq(tab) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, hexOf(f.Bytes))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("frames (-want +got):\n%s", diff)
			}
		})
	}
}

// onlyPrefix returns the prefix of a one-route table, withdrawn or not.
func onlyPrefix(tb testing.TB, t *Table) netip.Prefix {
	tb.Helper()
	if len(t.fams) != 1 || t.fams[0].n != 1 {
		tb.Fatalf("table of %d families, not one route", len(t.fams))
	}
	p, _ := t.fams[0].route(0)
	return p
}

func hexOf(b []byte) string { return hex.EncodeToString(b) }

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		err  string
	}{
		{name: "negative", edit: func(c *Config) { c.V4 = -1 }, err: "v4: -1 prefixes"},
		{name: "ecmp share", edit: func(c *Config) { c.ECMP = 1.5 }, err: "ecmp: share 1.5"},
		{name: "withdraw share", edit: func(c *Config) { c.Withdraw = -0.1 }, err: "withdraw: share -0.1"},
		{name: "max paths", edit: func(c *Config) { c.MaxPaths = 1 }, err: "max paths: 1"},
		{name: "no peers", edit: func(c *Config) { c.V6Peers = nil }, err: "ipv6 peers: none for 223000 prefixes"},
		{name: "one peer ecmp", edit: func(c *Config) { c.V4Peers = c.V4Peers[:1] }, err: "ipv4 peers: ECMP 0.1 needs at least 2"},
		{name: "wrong family", edit: func(c *Config) { c.V4Peers[0].Gateway = netip.MustParseAddr("fd00::1") },
			err: "ipv4 peers: gateway fd00::1 is not an ipv4 address"},
		{name: "no ifindex", edit: func(c *Config) { c.V6Peers[1].Ifindex = 0 }, err: "ipv6 peers: gateway fd00:1::b without an ifindex"},
		{name: "twice", edit: func(c *Config) { c.V4Peers[1] = c.V4Peers[0] }, err: "ipv4 peers: 10.1.0.10 ifindex 2 listed twice"},
		{name: "table", edit: func(c *Config) { c.Table = 0 }, err: "table: 0"},
		{name: "too many", edit: func(c *Config) { c.V4 = 20_000_000 }, err: "prefixes of /20 asked, public space holds 903868"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.edit(&cfg)
			_, err := New(cfg)
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("error %v, want one containing %q", err, tt.err)
			}
		})
	}
}

// TestTableAbove255 checks zebra's encoding of a large table id: rtm_table
// RT_TABLE_UNSPEC and RTA_TABLE.
func TestTableAbove255(t *testing.T) {
	cfg := DefaultConfig()
	cfg.V4, cfg.V6, cfg.Table = 100, 100, 1000
	tab := mustNew(t, cfg)
	sink := newFakeSink(t)
	f := zebra.NewFeed(sink, zebra.Options{})
	if err := f.Connected(context.Background(), 1, nil); err != nil {
		t.Fatal(err)
	}
	feed(t, f, 1, tab.Load())
	want := tab.ExpectedRoutes()
	if want[0].Table != 1000 {
		t.Fatalf("expected table %d", want[0].Table)
	}
	if diff := diffRoutes(keyed(want), sink.routes); diff != "" {
		t.Fatal(diff)
	}
	for fr, err := range tab.Load() {
		if err != nil {
			t.Fatal(err)
		}
		ms, _ := zebra.UnmarshalMessages(fr.Bytes[fpm.HeaderLen:])
		if rm := ms[0].Route; rm != nil && (rm.Table != 0 || rm.Attributes.Table != 1000) {
			t.Fatalf("rtm_table %d, RTA_TABLE %d", rm.Table, rm.Attributes.Table)
		}
	}
}

// diffRoutes compares two tables route by route (cmp.Diff on tens of
// thousands of routes is slow under the race detector) and describes the
// first differences.
func diffRoutes(want, got map[rib.Key]rib.Route) string {
	var b strings.Builder
	n := 0
	note := func(format string, a ...any) {
		if n < 10 {
			fmt.Fprintf(&b, format+"\n", a...)
		}
		n++
	}
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok:
			note("missing %s", w)
		case w.Kind != g.Kind || w.Source != g.Source || w.Protocol != g.Protocol || !slices.Equal(w.Paths, g.Paths):
			note("%s (-want +got):\n%s", k, cmp.Diff(w, g, cmpOpts))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			note("unexpected %s", g)
		}
	}
	if n > 10 {
		fmt.Fprintf(&b, "... %d differences in all\n", n)
	}
	return b.String()
}
