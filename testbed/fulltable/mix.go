package fulltable

import (
	"math"
	"slices"
)

// share is a prefix length and its share of its family's table, in
// percent. counted marks the shares FULL-TABLE.md gives as counts rather
// than as rounded percentages.
type share struct {
	bits    int
	pct     float64
	counted bool
}

// The prefix-length mix of FULL-TABLE.md. The percentages are rounded to
// 0.01 %: IPv4's add up to 100.02 %, IPv6's to 100.01 %. The /8 to /11 are
// given as counts in a table of DefaultV4 prefixes (0.0294 %, written as
// 0.03 %) and scale with the table.
var (
	v4Shares = []share{
		{24, 62.24, false}, {22, 12.02, false}, {23, 10.00, false}, {20, 5.00, false},
		{21, 5.00, false}, {19, 2.50, false}, {16, 1.30, false}, {18, 1.00, false},
		{17, 0.60, false}, {15, 0.12, false}, {14, 0.10, false}, {13, 0.07, false},
		{12, 0.04, false},
		{8, 100 * 16.0 / DefaultV4, true}, {9, 100 * 40.0 / DefaultV4, true},
		{10, 100 * 100.0 / DefaultV4, true}, {11, 100 * 150.0 / DefaultV4, true},
	}
	v6Shares = []share{
		{48, 50.45, false}, {32, 14.35, false}, {44, 9.87, false}, {40, 7.17, false},
		{29, 4.04, false}, {36, 3.59, false}, {46, 1.79, false}, {42, 1.35, false},
		{47, 1.35, false}, {33, 1.12, false}, {45, 1.12, false}, {34, 0.90, false},
		{30, 0.67, false}, {38, 0.67, false}, {43, 0.67, false}, {41, 0.45, false},
		{28, 0.27, false}, {64, 0.18, false},
	}
)

// LengthCount is how many prefixes of one length a table holds.
type LengthCount struct {
	Bits  int
	Count int
}

// mixCounts turns the shares of a family into counts that add up to n.
//
// Each count starts as its share of n, rounded. The shares add up to a
// little more than 100 %, so the counts must then lose the excess (or make
// up a shortfall) one prefix at a time. Each step changes the length whose
// share moves least relative to its size, among those that stay within
// the rounding of their figure: half a unit of 0.01 % of n, plus half a
// prefix (half a prefix for the lengths given as counts). The excess is
// thus spread over the lengths like a normalisation, except that no length
// leaves the figure FULL-TABLE.md gives for it.
func mixCounts(n int, shares []share) []LengthCount {
	counts := make([]LengthCount, len(shares))
	exact := make([]float64, len(shares))
	band := make([]float64, len(shares))
	sum := 0
	for i, s := range shares {
		exact[i] = float64(n) * s.pct / 100
		band[i] = 0.5
		if !s.counted {
			band[i] += float64(n) * 0.005 / 100
		}
		counts[i] = LengthCount{Bits: s.bits, Count: int(exact[i] + 0.5)}
		sum += counts[i].Count
	}
	for sum != n {
		step := 1
		if sum > n {
			step = -1
		}
		best, bestDev, fallback := -1, math.Inf(1), 0
		for i := range counts {
			c := counts[i].Count + step
			if exact[i] > exact[fallback] {
				fallback = i
			}
			if c < 0 || math.Abs(float64(c)-exact[i]) > band[i]+1e-9 || exact[i] == 0 {
				continue
			}
			if dev := math.Abs(float64(c)-exact[i]) / exact[i]; dev < bestDev {
				best, bestDev = i, dev
			}
		}
		if best < 0 {
			best = fallback // a table too small for the bands
			if counts[best].Count+step < 0 {
				best = slices.IndexFunc(counts, func(c LengthCount) bool { return c.Count > 0 })
			}
		}
		counts[best].Count += step
		sum += step
	}
	return counts
}

// v4Counts and v6Counts are the mix of a table of n prefixes.
func v4Counts(n int) []LengthCount { return mixCounts(n, v4Shares) }
func v6Counts(n int) []LengthCount { return mixCounts(n, v6Shares) }
