package fulltable

import "math/bits"

// mix64 is the splitmix64 finaliser: a fast bijective hash of 64 bits.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// keys derives independent keys from a seed, one per purpose.
type keys struct{ state uint64 }

func (k *keys) next() uint64 {
	k.state += 0x9e3779b97f4a7c15
	return mix64(k.state)
}

// perm is a keyed pseudo-random permutation of [0, n): a balanced Feistel
// network on the smallest even number of bits that holds n, restricted to
// [0, n) by cycle walking. It lets the i-th element of a shuffled sequence
// be computed directly, so that drawing n distinct values needs no memory.
type perm struct {
	n    uint64
	half uint
	mask uint64
	key  [feistelRounds]uint64
}

const feistelRounds = 4

func newPerm(n uint64, k *keys) perm {
	b := uint(2)
	if n > 1 {
		b = uint(bits.Len64(n - 1))
	}
	b += b & 1
	p := perm{n: n, half: b / 2, mask: uint64(1)<<(b/2) - 1}
	for i := range p.key {
		p.key[i] = k.next()
	}
	return p
}

// at returns the image of i < n.
func (p *perm) at(i uint64) uint64 {
	x := i
	for {
		l, r := x>>p.half, x&p.mask
		for _, k := range p.key {
			l, r = r, l^(mix64(r^k)&p.mask)
		}
		x = l<<p.half | r
		// The network permutes [0, 2^(2*half)), fewer than 4n values:
		// walking the cycle from i reaches a value below n in a few steps.
		if x < p.n {
			return x
		}
	}
}
