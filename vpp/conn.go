package vpp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.fd.io/govpp/adapter/socketclient"
	"go.fd.io/govpp/api"
	"go.fd.io/govpp/binapi/fib"
	"go.fd.io/govpp/binapi/ip"
	"go.fd.io/govpp/binapi/memclnt"
	"go.fd.io/govpp/binapi/vpe"
	"go.fd.io/govpp/core"
)

// DefaultSocket is where VPP serves its binary API by default.
const DefaultSocket = "/run/vpp/api.sock"

// requiredMessages are the API messages lcpfib cannot work without; a VPP
// that lacks any of them is refused at connect with a clear error.
var requiredMessages = []api.Message{
	&memclnt.ControlPing{}, &memclnt.ControlPingReply{},
	&vpe.ShowVersion{}, &vpe.ShowVersionReply{},
	&ip.IPRouteAddDel{}, &ip.IPRouteAddDelReply{},
	&ip.IPTableAddDel{}, &ip.IPTableAddDelReply{},
	&ip.IPTableDump{}, &ip.IPTableDetails{},
	&ip.IPRouteV2Dump{}, &ip.IPRouteV2Details{},
	&fib.FibSourceDump{}, &fib.FibSourceDetails{},
}

// Version is what VPP says about itself at connect.
type Version struct {
	Program, Version, BuildDate string
	PID                         uint32 // vpe_pid from control_ping: changes when VPP restarts
}

// dial connects to the API socket through GoVPP's socketclient and checks
// that VPP speaks the messages lcpfib needs.
func dial(ctx context.Context, socket string, timeout time.Duration) (*core.Connection, Version, error) {
	client := socketclient.NewVppClient(socket)
	client.SetClientName("lcpfib")
	client.SetConnectTimeout(timeout)
	conn, err := core.Connect(client)
	if err != nil {
		return nil, Version{}, fmt.Errorf("connecting to VPP API socket %s: %w", socket, err)
	}
	v, err := hello(ctx, conn, timeout)
	if err != nil {
		conn.Disconnect()
		return nil, Version{}, err
	}
	return conn, v, nil
}

func hello(ctx context.Context, conn *core.Connection, timeout time.Duration) (Version, error) {
	ch, err := conn.NewAPIChannel()
	if err != nil {
		return Version{}, fmt.Errorf("opening API channel: %w", err)
	}
	defer ch.Close()
	if err := ch.CheckCompatiblity(requiredMessages...); err != nil {
		var ce *api.CompatibilityError
		if errors.As(err, &ce) {
			return Version{}, fmt.Errorf("VPP lacks API messages lcpfib needs: %v", ce.IncompatibleMessages)
		}
		return Version{}, fmt.Errorf("checking API compatibility: %w", err)
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var sv vpe.ShowVersionReply
	if err := conn.Invoke(cctx, &vpe.ShowVersion{}, &sv); err != nil {
		return Version{}, fmt.Errorf("show_version: %w", err)
	}
	if err := api.RetvalToVPPApiError(sv.Retval); err != nil {
		return Version{}, fmt.Errorf("show_version: %w", err)
	}
	pid, err := ping(ctx, conn, timeout)
	if err != nil {
		return Version{}, err
	}
	return Version{Program: sv.Program, Version: sv.Version, BuildDate: sv.BuildDate, PID: pid}, nil
}

// ping sends control_ping and returns VPP's pid.
func ping(ctx context.Context, conn *core.Connection, timeout time.Duration) (uint32, error) {
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var r memclnt.ControlPingReply
	if err := conn.Invoke(cctx, &memclnt.ControlPing{}, &r); err != nil {
		return 0, fmt.Errorf("control_ping: %w", err)
	}
	if err := api.RetvalToVPPApiError(r.Retval); err != nil {
		return 0, fmt.Errorf("control_ping: %w", err)
	}
	return r.VpePID, nil
}
