package rib

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestQueryAndCounts(t *testing.T) {
	r := startRIB(t, Options{})
	ctx := context.Background()
	t100 := route(SourceFRR, "192.0.2.0/25", via("10.0.0.2", 2))
	t100.Table = 100
	for _, u := range []Update{
		{Source: SourceFRR, Set: []Route{
			route(SourceFRR, "198.51.100.0/24", via("10.0.0.2", 2)),
			route(SourceFRR, "192.0.2.0/24", via("10.0.0.2", 2)),
			route(SourceFRR, "2001:db8::/32", via("2001:db8::2", 2)),
			t100,
		}},
		{Source: SourceBIRD, Set: []Route{
			route(SourceBIRD, "192.0.2.0/24", via("10.0.1.2", 3)), // FRR wins
			route(SourceBIRD, "192.0.2.128/25", via("10.0.1.2", 3)),
		}},
	} {
		if err := r.Apply(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	// Apply queues; wait until the RIB goroutine has taken both updates.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if st, err := r.Stats(ctx); err == nil && st.Routes == 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the updates were not applied within 10s")
		}
	}
	keys := func(rs []Route) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Key.String()+" "+r.Source.String())
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		f       Filter
		want    []string
		matched int
	}{
		{"all, sorted by table then prefix", Filter{}, []string{
			"192.0.2.0/25 table 100 frr",
			"192.0.2.0/24 table 254 frr", "192.0.2.128/25 table 254 bird", "198.51.100.0/24 table 254 frr", "2001:db8::/32 table 254 frr",
		}, 5},
		{"table", Filter{Table: 100}, []string{"192.0.2.0/25 table 100 frr"}, 1},
		{"prefix overlaps", Filter{Table: 254, Prefix: netip.MustParsePrefix("192.0.2.200/32")},
			[]string{"192.0.2.0/24 table 254 frr", "192.0.2.128/25 table 254 bird"}, 2},
		{"limit", Filter{Limit: 2}, []string{"192.0.2.0/25 table 100 frr", "192.0.2.0/24 table 254 frr"}, 5},
		{"none", Filter{Prefix: netip.MustParsePrefix("203.0.113.0/24")}, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, matched, err := r.Query(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if matched != tc.matched {
				t.Errorf("matched %d, want %d", matched, tc.matched)
			}
			if diff := cmp.Diff(tc.want, keys(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	counts, err := r.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[TableSource]int{{254, SourceFRR}: 3, {254, SourceBIRD}: 2, {100, SourceFRR}: 1}
	if diff := cmp.Diff(want, counts); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
}
