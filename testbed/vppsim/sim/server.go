package sim

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Log attribute keys.
const (
	keyErr     = "err"
	keySocket  = "socket"
	keyClient  = "client"
	keyMsgID   = "msg_id"
	keyName    = "name"
	keyIfIndex = "sw_if_index"
	keyPID     = "pid"
	keyClients = "clients"
)

// Server is a simulated VPP listening on a unix socket.
type Server struct {
	log   *slog.Logger
	path  string
	ln    *net.UnixListener
	table *msgTable

	mu      sync.Mutex   // VPP's main thread: serialises every request
	vpp     *vpp         // guarded by mu; Restart replaces it
	ifaces  []Interface  // guarded by mu: what AddInterface created, in order
	pairs   []Pair       // guarded by mu: what AddPair created, in order
	startNS string       // linux-cp's start-up default netns
	changes *changeLog   // guarded by mu
	delay   atomic.Int64 // time.Duration each request holds mu at least
	host    hostOps      // makes the Linux side of linux-cp pairs

	connMu   sync.Mutex
	conns    map[*conn]struct{} // guarded by connMu
	stopping bool               // guarded by connMu

	done      chan struct{} // closed by Close
	closeOnce sync.Once
}

// Option configures a Server.
type Option func(*config)

type config struct {
	log     *slog.Logger
	pid     uint32
	version versionInfo
	logCap  int
	delay   time.Duration

	defaultNS string
}

// WithLogger sets the logger; the default discards everything.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.log = l }
}

// WithPID sets the vpe_pid control_ping_reply reports; the default is the
// process id.
func WithPID(pid uint32) Option {
	return func(c *config) { c.pid = pid }
}

// WithVersion sets the version show_version reports; the default is
// "25.10-release".
func WithVersion(version string) Option {
	return func(c *config) { c.version.version = version }
}

// Listen creates the socket at path (replacing a stale socket there) and
// a VPP that has just started: local0 and table 0 of IPv4 and IPv6. Call
// Serve to answer clients and Close to remove the socket.
func Listen(path string, opts ...Option) (*Server, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.delay < 0 {
		return nil, fmt.Errorf("negative delay %v", cfg.delay)
	}
	table, err := newMsgTable(handlers())
	if err != nil {
		return nil, fmt.Errorf("building message table: %w", err)
	}
	s := newServer(cfg, table)
	if err := removeStaleSocket(path); err != nil {
		return nil, err
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", path, err)
	}
	s.path, s.ln = path, ln
	return s, nil
}

func defaultConfig() config {
	return config{
		log: slog.New(slog.DiscardHandler),
		pid: uint32(os.Getpid()),
		version: versionInfo{
			program:        "vpe",
			version:        "25.10-release",
			buildDate:      "2025-10-29T12:00:00",
			buildDirectory: "/w/workspace/vppsim",
		},
		logCap: DefaultChangeLogCap,
	}
}

// newServer returns a Server with a freshly started VPP and no socket.
func newServer(cfg config, table *msgTable) *Server {
	s := &Server{
		log:     cfg.log,
		table:   table,
		changes: newChangeLog(table, cfg.logCap),
		conns:   make(map[*conn]struct{}),
		done:    make(chan struct{}),
		host:    linuxHost{},
		startNS: cfg.defaultNS,
	}
	s.vpp = s.boot(cfg.pid, cfg.version)
	s.delay.Store(int64(cfg.delay))
	return s
}

// boot returns the state of a VPP that has just started: the start-up
// tables, local0, the interfaces AddInterface created and the linux-cp
// pairs AddPair created.
func (s *Server) boot(pid uint32, ver versionInfo) *vpp {
	v := newVPP(pid, ver, time.Now())
	for _, in := range s.ifaces {
		if _, err := v.addInterface(in); err != nil {
			// AddInterface validated it against the same rules.
			s.log.Error("re-creating interface", keyName, in.Name, keyErr, err)
		}
	}
	v.lcp.defaultNS = s.startNS
	for _, p := range s.pairs {
		if _, err := v.addStartupPair(s, p); err != nil {
			s.log.Error("re-creating linux-cp pair", keyName, p.HostName, keyErr, err)
		}
	}
	v.log = s.changes
	return v
}

// removeStaleSocket removes a socket left behind by an earlier run; it
// refuses to remove anything that is not a socket.
func removeStaleSocket(path string) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("checking %s: %w", path, err)
	case fi.Mode().Type() != fs.ModeSocket:
		return fmt.Errorf("%s exists and is not a socket", path)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("removing stale socket: %w", err)
	}
	return nil
}

// SocketPath returns the path clients connect to.
func (s *Server) SocketPath() string { return s.path }

// AddInterface creates an interface, as a VPP device driver would, and
// returns its sw_if_index. Indexes start at 1 (local0 is 0) and are never
// reused. The interface is part of the start-up configuration: Restart
// creates it again, with the same index.
func (s *Server) AddInterface(in Interface) (uint32, error) {
	s.mu.Lock()
	idx, err := s.vpp.addInterface(in)
	if err == nil {
		s.ifaces = append(s.ifaces, in)
	}
	s.mu.Unlock()
	if err != nil {
		return 0, err
	}
	s.log.Info("interface created", keyName, in.Name, keyIfIndex, idx)
	return idx, nil
}

// Serve accepts clients and answers them until ctx is done or Close is
// called. It returns only after every goroutine it started has exited; a
// clean stop returns nil. Call it once.
func (s *Server) Serve(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	stop := make(chan struct{})
	defer close(stop)
	wg.Go(func() {
		select {
		case <-ctx.Done():
		case <-s.done:
		case <-stop:
		}
		s.shutdown()
	})

	s.log.Info("serving VPP binary API", keySocket, s.path)
	for {
		nc, err := s.ln.AcceptUnix()
		if err != nil {
			if s.isStopping() {
				return nil
			}
			return fmt.Errorf("accepting on %s: %w", s.path, err)
		}
		c := s.accept(nc)
		if c == nil {
			continue
		}
		wg.Go(func() { s.serveConn(c) })
	}
}

// Close stops Serve, disconnects every client, removes the linux-cp
// TAPs (closing their descriptors) and removes the socket.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { close(s.done) })
	s.shutdown()
	s.mu.Lock()
	errs := s.vpp.lcp.closeTaps()
	s.mu.Unlock()
	for _, err := range errs {
		s.log.Warn("closing linux-cp tap", keyErr, err)
	}
	if err := os.Remove(s.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing socket: %w", err)
	}
	return nil
}

// shutdown closes the listener and every client connection; the
// goroutines serving them then exit. It is idempotent.
func (s *Server) shutdown() {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	if s.stopping {
		return
	}
	s.stopping = true
	_ = s.ln.Close() // unlinks the socket file too
	for c := range s.conns {
		_ = c.nc.Close()
	}
}

func (s *Server) isStopping() bool {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	return s.stopping
}

// accept registers a new client as VPP does on accept: a registration
// (and so a client index) exists before the client says sockclnt_create.
func (s *Server) accept(nc *net.UnixConn) *conn {
	c := newConn(s, nc)
	s.connMu.Lock()
	if s.stopping {
		s.connMu.Unlock()
		_ = nc.Close()
		return nil
	}
	s.conns[c] = struct{}{}
	s.connMu.Unlock()

	s.mu.Lock()
	c.gen = s.vpp
	c.setRegistration(s.vpp.register(c))
	s.mu.Unlock()
	return c
}

// serveConn runs one client until it leaves, misbehaves or the server
// stops.
func (s *Server) serveConn(c *conn) {
	log := s.log.With(keyClient, c.handle)
	log.Debug("client connected")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { c.writeEvents(stop) })
	err := c.run()
	_ = c.nc.Close()
	close(stop)
	wg.Wait()

	s.mu.Lock()
	if c.gen == s.vpp {
		s.vpp.unregister(c.regIndex, c)
	}
	s.mu.Unlock()
	s.connMu.Lock()
	delete(s.conns, c)
	stopping := s.stopping
	s.connMu.Unlock()

	switch {
	case err != nil && !stopping && !errors.Is(err, errRestarted):
		log.Warn("closing client", keyErr, err)
	default:
		log.Debug("client disconnected")
	}
}

// dispatch parses one message and runs its handler under the state lock.
// An error means the message was malformed and the client must go.
func (s *Server) dispatch(c *conn, msg []byte) error {
	r := &c.req
	h, err := s.table.parse(msg, r)
	if err != nil {
		return err
	}
	if h == nil {
		// VPP logs "no handler for msg id" and drops the message.
		s.log.Warn("no handler for message", keyClient, c.handle, keyMsgID, r.id)
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.gen != s.vpp {
		// Read before a restart: the VPP it was sent to is gone.
		return errRestarted
	}
	var start time.Time
	d := time.Duration(s.delay.Load())
	if d > 0 {
		start = time.Now()
	}
	s.changes.request(r)
	// VPP answers the registration the request's client_index names and
	// drops the reply if there is none; vppsim answers only its own.
	c.muted = h.hdrLen == requestHeaderLen && r.clientIndex != c.handle
	err = h.serve(s, c, r)
	if d > 0 {
		hold(start, d)
	}
	return err
}
