package rib

// keyQueue is the queue of dirty keys: blocks of a fixed size, so that it
// grows without copying what it holds (a slice that is appended to at one
// end and taken from at the other reallocates and copies as a table
// loads) and gives back each block as soon as it has been taken.
type keyQueue struct {
	blocks [][]Packed // each of cap queueBlock; the first from head on
	head   int
	n      int
}

const queueBlock = 4096

func (q *keyQueue) len() int { return q.n }

func (q *keyQueue) push(pk Packed) {
	if len(q.blocks) == 0 || len(q.blocks[len(q.blocks)-1]) == queueBlock {
		q.blocks = append(q.blocks, make([]Packed, 0, queueBlock))
	}
	last := &q.blocks[len(q.blocks)-1]
	*last = append(*last, pk)
	q.n++
}

// pop calls each for up to max keys, oldest first, and removes them.
func (q *keyQueue) pop(max int, each func(int, Packed)) {
	for i := 0; i < max && q.n > 0; {
		b := q.blocks[0]
		take := min(max-i, len(b)-q.head)
		for _, pk := range b[q.head : q.head+take] {
			each(i, pk)
			i++
		}
		q.head += take
		q.n -= take
		if q.head == len(b) && (len(b) == queueBlock || q.n == 0) {
			q.blocks[0] = nil
			q.blocks = q.blocks[1:]
			q.head = 0
		}
	}
	if q.n == 0 {
		q.blocks, q.head = nil, 0
	}
}
