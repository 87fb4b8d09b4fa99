package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/fib_types"
	"go.fd.io/govpp/binapi/interface_types"
	"go.fd.io/govpp/binapi/mpls"

	"github.com/lcpfib/lcpfib/testbed/lab"
	"github.com/lcpfib/lcpfib/vpp"
)

// TestIntegrationZebraMPLS runs real zebra and staticd with `mpls lsp` and
// labelled static routes, and checks what lands in VPP.
//
// This kernel has no MPLS (no mpls_router module, no /proc/sys/net/mpls),
// so zebra says "Disabling MPLS support (no kernel support)" and refuses
// `mpls lsp` ("% MPLS not turned on in kernel, ignoring command"). The lab
// runs zebra with lab.FRROptions.FakeKernelMPLS: zebra then accepts the
// configuration, the kernel refuses to install it (EOPNOTSUPP, "LSP Install
// Failure"), and zebra's dataplane therefore keeps it from dplane_fpm_nl,
// which only sees it when zebra replays its tables on a new FPM
// connection. Every step below thus resets zebra's connection and waits
// for the replay.
func TestIntegrationZebraMPLS(t *testing.T) {
	for _, nhg := range []bool{false, true} {
		name := "nexthop groups"
		if !nhg {
			name = "no nexthop groups"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, lab.FRROptions{FakeKernelMPLS: true, NoNextHopGroups: !nhg})
			if out, err := e.frr.Vtysh("show mpls status"); err != nil || !strings.Contains(out, "enabled: yes") {
				t.Fatalf("zebra's MPLS is not on: %q, %v", out, err)
			}
			err := e.frr.Configure(
				"mpls lsp 100 10.0.0.2 200",
				"mpls lsp 101 10.0.0.2 implicit-null",
				"mpls lsp 102 10.0.0.2 200",
				"mpls lsp 102 10.0.1.2 201",
				"ip route 192.0.2.0/24 10.0.0.2 label 100/200",
				"ip route 198.51.100.0/24 10.0.0.2 label 100",
				"ip route 198.51.100.0/24 10.0.1.2 label 101",
			)
			if err != nil {
				t.Fatal(err)
			}
			eth0, eth1 := e.sw["eth0"], e.sw["eth1"]
			want := []string{
				fmt.Sprintf("ip 192.0.2.0/24 via 10.0.0.2 sw %d labels [100 200]", eth0),
				fmt.Sprintf("ip 198.51.100.0/24 via 10.0.0.2 sw %d labels [100]", eth0),
				fmt.Sprintf("ip 198.51.100.0/24 via 10.0.1.2 sw %d labels [101]", eth1),
			}
			if nhg {
				// The kernel refused the labelled member nexthops, and
				// zebra leaves members the kernel did not install out of
				// a group (zebra_nhg_nhe2grp): it sends the group's id as
				// one nexthop, its first, with nh_family AF_UNSPEC. With
				// a kernel that has MPLS both paths would come.
				want = want[:2]
			}
			for _, eos := range []int{0, 1} {
				want = append(want,
					fmt.Sprintf("mpls 100 eos %d via 10.0.0.2 sw %d labels [200]", eos, eth0),
					fmt.Sprintf("mpls 101 eos %d via 10.0.0.2 sw %d labels [3]", eos, eth0),
					fmt.Sprintf("mpls 102 eos %d via 10.0.0.2 sw %d labels [200]", eos, eth0),
					fmt.Sprintf("mpls 102 eos %d via 10.0.1.2 sw %d labels [201]", eos, eth1))
			}
			slices.Sort(want)
			e.replayMPLS(1)
			e.waitMPLS("after zebra's replay", want)
			if ifs := e.mplsInterfaces(); !slices.Equal(ifs, []uint32{min(eth0, eth1), max(eth0, eth1)}) {
				t.Fatalf("MPLS-enabled interfaces %v, want %d and %d", ifs, eth0, eth1)
			}

			// lcpfib restarts: zebra's replay costs VPP nothing.
			before := e.sim.RequestCounts()
			e.stopLcpfib()
			e.startLcpfib()
			e.waitZebra(1)
			e.waitReplay(1)
			e.waitMPLS("after lcpfib restarted", want)
			after := e.sim.RequestCounts()
			for _, m := range []string{"ip_route_add_del", "mpls_route_add_del", "mpls_table_add_del", "sw_interface_set_mpls_enable"} {
				if after[m] != before[m] {
					t.Errorf("the restarted lcpfib sent %s %d times", m, after[m]-before[m])
				}
			}

			// An LSP zebra dropped is swept at the end of the next replay.
			if err := e.frr.Configure("no mpls lsp 101"); err != nil {
				t.Fatal(err)
			}
			e.replayMPLS(2)
			want = slices.DeleteFunc(want, func(s string) bool { return strings.HasPrefix(s, "mpls 101 ") })
			e.waitMPLS("after no mpls lsp 101", want)

			// check compares the LSPs too: in sync, then LSP 100's EOS
			// entry removed behind lcpfib's back is reported missing.
			check := func() (int, checkView) {
				var o, er strings.Builder
				code := cli([]string{"check", "--json", "--socket", e.cfg.Control.Socket}, &o, &er)
				var v checkView
				if err := json.Unmarshal([]byte(o.String()), &v); err != nil {
					t.Fatalf("check --json: exit %d, %v\n%s%s", code, err, o.String(), er.String())
				}
				return code, v
			}
			if code, v := check(); code != exitInSync || !v.MPLS || v.LSPs != 2 || v.LSPsInVPP != 2 {
				t.Fatalf("check: exit %d, %+v", code, v)
			}
			ch, err := e.conn.NewAPIChannel()
			if err != nil {
				t.Fatal(err)
			}
			defer ch.Close()
			del := &mpls.MplsRouteAddDel{MrRoute: mpls.MplsRoute{MrLabel: 100, MrEos: 1}}
			if err := ch.SendRequest(del).ReceiveReply(&mpls.MplsRouteAddDelReply{}); err != nil {
				t.Fatal(err)
			}
			code, v := check()
			if code != exitDiffer || v.LSPsInVPP != 1 || len(v.Differences) != 1 || v.Differences[0].Prefix != "label 100" ||
				v.Differences[0].Cause != vpp.DiffMissing || !strings.Contains(v.Differences[0].Want, "labels 200") {
				t.Fatalf("check after LSP 100 lost its EOS entry: exit %d, %+v", code, v)
			}
		})
	}
}

// replayMPLS resets zebra's FPM connection and waits for the end of its
// n-th replay since lcpfib started.
func (e *labEnv) replayMPLS(n uint64) {
	e.t.Helper()
	c := e.d.fpm.Stats().Connections
	if _, err := e.d.fpm.Reset(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	e.waitZebra(c + 1)
	e.waitReplay(n)
}

// waitMPLS waits until VPP holds exactly want: the labelled IP paths of
// table 0 and lcpfib's entries of MPLS table 0, one line per path.
func (e *labEnv) waitMPLS(step string, want []string) {
	e.t.Helper()
	var have []string
	for deadline := time.Now().Add(20 * time.Second); ; {
		have = e.mplsFIB()
		if slices.Equal(want, have) {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s: VPP holds\n%s\nwant\n%s\n%s", step, strings.Join(have, "\n"), strings.Join(want, "\n"), e.stats())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (e *labEnv) mplsFIB() []string {
	e.t.Helper()
	ctx := context.Background()
	var out []string
	srcs, err := vpp.Sources(ctx, e.conn, 5*time.Second)
	if err != nil {
		e.t.Fatal(err)
	}
	es, err := vpp.DumpRoutes(ctx, e.conn, 0, false, 5*time.Second)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, en := range es {
		for _, p := range en.Paths {
			if en.Source == srcs["API"] && p.NLabels > 0 {
				out = append(out, fmt.Sprintf("ip %s via %s sw %d labels %v", en.Prefix,
					vpp.FromAddress(0, p.Nh.Address), p.SwIfIndex, labelsOf(p.NLabels, p.LabelStack[:])))
			}
		}
	}
	err = vpp.Dump(ctx, e.conn, &mpls.MplsRouteDump{Table: mpls.MplsTable{MtTableID: 0}}, 5*time.Second, func(m api.Message) error {
		r := m.(*mpls.MplsRouteDetails).MrRoute
		if r.MrLabel < 16 {
			return nil // VPP's own
		}
		for _, p := range r.MrPaths {
			out = append(out, fmt.Sprintf("mpls %d eos %d via %s sw %d labels %v", r.MrLabel, r.MrEos,
				vpp.FromAddress(0, p.Nh.Address), p.SwIfIndex, labelsOf(p.NLabels, p.LabelStack[:])))
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func labelsOf(n uint8, s []fib_types.FibMplsLabel) []uint32 {
	out := make([]uint32, 0, n)
	for _, l := range s[:min(int(n), len(s))] {
		out = append(out, l.Label)
	}
	return out
}

func (e *labEnv) mplsInterfaces() []uint32 {
	e.t.Helper()
	var out []uint32
	err := vpp.Dump(context.Background(), e.conn, &mpls.MplsInterfaceDump{SwIfIndex: ^interface_types.InterfaceIndex(0)},
		5*time.Second, func(m api.Message) error {
			out = append(out, uint32(m.(*mpls.MplsInterfaceDetails).SwIfIndex))
			return nil
		})
	if err != nil {
		e.t.Fatal(err)
	}
	slices.Sort(out)
	return out
}
