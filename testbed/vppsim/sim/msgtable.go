package sim

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"reflect"
	"slices"

	"go.fd.io/govpp/api"
)

// handler serves one request message.
type handler struct {
	req api.Message
	// replies are the messages the handler answers with; they are
	// advertised in the message table with the request.
	replies []api.Message
	// hdrLen is the request's header: id, client_index, context (10) for
	// ordinary requests, id and context (6) for sockclnt_create.
	hdrLen int
	// fixed is the size of the body's fixed part, from the bindings.
	fixed int
	// size, if set, returns the full body size a variable-length request
	// claims (VPP's calc_size); it may assume len(body) >= fixed.
	size func(body []byte) uint64
	// serve runs the request with the Server's mutex held. An error means
	// the request could not be decoded; the client is disconnected.
	serve func(s *Server, c *conn, r *request) error
}

// request is one decoded request header and its body.
type request struct {
	id          uint16
	clientIndex uint32
	context     uint32
	body        []byte // the fields after the header, validated for size
}

// fixedID returns the id VPP gives a memclnt message (its position in
// memclnt.api); sockclnt_create must be 15, the id clients use before
// they have a table.
func fixedID(name string) (uint16, bool) {
	switch name {
	case "sockclnt_create":
		return 15, true
	case "sockclnt_create_reply":
		return 16, true
	case "sockclnt_delete":
		return 17, true
	case "sockclnt_delete_reply":
		return 18, true
	case "control_ping":
		return 23, true
	case "control_ping_reply":
		return 24, true
	}
	return 0, false
}

// Message headers: a request starts with its id, the client_index and
// the context; a reply (and sockclnt_create, which GoVPP's bindings type
// as a reply) with its id and the context.
const (
	requestHeaderLen = 10
	replyHeaderLen   = 6
)

// firstDynamicID is where the other messages start, after memclnt's 28.
const firstDynamicID = 29

// msgTable is the message table vppsim advertises and the dispatch table
// built from it. It is immutable once built.
type msgTable struct {
	byID    []*handler        // indexed by request id
	ids     map[string]uint16 // message name -> id, requests and replies
	entries []tableEntry      // what sockclnt_create_reply lists
}

// tableEntry is one advertised message.
type tableEntry struct {
	id   uint16
	name string // "name_crc"
}

// sized is what generated messages implement.
type sized interface{ Size() int }

// newMsgTable assigns ids to the handlers' messages (fixed ones first,
// then in the order given) and builds the dispatch table.
func newMsgTable(hs []*handler) (*msgTable, error) {
	t := &msgTable{ids: make(map[string]uint16)}
	next := uint16(firstDynamicID)
	assign := func(m api.Message) uint16 {
		name := m.GetMessageName()
		if id, ok := t.ids[name]; ok {
			return id
		}
		id, ok := fixedID(name)
		if !ok {
			id = next
			next++
		}
		t.ids[name] = id
		t.entries = append(t.entries, tableEntry{id: id, name: name + "_" + m.GetCrcString()})
		return id
	}
	for _, h := range hs {
		id := assign(h.req)
		for _, r := range h.replies {
			assign(r)
		}
		if int(id) >= len(t.byID) {
			t.byID = append(t.byID, make([]*handler, int(id)+1-len(t.byID))...)
		}
		if t.byID[id] != nil {
			return nil, fmt.Errorf("message %s registered twice", h.req.GetMessageName())
		}
		// Size of a zero value (not of the nil prototype, whose generated
		// Size is 0) is the body's fixed part.
		zero, ok := reflect.New(reflect.TypeOf(h.req).Elem()).Interface().(sized)
		if !ok {
			return nil, fmt.Errorf("message %s has no generated Size", h.req.GetMessageName())
		}
		h.fixed = zero.Size()
		h.hdrLen = headerLen(h.req)
		t.byID[id] = h
	}
	// Highest id first. VPP lists its table in hash order; this order
	// puts sockclnt_delete after sockclnt_delete_reply, which matters
	// because GoVPP's socketclient takes the last entry starting with
	// "sockclnt_delete_" as the id to send on disconnect.
	slices.SortFunc(t.entries, func(a, b tableEntry) int { return cmp.Compare(b.id, a.id) })
	return t, nil
}

// headerLen returns the length of a message's header.
func headerLen(m api.Message) int {
	if m.GetMessageType() == api.RequestMessage {
		return requestHeaderLen
	}
	return replyHeaderLen
}

// handler returns the handler for a request id, or nil.
func (t *msgTable) handler(id uint16) *handler {
	if int(id) < len(t.byID) {
		return t.byID[id]
	}
	return nil
}

// id returns a message's id; ok is false if vppsim does not advertise it.
func (t *msgTable) id(m api.Message) (uint16, bool) {
	id, ok := t.ids[m.GetMessageName()]
	return id, ok
}

// parse splits a message into header and body and checks its size as
// VPP's msg_handler_internal does. h is nil for ids with no handler.
func (t *msgTable) parse(msg []byte, r *request) (*handler, error) {
	if len(msg) < 2 {
		return nil, fmt.Errorf("%w: %d-byte message has no id", errMalformed, len(msg))
	}
	*r = request{id: binary.BigEndian.Uint16(msg)}
	h := t.handler(r.id)
	if h == nil {
		return nil, nil
	}
	if len(msg) < h.hdrLen+h.fixed {
		return nil, fmt.Errorf("%w: %s: %d bytes, need at least %d",
			errMalformed, h.req.GetMessageName(), len(msg), h.hdrLen+h.fixed)
	}
	if h.hdrLen == requestHeaderLen {
		r.clientIndex = binary.BigEndian.Uint32(msg[2:])
		r.context = binary.BigEndian.Uint32(msg[6:])
	} else {
		r.context = binary.BigEndian.Uint32(msg[2:])
	}
	r.body = msg[h.hdrLen:]
	if h.size != nil {
		if need := h.size(r.body); need > uint64(len(r.body)) {
			return nil, fmt.Errorf("%w: %s: truncated, body of %d bytes claims %d",
				errMalformed, h.req.GetMessageName(), len(r.body), need)
		}
	}
	return h, nil
}
