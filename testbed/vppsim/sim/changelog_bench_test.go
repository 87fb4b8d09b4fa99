package sim

import (
	"net/netip"
	"runtime"
	"testing"
)

// BenchmarkChangeLog measures logging route changes (distinct /32s
// through one next hop, as a table feed does): the time a change adds to
// a request and the heap a change keeps. The default cap's 1.3 million
// changes take about 1.3e6 times B/change.
func BenchmarkChangeLog(b *testing.B) {
	table, err := newMsgTable(handlers())
	if err != nil {
		b.Fatal(err)
	}
	l := newChangeLog(table, b.N)
	t := &fibTable{}
	ps := []path{{kind: kindAttachedNextHop, weight: 1, swIfIndex: 1, nh: netip.MustParseAddr("192.0.2.1")}}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for i := range b.N {
		a := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		l.route(ChangeAdd, SourceAPI, t, netip.PrefixFrom(a, 32), ps)
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/float64(b.N), "B/change")
	runtime.KeepAlive(l)
}
