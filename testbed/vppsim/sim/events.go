package sim

import (
	"sync"

	"go.fd.io/govpp/api"
	interfaces "go.fd.io/govpp/binapi/interface"
	"go.fd.io/govpp/binapi/interface_types"
)

// Events: VPP sends sw_interface_event to every registration that asked
// for it with want_interface_events, from its link-state process, outside
// any request. vppsim queues an event on each registered client's
// connection while it holds the state lock and the connection's event
// writer sends it, so no socket is written under the lock.

// maxEventBacklog bounds the events queued for one client that does not
// read; beyond it events are dropped (and logged), where VPP's queue
// would grow until the client is declared dead.
const maxEventBacklog = 16 << 20

// eventQueue holds the encoded events waiting to be written to a client.
type eventQueue struct {
	mu   sync.Mutex
	buf  []byte
	wake chan struct{} // has a token while buf is not empty
}

func newEventQueue() eventQueue { return eventQueue{wake: make(chan struct{}, 1)} }

// event queues an event message for the client. It may be called from
// any goroutine holding the state lock.
func (c *conn) event(s *Server, m interfaceEvent) {
	c.ev.mu.Lock()
	if len(c.ev.buf) >= maxEventBacklog {
		c.ev.mu.Unlock()
		s.log.Warn("dropping event for a client that does not read", keyClient, c.handle)
		return
	}
	c.ev.buf = s.appendMsg(c.ev.buf, m, 0)
	c.ev.mu.Unlock()
	select {
	case c.ev.wake <- struct{}{}:
	default:
	}
}

// interfaceEvent is the one event message vppsim sends.
type interfaceEvent = *interfaces.SwInterfaceEvent

// writeEvents writes queued events until stop is closed.
func (c *conn) writeEvents(stop <-chan struct{}) {
	var out []byte
	for {
		select {
		case <-stop:
			return
		case <-c.ev.wake:
		}
		c.ev.mu.Lock()
		out, c.ev.buf = c.ev.buf, out[:0]
		c.ev.mu.Unlock()
		c.wmu.Lock()
		_, err := c.nc.Write(out)
		c.wmu.Unlock()
		if err != nil {
			return // the client's goroutine sees the broken socket too
		}
	}
}

// wantInterfaceEvents registers (or, with enable false, removes) a
// registration for interface events, as want_interface_events does; pid
// is echoed in every event. It returns VPP's retval (pub_sub_handler in
// vlibapi/api_helper_macros.h): enabling twice or disabling what is not
// enabled is -31.
func (v *vpp) wantInterfaceEvents(reg uint32, enable bool, pid uint32) api.VPPApiError {
	_, had := v.ifEvents[reg]
	switch {
	case enable == had:
		return api.INVALID_REGISTRATION
	case enable:
		v.ifEvents[reg] = pid
	default:
		delete(v.ifEvents, reg)
	}
	return 0
}

// ifEvent sends sw_interface_event for i to every registration that
// asked for interface events: its flags now, or deleted.
func (v *vpp) ifEvent(s *Server, i *iface, deleted bool) {
	if len(v.ifEvents) == 0 {
		return
	}
	var flags interface_types.IfStatusFlags
	if !deleted {
		flags = i.flags(v.hw(i))
	}
	for reg, pid := range v.ifEvents {
		if c := v.regs[reg]; c != nil {
			c.event(s, &interfaces.SwInterfaceEvent{
				PID:       pid,
				SwIfIndex: interface_types.InterfaceIndex(i.swIfIndex),
				Flags:     flags,
				Deleted:   deleted,
			})
		}
	}
}
