package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/lcpfib/lcpfib/rib"
)

// DefaultControlSocket is control.socket's default.
const DefaultControlSocket = "/run/lcpfib/lcpfib.sock"

// Exit codes of check.
const (
	exitInSync = 0
	exitDiffer = 1
	exitError  = 2
)

// ctlFlags are the options every client command takes.
func ctlFlags(fs *flag.FlagSet) (socket *string, asJSON *bool) {
	socket = fs.String("socket", DefaultControlSocket, "lcpfib's control socket (control.socket)")
	asJSON = fs.Bool("json", false, "print JSON instead of aligned text")
	return
}

// printJSON writes v indented.
func printJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

func showUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: lcpfib show WHAT [--socket PATH] [--json] [options]")
	tw := table(w)
	for _, s := range shows {
		fmt.Fprintf(tw, "  %s\t%s\n", s.name, s.help)
	}
	tw.Flush()
}

// cliShow runs `lcpfib show WHAT ...`.
func cliShow(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		showUsage(stderr)
		return exitError
	}
	var sc *showCommand
	for i := range shows {
		if shows[i].name == args[0] {
			sc = &shows[i]
		}
	}
	if sc == nil {
		fmt.Fprintf(stderr, "lcpfib show: unknown %q\n", args[0])
		showUsage(stderr)
		return exitError
	}
	fs := flag.NewFlagSet("show "+sc.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	socket, asJSON := ctlFlags(fs)
	var reqArgs func() map[string]string
	if sc.flags != nil {
		reqArgs = sc.flags(fs)
	}
	if err := fs.Parse(args[1:]); err != nil {
		return exitError
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "lcpfib show %s: unexpected %q\n", sc.name, strings.Join(fs.Args(), " "))
		return exitError
	}
	req := ctlRequest{Cmd: "show " + sc.name}
	if reqArgs != nil {
		req.Args = reqArgs()
	}
	var data json.RawMessage
	if err := ask(*socket, req, ctlShowTimeout+5*time.Second, &data); err != nil {
		fmt.Fprintln(stderr, err)
		return exitError
	}
	var err error
	if *asJSON {
		var b bytes.Buffer
		if err = json.Indent(&b, data, "", "  "); err == nil {
			b.WriteByte('\n')
			_, err = b.WriteTo(stdout)
		}
	} else {
		err = sc.print(stdout, data)
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitError
	}
	return 0
}

// cliCheck runs `lcpfib check`: 0 in sync, 1 differences, 2 errors.
func cliCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	socket, asJSON := ctlFlags(fs)
	wait := fs.Duration("wait", checkWait, "wait up to this long for pending changes to reach VPP before comparing")
	withZebra := fs.Bool("zebra", false, "also compare the main table with zebra's selection (vtysh show ip/ipv6 route json)")
	vtysh := fs.String("vtysh", "vtysh", "vtysh command line for --zebra, e.g. \"vtysh --vty_socket /run/frr/dataplane\"")
	withBird := fs.Bool("bird", false, "also compare BIRD's table with what lcpfib has from BIRD (birdc show route all)")
	birdc := fs.String("birdc", "birdc", "birdc command line for --bird, e.g. \"birdc -s /run/bird/bird-dataplane.ctl\"")
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "lcpfib check: unexpected %q\n", strings.Join(fs.Args(), " "))
		return exitError
	}
	var v checkView
	err := ask(*socket, ctlRequest{Cmd: "check", Args: map[string]string{"wait": wait.String()}}, ctlLongTimeout+*wait+5*time.Second, &v)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitError
	}
	if *withZebra {
		ctx, cancel := context.WithTimeout(context.Background(), ctlLongTimeout)
		defer cancel()
		z, err := zebraMain(ctx, strings.Fields(*vtysh))
		if err != nil {
			fmt.Fprintln(stderr, err)
			return exitError
		}
		var rv routesView
		if err := ask(*socket, ctlRequest{Cmd: "show routes", Args: map[string]string{"table": "254"}}, ctlShowTimeout+5*time.Second, &rv); err != nil {
			fmt.Fprintln(stderr, err)
			return exitError
		}
		n := len(z)
		v.Zebra = &n
		v.Differences = append(v.Differences, compareZebra(z, ribMain(rv.Routes))...)
	}
	if *withBird {
		diffs, err := checkBird(*socket, strings.Fields(*birdc))
		if err != nil {
			fmt.Fprintln(stderr, err)
			return exitError
		}
		v.Differences = append(v.Differences, diffs...)
	}
	if *asJSON {
		err = printJSON(stdout, v)
	} else {
		err = printCheck(stdout, v)
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitError
	}
	if len(v.Differences) > 0 {
		return exitDiffer
	}
	return exitInSync
}

// cliResync runs `lcpfib resync`.
func cliResync(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("resync", flag.ContinueOnError)
	fs.SetOutput(stderr)
	socket, asJSON := ctlFlags(fs)
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	var v resyncView
	if err := ask(*socket, ctlRequest{Cmd: "resync"}, ctlLongTimeout+5*time.Second, &v); err != nil {
		fmt.Fprintln(stderr, err)
		return exitError
	}
	if *asJSON {
		printJSON(stdout, v)
		return 0
	}
	fmt.Fprintf(stdout, "re-read VPP's FIB: %d entries differed from lcpfib's record; every route is handed to VPP again\n", v.Corrected)
	return 0
}

// checkBird compares BIRD's table with lcpfib's routes from BIRD in the
// first BIRD peer's table.
func checkBird(socket string, birdc []string) ([]diffView, error) {
	var bv birdView
	if err := ask(socket, ctlRequest{Cmd: "show bird"}, ctlShowTimeout+5*time.Second, &bv); err != nil {
		return nil, err
	}
	if !bv.Enabled || len(bv.Status.Peers) == 0 {
		return nil, fmt.Errorf("--bird: the BIRD bridge is off (bird.enable)")
	}
	table := bv.Status.Peers[0].Table
	var pv pairsView
	if err := ask(socket, ctlRequest{Cmd: "show pairs"}, ctlShowTimeout+5*time.Second, &pv); err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, p := range pv.Pairs {
		names[p.Linux] = strconv.FormatUint(uint64(p.Ifindex), 10)
	}
	ifindex := func(name string) string {
		if i, ok := names[name]; ok {
			return i
		}
		return name // not paired: shown by name, and reported
	}
	var rv routesView
	if err := ask(socket, ctlRequest{Cmd: "show routes", Args: map[string]string{"table": strconv.FormatUint(uint64(table), 10)}}, ctlShowTimeout+5*time.Second, &rv); err != nil {
		return nil, err
	}
	fromFRR := map[netip.Prefix]bool{}
	for _, r := range rv.Routes {
		if p, err := netip.ParsePrefix(r.Prefix); err == nil && r.Source != rib.SourceBIRD.String() {
			fromFRR[p] = true
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), ctlLongTimeout)
	defer cancel()
	b, err := birdTable(ctx, birdc)
	if err != nil {
		return nil, err
	}
	return compareBird(b, lcpfibBird(rv.Routes, table), fromFRR, table, bv.Status.ECMP, ifindex), nil
}
