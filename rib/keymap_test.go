package rib

import (
	"maps"
	"net/netip"
	"testing"
)

func TestMap(t *testing.T) {
	keys := []struct {
		k       Key
		compact bool
	}{
		{Key{Table: 254, Prefix: netip.MustParsePrefix("192.0.2.0/24")}, true},
		{Key{Table: 254, Prefix: netip.MustParsePrefix("255.255.255.255/32")}, true},
		{Key{Table: 0, Prefix: netip.MustParsePrefix("0.0.0.0/0")}, true},
		{Key{Table: 255, Prefix: netip.MustParsePrefix("::/0")}, true},
		{Key{Table: 254, Prefix: netip.MustParsePrefix("2001:db8:ffff::/48")}, true},
		{Key{Table: 254, Prefix: netip.MustParsePrefix("2001:db8:ffff:1::/64")}, false}, // longer than /48
		{Key{Table: 254, Prefix: netip.MustParsePrefix("2001:db8::1/128")}, false},
		{Key{Table: 254, Prefix: netip.MustParsePrefix("::ffff:192.0.2.0/120")}, false}, // IPv4-mapped IPv6 stays IPv6
		{Key{Table: 256, Prefix: netip.MustParsePrefix("192.0.2.0/24")}, false},         // table too large
		{Key{Table: 1000, Prefix: netip.MustParsePrefix("2001:db8::/32")}, false},
		{LSPKey(254, 100), true},
		{LSPKey(254, 1<<20-1), true},
		{LSPKey(1<<20, 16), false},
	}
	var m Map[int]
	want := map[Packed]int{}
	for i, tc := range keys {
		p := tc.k.Pack()
		c, ok := p.compact()
		if ok != tc.compact {
			t.Errorf("%v: compact %v, want %v", tc.k, ok, tc.compact)
		}
		if ok && expand(c) != p {
			t.Errorf("%v: expands to %v", tc.k, expand(c).Key())
		}
		m.Set(p, i)
		want[p] = i
	}
	// IPv4 and IPv6 keys of the same bits stay apart.
	if _, ok := m.Get(Key{Table: 254, Prefix: netip.MustParsePrefix("::/24")}.Pack()); ok {
		t.Error("an IPv6 key found an IPv4 one")
	}
	if m.Len() != len(keys) {
		t.Fatalf("Len %d, want %d", m.Len(), len(keys))
	}
	for p, i := range want {
		if got, ok := m.Get(p); !ok || got != i {
			t.Errorf("Get(%v) = %d, %v; want %d", p.Key(), got, ok, i)
		}
	}
	if got := maps.Collect(m.All()); !maps.Equal(got, want) {
		t.Errorf("All gave %v, want %v", got, want)
	}
	for p := range want {
		m.Delete(p)
	}
	if m.Len() != 0 {
		t.Fatalf("Len %d after deleting everything", m.Len())
	}
}

// TestMapChurn checks the open-addressing table against a Go map through
// growth, deletes during All (deleted slots), re-adds and rebuilds.
func TestMapChurn(t *testing.T) {
	var m Map[int]
	want := map[Packed]int{}
	key := func(i int) Packed {
		return Key{Table: 254, Prefix: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 32)}.Pack()
	}
	for round := range 4 {
		for i := range 20_000 {
			v, _ := m.Ref(key(i))
			*v = i + round
			want[key(i)] = i + round
		}
		for p, v := range m.All() {
			if v%2 == 0 {
				m.Delete(p)
				delete(want, p)
			}
		}
		if m.Len() != len(want) {
			t.Fatalf("round %d: Len %d, want %d", round, m.Len(), len(want))
		}
		if got := maps.Collect(m.All()); !maps.Equal(got, want) {
			t.Fatalf("round %d: All differs from the Go map (%d against %d keys)", round, len(got), len(want))
		}
		for i := range 20_000 {
			got, ok := m.Get(key(i))
			if w, wok := want[key(i)]; ok != wok || got != w {
				t.Fatalf("round %d: Get(%d) = %d, %v; want %d, %v", round, i, got, ok, w, wok)
			}
		}
	}
}
