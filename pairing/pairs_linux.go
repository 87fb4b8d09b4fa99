package pairing

import (
	"context"
	"errors"
	"maps"
	"slices"

	"go.fd.io/govpp/api"
)

// refreshPairs reads VPP's interfaces and linux-cp pairs, creates the
// declared pairs and VLAN sub-interfaces that are missing, and resolves
// the table. It never deletes a pair. After a VPP restart it also
// restores the pairs the dead VPP had in our namespace (declared or not);
// otherwise a pair someone else made and deleted stays deleted.
func (w *Watcher) refreshPairs(ctx context.Context) error {
	ifs, err := w.vpp.interfaces(ctx)
	if err != nil {
		return err
	}
	lcps, err := w.vpp.pairs(ctx)
	if err != nil {
		return err
	}
	byName := map[string]uint32{}
	for sw, i := range ifs {
		byName[i.Name] = sw
	}
	paired := map[uint32]bool{}
	for _, p := range lcps {
		paired[p.Phy] = true
	}
	changed := false
	ensure := func(vppName, host string, sw uint32) error {
		if paired[sw] {
			return nil
		}
		err := w.vpp.addPair(ctx, sw, host, ifs[sw].P2P, w.cfg.LCPNetns)
		var ve api.VPPApiError
		switch {
		case err == nil:
			w.log.Info("linux-cp pair created", "vpp", vppName, "sw_if_index", sw, "linux", host)
			w.created[vppName] = host
			paired[sw] = true
			changed = true
		case errors.As(err, &ve):
			w.log.Warn("linux-cp pair refused", "vpp", vppName, "linux", host, "err", err)
		default:
			return err
		}
		return nil
	}
	// Declared pairs, then those seen before a VPP restart.
	want := map[string]string{}
	for _, p := range w.cfg.Pairs {
		want[p.VPP] = p.Linux
	}
	if w.restore {
		for v, h := range w.known {
			if _, ok := want[v]; !ok {
				want[v] = h
			}
		}
	}
	for _, v := range slices.Sorted(maps.Keys(want)) {
		sw, ok := byName[v]
		if !ok {
			// A restored VLAN sub-interface is made below, if declared.
			if slices.ContainsFunc(w.cfg.Pairs, func(p PairSpec) bool { return p.VPP == v }) {
				w.log.Warn("VPP has no interface to pair", "vpp", v)
			}
			continue
		}
		if err := ensure(v, want[v], sw); err != nil {
			return err
		}
	}
	for _, vl := range w.cfg.VLANs {
		parent, ok := byName[vl.Parent]
		if !ok {
			continue
		}
		sub, found := uint32(0), false
		for sw, i := range ifs {
			if i.Sup == parent && sw != parent && i.VLAN == vl.VLAN {
				sub, found = sw, true
			}
		}
		if !found {
			if sub, err = w.vpp.createVLAN(ctx, parent, vl.VLAN); err != nil {
				var ve api.VPPApiError
				if !errors.As(err, &ve) {
					return err
				}
				w.log.Warn("VLAN sub-interface not created", "vpp", vl.Parent, "vlan", vl.VLAN, "err", err)
				continue
			}
			w.log.Info("VLAN sub-interface created", "vpp", vl.Parent, "vlan", vl.VLAN, "sw_if_index", sub)
			changed = true
			if ifs, err = w.vpp.interfaces(ctx); err != nil {
				return err
			}
		}
		if err := ensure(ifs[sub].Name, vl.Linux, sub); err != nil {
			return err
		}
	}
	if changed {
		if ifs, err = w.vpp.interfaces(ctx); err != nil {
			return err
		}
		if lcps, err = w.vpp.pairs(ctx); err != nil {
			return err
		}
	}
	w.vppIfs, w.lcps = ifs, lcps
	// Remember every pair in our namespace, so a VPP restart restores it.
	w.restore = false
	w.known = map[string]string{}
	for _, p := range lcps {
		if w.ours(p) {
			w.known[ifs[p.Phy].Name] = p.HostName
		}
	}
	w.resolve()
	return nil
}

// ours reports whether a pair's host side is in the watched namespace.
func (w *Watcher) ours(p lcpPair) bool {
	return p.Netns == w.cfg.LCPNetns || p.Netns == "" && w.cfg.LCPNetns == ""
}

// resolve rebuilds the ifindex -> sw_if_index table from VPP's pairs and
// the mirror's links, publishes it and, when it changed, calls OnChange.
func (w *Watcher) resolve() {
	t := &pairTable{byIfindex: map[uint32]uint32{}}
	for _, p := range w.lcps {
		if !w.ours(p) {
			continue
		}
		info := PairInfo{VPP: w.vppIfs[p.Phy].Name, SwIfIndex: p.Phy, Linux: p.HostName}
		_, info.Created = w.created[info.VPP]
		if i, ok := w.linux.ifindexByName(p.HostName); ok {
			info.Ifindex = uint32(i)
			t.byIfindex[uint32(i)] = p.Phy
		}
		t.list = append(t.list, info)
	}
	slices.SortFunc(t.list, func(a, b PairInfo) int { return int(a.SwIfIndex) - int(b.SwIfIndex) })
	old := w.table.Swap(t)
	if maps.Equal(old.byIfindex, t.byIfindex) {
		return
	}
	// What the Watcher knew of an interface that was not paired with the
	// same Linux interface before is stale: read it again before a flush.
	for ifindex, sw := range t.byIfindex {
		if o, ok := old.byIfindex[ifindex]; !ok || o != sw {
			delete(w.applied, sw)
		}
	}
	w.log.Info("pair table changed", "pairs", len(t.byIfindex))
	// A newly paired interface is brought to Linux's state in full.
	w.dirty.all = true
	if w.cfg.OnChange != nil {
		w.cfg.OnChange()
	}
}
