package sim_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.fd.io/govpp/api"
	interfaces "go.fd.io/govpp/binapi/interface"
	"go.fd.io/govpp/binapi/interface_types"
	"go.fd.io/govpp/binapi/ip"
	"go.fd.io/govpp/binapi/memclnt"
	"go.fd.io/govpp/binapi/mpls"
	"go.fd.io/govpp/binapi/vpe"

	"github.com/lcpfib/lcpfib/testbed/vppsim/sim"
)

// vppView is what a client can see of a VPP, for comparing before and
// after a restart.
type vppView struct {
	Version    string
	Interfaces []*interfaces.SwInterfaceDetails
	Tables     []ip.IPTable
	APIRoutes4 map[string]route
	MPLSTables int
	MPLSIfaces int
}

func viewOf(t *testing.T, conn api.Connection) vppView {
	t.Helper()
	ver, err := vpe.NewServiceClient(conn).ShowVersion(ctxFor(t), &vpe.ShowVersion{})
	if err != nil {
		t.Fatal(err)
	}
	ifs, err := interfaces.NewServiceClient(conn).SwInterfaceDump(ctxFor(t), &interfaces.SwInterfaceDump{SwIfIndex: ^interface_types.InterfaceIndex(0)})
	if err != nil {
		t.Fatal(err)
	}
	mt, err := mpls.NewServiceClient(conn).MplsTableDump(ctxFor(t), &mpls.MplsTableDump{})
	if err != nil {
		t.Fatal(err)
	}
	mi, err := mpls.NewServiceClient(conn).MplsInterfaceDump(ctxFor(t), &mpls.MplsInterfaceDump{SwIfIndex: ^interface_types.InterfaceIndex(0)})
	if err != nil {
		t.Fatal(err)
	}
	return vppView{
		Version:    ver.Program + " " + ver.Version + " " + ver.BuildDate + " " + ver.BuildDirectory,
		Interfaces: drain(t, ifs.Recv),
		Tables:     dumpTables(t, conn),
		APIRoutes4: dumpRoutes(t, conn, false, 0, sim.SourceAPI),
		MPLSTables: len(drain(t, mt.Recv)),
		MPLSIfaces: len(drain(t, mi.Recv)),
	}
}

func pingPID(t *testing.T, conn api.Connection) (uint32, error) {
	t.Helper()
	r, err := memclnt.NewServiceClient(conn).ControlPing(ctxFor(t), &memclnt.ControlPing{})
	if err != nil {
		return 0, err
	}
	return r.VpePID, nil
}

// TestRestart checks that Restart drops every client, loses all state but
// the start-up interfaces and changes the pid, and that clients can
// reconnect at once.
func TestRestart(t *testing.T) {
	srv := startSim(t, "eth0", "eth1")
	conn := connect(t, srv)
	fresh := viewOf(t, conn)
	pid, err := pingPID(t, conn)
	if err != nil {
		t.Fatal(err)
	}

	c := ip.NewServiceClient(conn)
	if _, err := c.IPTableAddDel(ctxFor(t), &ip.IPTableAddDel{IsAdd: true, Table: ip.IPTable{TableID: 100}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.IPRouteAddDel(ctxFor(t), routeReq(t, true, false, "10.0.0.0/8", via("192.0.2.1", 2))); err != nil {
		t.Fatal(err)
	}
	addMPLSTable(t, conn, 0, "")
	if _, err := mpls.NewServiceClient(conn).SwInterfaceSetMplsEnable(ctxFor(t), &mpls.SwInterfaceSetMplsEnable{SwIfIndex: 1, Enable: true}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fresh, viewOf(t, conn)); diff == "" {
		t.Fatal("the setup changed nothing")
	}
	raw := dialRaw(t, srv)
	raw.handshake()
	waitFor(t, func() bool { return srv.Clients() == 2 })

	srv.Restart()
	raw.expectClosed()
	if _, err := pingPID(t, conn); err == nil {
		t.Error("the old connection still answers")
	}

	conn2 := connect(t, srv)
	pid2, err := pingPID(t, conn2)
	if err != nil {
		t.Fatal(err)
	}
	if pid2 == pid || pid2 != srv.PID() {
		t.Errorf("pid after restart %d (before %d, PID() %d), want a new one", pid2, pid, srv.PID())
	}
	if diff := cmp.Diff(fresh, viewOf(t, conn2)); diff != "" {
		t.Errorf("after restart (-fresh +got):\n%s", diff)
	}
	if n := srv.Clients(); n != 1 {
		t.Errorf("Clients() = %d, want 1", n)
	}
	changes := srv.Changes()
	if last := changes[len(changes)-1]; last.Kind != sim.ChangeRestart || last.Msg != "" || last.Client != 0 {
		t.Errorf("last change %v, want the restart", last)
	}

	// An interface added later is part of the start-up configuration too.
	if idx, err := srv.AddInterface(sim.Interface{Name: "eth2"}); err != nil || idx != 3 {
		t.Fatalf("AddInterface(eth2) = %d, %v", idx, err)
	}
	srv.Restart()
	conn3 := connect(t, srv)
	got := viewOf(t, conn3).Interfaces
	if len(got) != 4 || got[3].InterfaceName != "eth2" || got[3].SwIfIndex != 3 {
		t.Errorf("interfaces after the second restart: %v", got)
	}
	if pid3, err := pingPID(t, conn3); err != nil || pid3 == pid2 {
		t.Errorf("pid after the second restart %d, %v (before %d)", pid3, err, pid2)
	}
}
