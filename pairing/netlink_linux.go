package pairing

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

type evKind uint8

const (
	evLink evKind = iota + 1
	evAddr
	evNeigh
)

// nlEvent is one netlink notification, converted, tagged with the
// subscription generation it came from.
type nlEvent struct {
	gen     uint64
	kind    evKind
	link    link // evLink
	ifindex int
	deleted bool // link or neighbour deleted, address removed
	prefix  netip.Prefix
	ip      netip.Addr
	mac     []byte
	state   int
}

// nlNamespace is the dataplane namespace: subscriptions are opened in it,
// and each dump uses a fresh handle in it (a dump cut short leaves a
// socket that answers EBUSY to the next one).
type nlNamespace struct {
	ns      netns.NsHandle // netns.None() for the current namespace
	timeout time.Duration
}

func openNamespace(path string, cfg *Config) (*nlNamespace, error) {
	n := &nlNamespace{ns: netns.None(), timeout: cfg.NetlinkTimeout}
	if path != "" {
		var err error
		if n.ns, err = netns.GetFromPath(path); err != nil {
			return nil, fmt.Errorf("opening network namespace %s: %w", path, err)
		}
	}
	h, err := n.handle()
	if err != nil {
		n.close()
		return nil, err
	}
	h.Close()
	return n, nil
}

// handle opens a netlink handle in the namespace whose every call has
// the deadline.
func (n *nlNamespace) handle() (*netlink.Handle, error) {
	var h *netlink.Handle
	var err error
	if n.ns.IsOpen() {
		h, err = netlink.NewHandleAt(n.ns)
	} else {
		h, err = netlink.NewHandle()
	}
	if err != nil {
		return nil, fmt.Errorf("opening netlink: %w", err)
	}
	if err := h.SetSocketTimeout(n.timeout); err != nil {
		h.Close()
		return nil, fmt.Errorf("netlink socket timeout: %w", err)
	}
	return h, nil
}

func (n *nlNamespace) close() {
	if n.ns.IsOpen() {
		n.ns.Close()
	}
}

// subscription is one generation of the three netlink subscriptions.
type subscription struct {
	done chan struct{}
	wg   sync.WaitGroup
}

// stop closes the sockets and waits for every reader to exit.
func (s *subscription) stop() {
	close(s.done)
	s.wg.Wait()
}

// subscribe opens link, address and neighbour subscriptions (generation
// gen) whose readers forward events to w.events. When one of them fails
// (ENOBUFS, a socket error) or ends, w.lost hears gen.
func (w *Watcher) subscribe(n *nlNamespace, gen uint64) (*subscription, error) {
	s, err := w.subscribeOnce(n, gen)
	if err != nil && w.cfg.ReceiveBufferForce && errors.Is(err, unix.EPERM) {
		// SO_RCVBUFFORCE needs CAP_NET_ADMIN; without it the buffer
		// is capped by net.core.rmem_max.
		w.log.Warn("no CAP_NET_ADMIN to force the netlink receive buffer; it is capped by net.core.rmem_max (raise that sysctl, or grant the capability)",
			"receive_buffer", w.cfg.ReceiveBufferSize)
		w.cfg.ReceiveBufferForce = false
		s, err = w.subscribeOnce(n, gen)
	}
	return s, err
}

func (w *Watcher) subscribeOnce(n *nlNamespace, gen uint64) (*subscription, error) {
	s := &subscription{done: make(chan struct{})}
	var nsp *netns.NsHandle
	if n.ns.IsOpen() {
		nsp = &n.ns
	}
	onErr := func(err error) {
		select {
		case <-s.done:
			return // closing: the error is ours
		default:
		}
		if errors.Is(err, unix.ENOBUFS) {
			w.stats.enobufs.Add(1)
		}
		w.log.Warn("netlink subscription lost; resyncing", "err", err, "gen", gen)
	}
	links := make(chan netlink.LinkUpdate, 256)
	addrs := make(chan netlink.AddrUpdate, 256)
	neighs := make(chan netlink.NeighUpdate, 256)
	rb, force := w.cfg.ReceiveBufferSize, w.cfg.ReceiveBufferForce
	var err error
	closed := 0
	fail := func(e error) (*subscription, error) {
		close(s.done)
		// Drain the channels already opened until their goroutines exit.
		if closed >= 1 {
			for range links {
			}
		}
		if closed >= 2 {
			for range addrs {
			}
		}
		return nil, e
	}
	if err = netlink.LinkSubscribeWithOptions(links, s.done, netlink.LinkSubscribeOptions{Namespace: nsp, ErrorCallback: onErr, ReceiveBufferSize: rb, ReceiveBufferForceSize: force}); err != nil {
		return fail(fmt.Errorf("subscribing to links: %w", err))
	}
	closed = 1
	if err = netlink.AddrSubscribeWithOptions(addrs, s.done, netlink.AddrSubscribeOptions{Namespace: nsp, ErrorCallback: onErr, ReceiveBufferSize: rb, ReceiveBufferForceSize: force}); err != nil {
		return fail(fmt.Errorf("subscribing to addresses: %w", err))
	}
	closed = 2
	if err = netlink.NeighSubscribeWithOptions(neighs, s.done, netlink.NeighSubscribeOptions{Namespace: nsp, ErrorCallback: onErr, ReceiveBufferSize: rb, ReceiveBufferForceSize: force}); err != nil {
		return fail(fmt.Errorf("subscribing to neighbours: %w", err))
	}
	s.wg.Add(3)
	go forward(w, s, gen, links, linkEvent)
	go forward(w, s, gen, addrs, addrEvent)
	go forward(w, s, gen, neighs, neighEvent)
	return s, nil
}

// forward hands events on until the subscription's channel closes. It
// always drains the channel: netlink's goroutine blocks on it otherwise.
func forward[T any](w *Watcher, s *subscription, gen uint64, ch <-chan T, conv func(T) (nlEvent, bool)) {
	defer s.wg.Done()
	for u := range ch {
		ev, ok := conv(u)
		if !ok {
			continue
		}
		ev.gen = gen
		select {
		case w.events <- ev:
		case <-s.done:
		}
	}
	select {
	case <-s.done:
	case w.lost <- gen:
	}
}

func linkEvent(u netlink.LinkUpdate) (nlEvent, bool) {
	a := u.Attrs()
	if a == nil {
		return nlEvent{}, false
	}
	return nlEvent{kind: evLink, link: linkOf(a), ifindex: a.Index, deleted: u.Header.Type == unix.RTM_DELLINK}, true
}

func linkOf(a *netlink.LinkAttrs) link {
	return link{Index: a.Index, Name: a.Name, Up: a.Flags&net.FlagUp != 0, MTU: uint32(a.MTU)}
}

func addrEvent(u netlink.AddrUpdate) (nlEvent, bool) {
	p, ok := prefixFromIPNet(&u.LinkAddress)
	if !ok {
		return nlEvent{}, false
	}
	return nlEvent{kind: evAddr, ifindex: u.LinkIndex, prefix: p, deleted: !u.NewAddr}, true
}

func neighEvent(u netlink.NeighUpdate) (nlEvent, bool) {
	if u.Family != unix.AF_INET && u.Family != unix.AF_INET6 {
		return nlEvent{}, false
	}
	ip, ok := netip.AddrFromSlice(u.IP)
	if !ok {
		return nlEvent{}, false
	}
	return nlEvent{kind: evNeigh, ifindex: u.LinkIndex, ip: ip.Unmap(), mac: u.HardwareAddr, state: u.State, deleted: u.Type == unix.RTM_DELNEIGH}, true
}

// dump reads the namespace's links, addresses and neighbours. A dump the
// kernel interrupts (the tables changed meanwhile: EINTR) fails; the
// caller tries again.
func (n *nlNamespace) dump() (*linuxState, error) {
	h, err := n.handle()
	if err != nil {
		return nil, err
	}
	defer h.Close()
	st := newLinuxState()
	links, err := h.LinkList()
	if err != nil {
		return nil, fmt.Errorf("listing links: %w", err)
	}
	for _, l := range links {
		st.setLink(linkOf(l.Attrs()))
	}
	addrs, err := h.AddrList(nil, netlink.FAMILY_ALL)
	if err != nil {
		return nil, fmt.Errorf("listing addresses: %w", err)
	}
	for _, a := range addrs {
		if p, ok := prefixFromIPNet(a.IPNet); ok {
			st.setAddr(a.LinkIndex, p, true)
		}
	}
	for _, fam := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		ns, err := h.NeighList(0, fam)
		if err != nil {
			return nil, fmt.Errorf("listing neighbours: %w", err)
		}
		for _, nb := range ns {
			if ip, ok := netip.AddrFromSlice(nb.IP); ok {
				st.setNeigh(nb.LinkIndex, ip, nb.HardwareAddr, nb.State, false)
			}
		}
	}
	return st, nil
}
