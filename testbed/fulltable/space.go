package fulltable

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"sort"
)

// Address space is handled as unsigned integers of width bits: the whole
// IPv4 address, or the upper 64 bits of an IPv6 address (every IPv6 length
// of the mix is /64 or shorter).
const (
	width4 = 32
	width6 = 64
)

// Where prefixes are drawn from: IPv4 unicast and IPv6 global unicast
// (2000::/3), less special-purpose blocks (RFC 6890 and friends) that do
// not appear in the Internet table.
var (
	universe4 = netip.MustParsePrefix("0.0.0.0/0")
	universe6 = netip.MustParsePrefix("2000::/3")

	bogons4 = []netip.Prefix{
		netip.MustParsePrefix("0.0.0.0/8"),       // this network
		netip.MustParsePrefix("10.0.0.0/8"),      // private
		netip.MustParsePrefix("100.64.0.0/10"),   // shared address space (CGN)
		netip.MustParsePrefix("127.0.0.0/8"),     // loopback
		netip.MustParsePrefix("169.254.0.0/16"),  // link local
		netip.MustParsePrefix("172.16.0.0/12"),   // private
		netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
		netip.MustParsePrefix("192.0.2.0/24"),    // TEST-NET-1
		netip.MustParsePrefix("192.88.99.0/24"),  // 6to4 relay anycast (deprecated)
		netip.MustParsePrefix("192.168.0.0/16"),  // private
		netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
		netip.MustParsePrefix("198.51.100.0/24"), // TEST-NET-2
		netip.MustParsePrefix("203.0.113.0/24"),  // TEST-NET-3
		netip.MustParsePrefix("224.0.0.0/3"),     // multicast, reserved, broadcast
	}
	bogons6 = []netip.Prefix{
		netip.MustParsePrefix("2001::/23"),     // IETF protocol assignments (Teredo, ORCHID, ...)
		netip.MustParsePrefix("2001:db8::/32"), // documentation
		netip.MustParsePrefix("2002::/16"),     // 6to4
		netip.MustParsePrefix("3fff::/20"),     // documentation (RFC 9637)
	}
)

// span is an inclusive range of the integer address space.
type span struct{ lo, hi uint64 }

// spanOf is the range a prefix covers, at the given width.
func spanOf(p netip.Prefix, width int) span {
	var v uint64
	if width == width4 {
		b := p.Addr().As4()
		v = uint64(binary.BigEndian.Uint32(b[:]))
	} else {
		b := p.Addr().As16()
		v = binary.BigEndian.Uint64(b[:8])
	}
	host := width - p.Bits()
	if host >= 64 {
		return span{0, ^uint64(0)}
	}
	return span{v, v | (uint64(1)<<host - 1)}
}

// allowed is the universe less the bogons, as sorted disjoint spans.
func allowed(universe netip.Prefix, bogons []netip.Prefix, width int) []span {
	u := spanOf(universe, width)
	holes := make([]span, len(bogons))
	for i, b := range bogons {
		holes[i] = spanOf(b, width)
	}
	slices.SortFunc(holes, func(a, b span) int {
		switch {
		case a.lo < b.lo:
			return -1
		case a.lo > b.lo:
			return 1
		}
		return 0
	})
	var out []span
	next := u.lo // first address not yet decided
	done := false
	for _, h := range holes {
		if done || h.hi < next {
			continue
		}
		if h.lo > u.hi {
			break
		}
		if h.lo > next {
			out = append(out, span{next, h.lo - 1})
		}
		if h.hi >= u.hi {
			done = true
			continue
		}
		next = h.hi + 1
	}
	if !done && next <= u.hi {
		out = append(out, span{next, u.hi})
	}
	return out
}

// blocks are the aligned prefixes of one length that lie wholly inside
// the allowed space, numbered 0 to n-1 in address order.
type blocks struct {
	bits  int
	width int
	runs  []blockRun
	n     uint64
}

// blockRun is a stretch of consecutive blocks: the first block number (the
// address shifted right by the block size) and how many; start is the
// number of the first one among all blocks.
type blockRun struct {
	first, count, start uint64
}

func newBlocks(spans []span, width, bits int) (blocks, error) {
	if bits < 1 || bits > width {
		return blocks{}, fmt.Errorf("prefix length /%d out of range", bits)
	}
	shift := uint(width - bits)
	size := uint64(1) << shift
	bl := blocks{bits: bits, width: width}
	for _, s := range spans {
		first := s.lo >> shift
		if s.lo&(size-1) != 0 {
			first++
		}
		// end is one past the last whole block; hi+1 cannot overflow
		// because no span reaches the top of a 64-bit space (2000::/3
		// ends at 3fff:...).
		end := (s.hi + 1) >> shift
		if end > first {
			bl.runs = append(bl.runs, blockRun{first: first, count: end - first, start: bl.n})
			bl.n += end - first
		}
	}
	return bl, nil
}

// prefix returns block number i.
func (bl *blocks) prefix(i uint64) netip.Prefix {
	r := sort.Search(len(bl.runs), func(j int) bool { return bl.runs[j].start+bl.runs[j].count > i })
	run := bl.runs[r]
	v := (run.first + i - run.start) << uint(bl.width-bl.bits)
	if bl.width == width4 {
		var a [4]byte
		binary.BigEndian.PutUint32(a[:], uint32(v))
		return netip.PrefixFrom(netip.AddrFrom4(a), bl.bits)
	}
	var a [16]byte
	binary.BigEndian.PutUint64(a[:8], v)
	return netip.PrefixFrom(netip.AddrFrom16(a), bl.bits)
}
