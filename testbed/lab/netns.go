package lab

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// Link is one veth link between the router and the peer namespace. The
// router side is named Name; the peer side Name+"p".
type Link struct {
	Name  string
	Addrs []string // addresses on the router side, CIDR
	Peer  []string // addresses on the peer side, CIDR
}

// DefaultLinks are the two links the tests and the demo use.
var DefaultLinks = []Link{
	{Name: "eth0", Addrs: []string{"10.0.0.1/24", "2001:db8::1/64"}, Peer: []string{"10.0.0.2/24", "10.0.0.3/24", "2001:db8::2/64"}},
	{Name: "eth1", Addrs: []string{"10.0.1.1/24", "2001:db8:1::1/64"}, Peer: []string{"10.0.1.2/24", "2001:db8:1::2/64"}},
}

// Netns is a pair of network namespaces, router and peer, joined by veths.
type Netns struct {
	Router string // namespace name; its path is /run/netns/<Router>
	Peer   string
}

// Path is the router namespace's file, as lcpfib's netns key wants it.
func (n *Netns) Path() string { return "/run/netns/" + n.Router }

// NewNetns creates the namespaces and links. The names must not exist.
func NewNetns(name string, links []Link) (*Netns, error) {
	n := &Netns{Router: name, Peer: name + "-peer"}
	if err := run("ip", "netns", "add", n.Router); err != nil {
		return nil, err
	}
	if err := run("ip", "netns", "add", n.Peer); err != nil {
		n.Close()
		return nil, err
	}
	cmds := [][]string{
		{"ip", "-n", n.Router, "link", "set", "lo", "up"},
		{"ip", "-n", n.Peer, "link", "set", "lo", "up"},
	}
	for _, l := range links {
		cmds = append(cmds,
			[]string{"ip", "-n", n.Router, "link", "add", l.Name, "type", "veth", "peer", "name", l.Name + "p", "netns", n.Peer},
			[]string{"ip", "-n", n.Router, "link", "set", l.Name, "up"},
			[]string{"ip", "-n", n.Peer, "link", "set", l.Name + "p", "up"})
		for _, a := range l.Addrs {
			cmds = append(cmds, []string{"ip", "-n", n.Router, "addr", "add", a, "dev", l.Name, "nodad"})
		}
		for _, a := range l.Peer {
			cmds = append(cmds, []string{"ip", "-n", n.Peer, "addr", "add", a, "dev", l.Name + "p", "nodad"})
		}
	}
	for _, c := range cmds {
		if err := run(c[0], c[1:]...); err != nil {
			n.Close()
			return nil, err
		}
	}
	return n, nil
}

// Close deletes both namespaces (and with them the veths).
func (n *Netns) Close() error {
	e1 := run("ip", "netns", "del", n.Router)
	e2 := run("ip", "netns", "del", n.Peer)
	if e1 != nil {
		return e1
	}
	return e2
}

// Exec runs a command in the router namespace and returns its output.
func (n *Netns) Exec(name string, args ...string) (string, error) {
	return output("ip", append([]string{"netns", "exec", n.Router, name}, args...)...)
}

func run(name string, args ...string) error {
	_, err := output(name, args...)
	return err
}

func output(name string, args ...string) (string, error) {
	var out, errb bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

// CheckRoot fails when the process cannot create namespaces.
func CheckRoot() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("the lab needs root (network namespaces, FRR)")
	}
	return nil
}
