package main

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// The control socket: a unix socket (control.socket) on which the CLI
// (`lcpfib show ...`, `lcpfib check`, `lcpfib resync`) asks the running
// daemon. One request per connection: a line of JSON, answered by a line
// of JSON.

// ctlRequest is what a client sends.
type ctlRequest struct {
	Cmd  string            `json:"cmd"`            // "show routes", "check", "resync", ...
	Args map[string]string `json:"args,omitempty"` // the command's options
}

// ctlReply is what the daemon answers: Data on success, Error otherwise.
type ctlReply struct {
	Error string          `json:"error,omitempty"`
	Data  json.RawMessage `json:"data,omitempty"`
}

// Deadlines of the control socket.
const (
	ctlReadTimeout = 5 * time.Second  // for the client's request line
	ctlMaxRequest  = 64 << 10         // bytes of a request line
	ctlShowTimeout = 30 * time.Second // a show command
	ctlLongTimeout = 5 * time.Minute  // check and resync dump VPP's whole FIB
)

// listenControl creates the control socket at path: its directory if
// missing (0755), a stale socket left by an earlier lcpfib removed, mode
// 0660. Another lcpfib answering on path is an error.
func listenControl(path string) (*net.UnixListener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("control.socket %s: creating its directory: %w", path, err)
	}
	if st, err := os.Lstat(path); err == nil {
		if st.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("control.socket %s: exists and is not a socket", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("control.socket %s: another lcpfib is listening on it", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("control.socket %s: removing the stale socket: %w", path, err)
		}
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("control.socket %s: %w", path, err)
	}
	ln.SetUnlinkOnClose(true)
	if err := os.Chmod(path, 0o660); err != nil {
		ln.Close()
		return nil, fmt.Errorf("control.socket %s: %w", path, err)
	}
	return ln, nil
}

// serveControl answers requests on ln until ctx is done, and returns once
// every connection's goroutine has exited.
func (d *daemon) serveControl(ctx context.Context, ln *net.UnixListener) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	d.log.Info("control socket listening", "path", ln.Addr().String())
	for {
		c, err := ln.AcceptUnix()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("control socket: %w", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			d.answer(ctx, c)
		}()
	}
}

// answer reads one request from c and writes the reply.
func (d *daemon) answer(ctx context.Context, c net.Conn) {
	c.SetReadDeadline(time.Now().Add(ctlReadTimeout))
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 4096), ctlMaxRequest)
	var rep ctlReply
	var req ctlRequest
	switch {
	case !sc.Scan():
		rep.Error = fmt.Sprintf("reading the request: %v", cmp.Or(sc.Err(), errors.New("no request line")))
	default:
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			rep.Error = fmt.Sprintf("request is not JSON: %v", err)
			break
		}
		data, err := d.dispatch(ctx, req)
		if err != nil {
			rep.Error = err.Error()
			break
		}
		if rep.Data, err = json.Marshal(data); err != nil {
			rep.Error = fmt.Sprintf("encoding the reply: %v", err)
		}
	}
	if rep.Error != "" {
		d.log.Debug("control request failed", "cmd", req.Cmd, "err", rep.Error)
	}
	b, _ := json.Marshal(rep)
	c.SetWriteDeadline(time.Now().Add(ctlShowTimeout))
	if _, err := c.Write(append(b, '\n')); err != nil {
		d.log.Debug("control reply not delivered", "cmd", req.Cmd, "err", err)
	}
}

// dispatch runs one request with its deadline.
func (d *daemon) dispatch(ctx context.Context, req ctlRequest) (any, error) {
	c, ok := commands[req.Cmd]
	if !ok {
		return nil, fmt.Errorf("unknown command %q", req.Cmd)
	}
	timeout := ctlShowTimeout
	if c.long {
		timeout = ctlLongTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return c.serve(ctx, d, req.Args)
}

// ask sends one request to the daemon's control socket and decodes the
// reply's data into out.
func ask(socket string, req ctlRequest, timeout time.Duration, out any) error {
	c, err := net.DialTimeout("unix", socket, 5*time.Second)
	if err != nil {
		return fmt.Errorf("control socket %s: %w (is lcpfib running, with control.socket set to this path? --socket names another)", socket, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	if _, err := c.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("control socket %s: sending %q: %w", socket, req.Cmd, err)
	}
	var rep ctlReply
	if err := json.NewDecoder(c).Decode(&rep); err != nil {
		return fmt.Errorf("control socket %s: reading the reply to %q: %w", socket, req.Cmd, err)
	}
	if rep.Error != "" {
		return fmt.Errorf("lcpfib: %s: %s", req.Cmd, rep.Error)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(rep.Data, out); err != nil {
		return fmt.Errorf("control socket %s: decoding the reply to %q: %w", socket, req.Cmd, err)
	}
	return nil
}
