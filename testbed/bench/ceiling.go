package main

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/fib_types"
	"go.fd.io/govpp/binapi/ip"
	"go.fd.io/govpp/binapi/memclnt"
	"go.fd.io/govpp/core"

	"github.com/lcpfib/lcpfib/rib"
	"github.com/lcpfib/lcpfib/testbed/fulltable"
	"github.com/lcpfib/lcpfib/vpp"
)

// ceilingResult is the bare GoVPP add loop's run.
type ceilingResult struct {
	Routes  int
	Start   time.Time
	Took    time.Duration // first request sent to last reply received
	Flush   time.Duration // deleting the table afterwards
	CPU     cpuUse
	Samples []sample
}

// runCeiling adds every route of tab into a table of its own with the
// plainest pipelined GoVPP loop: one stream, one ip_route_add_del per
// route (is_multipath=0, as lcpfib sends them), window requests in
// flight, one goroutine sending and one receiving. It is what lcpfib
// could reach if it cost nothing. The table is deleted afterwards.
func runCeiling(ctx context.Context, t *target, tab *fulltable.Table, tableID uint32, window int, every time.Duration, cpu func() cpuSnap) (ceilingResult, error) {
	var res ceilingResult
	paths := map[*rib.Path][]fib_types.FibPath{} // routes share their Paths slices
	for r := range tab.Expected() {
		if _, ok := paths[&r.Paths[0]]; !ok {
			fp, err := t.fibPaths(r.Paths)
			if err != nil {
				return res, err
			}
			paths[&r.Paths[0]] = fp
		}
		res.Routes++
	}
	if err := t.tableAddDel(ctx, tableID, true); err != nil {
		return res, err
	}
	ok := false
	defer func() {
		if !ok {
			// Leave no table behind in a real VPP, even when interrupted.
			dctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_ = t.tableAddDel(dctx, tableID, false)
		}
	}()

	s, err := t.conn.NewStream(ctx, core.WithRequestSize(window), core.WithReplySize(window+1), core.WithReplyTimeout(t.timeout))
	if err != nil {
		return res, fmt.Errorf("ceiling: opening stream: %w", err)
	}
	defer s.Close()
	// GoVPP v0.13.0: finish one request/reply on a fresh stream before
	// pipelining on it.
	if err := s.SendMsg(&memclnt.ControlPing{}); err != nil {
		return res, fmt.Errorf("ceiling: control_ping: %w", err)
	}
	if _, err := s.RecvMsg(); err != nil {
		return res, fmt.Errorf("ceiling: control_ping: %w", err)
	}

	var done atomic.Int64
	c0 := cpu()
	smp := startSampler(every, func() (int, bool) { return int(done.Load()), true })
	slots := make(chan struct{}, window)
	recvErr := make(chan error, 1)
	t0 := time.Now()
	go func() {
		for i := range res.Routes {
			m, err := s.RecvMsg()
			if err != nil {
				recvErr <- fmt.Errorf("ceiling: reply %d of %d: %w", i+1, res.Routes, err)
				return
			}
			r, ok := m.(*ip.IPRouteAddDelReply)
			if !ok {
				recvErr <- fmt.Errorf("ceiling: reply %d: unexpected %s", i+1, m.GetMessageName())
				return
			}
			if err := api.RetvalToVPPApiError(r.Retval); err != nil {
				recvErr <- fmt.Errorf("ceiling: route %d of %d: %w", i+1, res.Routes, err)
				return
			}
			done.Add(1)
			<-slots
		}
		recvErr <- nil
	}()
	var sendErr error
send:
	for r := range tab.Expected() {
		// Built as it goes, as any client would; the paths are shared.
		fp := paths[&r.Paths[0]]
		m := &ip.IPRouteAddDel{IsAdd: true}
		m.Route.TableID = tableID
		m.Route.Prefix = vpp.ToPrefix(r.Prefix)
		m.Route.NPaths = uint8(len(fp))
		m.Route.Paths = fp
		select {
		case slots <- struct{}{}:
		case err := <-recvErr:
			sendErr = errors.Join(err, errors.New("ceiling: the receiver stopped early"))
			break send
		case <-ctx.Done():
			sendErr = ctx.Err()
			break send
		}
		if err := s.SendMsg(m); err != nil {
			sendErr = fmt.Errorf("ceiling: sending: %w", err)
			break
		}
	}
	if sendErr != nil {
		smp.stop()
		return res, sendErr
	}
	if err := <-recvErr; err != nil {
		smp.stop()
		return res, err
	}
	res.Start, res.Took = t0, time.Since(t0)
	res.Samples = smp.stop()
	res.CPU = c0.to(cpu())

	f0 := time.Now()
	if err := t.tableAddDel(ctx, tableID, false); err != nil {
		return res, err
	}
	res.Flush = time.Since(f0)
	ok = true
	return res, nil
}

// fibPaths converts generated paths (gateway and Linux ifindex) to VPP
// paths through the paired interfaces.
func (t *target) fibPaths(ps []rib.Path) ([]fib_types.FibPath, error) {
	out := make([]fib_types.FibPath, 0, len(ps))
	for _, p := range ps {
		i, err := t.pairOf(p.Ifindex)
		if err != nil {
			return nil, err
		}
		fp := fib_types.FibPath{SwIfIndex: t.sw[i], Weight: 1, Proto: vpp.NhProto(p.Gateway)}
		fp.Nh.Address = vpp.ToUnion(p.Gateway)
		out = append(out, fp)
	}
	return out, nil
}

// pairOf returns which link (0: eth0, 1: eth1) a Linux ifindex is.
func (t *target) pairOf(ifindex uint32) (int, error) {
	for i, x := range t.ifindex {
		if x == ifindex {
			return i, nil
		}
	}
	return 0, fmt.Errorf("ifindex %d is neither eth0's nor eth1's (%v)", ifindex, t.ifindex)
}
