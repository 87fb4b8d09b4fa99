package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// daemonConfig is what the benchmark tells lcpfib.
type daemonConfig struct {
	Netns     string    // path of the namespace
	Listen    string    // fpm.listen
	Socket    string    // vpp.socket
	Window    int       // vpp.window
	Pairs     [2]string // VPP names of eth0 and eth1
	Sets      []string  // --set KEY=VALUE, verbatim
	Env       []string  // extra environment, KEY=VALUE
	ConfigDir string    // where the YAML file goes
	Extra     string    // more YAML, appended verbatim
}

// yaml renders the configuration file. Strings are written as YAML
// double-quoted scalars (JSON strings are valid ones).
func (c daemonConfig) yaml() string {
	q := func(s string) string { return fmt.Sprintf("%q", s) }
	var b strings.Builder
	fmt.Fprintf(&b, "# written by testbed/bench\n")
	fmt.Fprintf(&b, "log:\n  level: info\n  format: text\n")
	fmt.Fprintf(&b, "netns: %s\n", q(c.Netns))
	fmt.Fprintf(&b, "control:\n  socket: %s\n", q(filepath.Join(c.ConfigDir, "ctl.sock")))
	fmt.Fprintf(&b, "fpm:\n  listen: %s\n", q(c.Listen))
	fmt.Fprintf(&b, "vpp:\n  socket: %s\n  window: %d\n", q(c.Socket), c.Window)
	fmt.Fprintf(&b, "interfaces:\n")
	for i, name := range c.Pairs {
		fmt.Fprintf(&b, "  - linux: eth%d\n    vpp: %s\n", i, q(name))
	}
	b.WriteString(c.Extra)
	return b.String()
}

// daemon is one lcpfib process.
type daemon struct {
	cmd     *exec.Cmd
	pid     int
	log     string
	started time.Time
	exited  chan struct{} // closed when the process has exited
	err     error         // its exit status, once exited is closed
	logFile *os.File
}

// startDaemon starts `lcpfib run --config FILE` with stdout and stderr
// into logPath. lcpfib runs in its own process group, so that a Ctrl-C
// on the terminal reaches only the benchmark, which then stops it; it is
// killed if the benchmark dies.
func startDaemon(bin string, c daemonConfig, logPath string) (*daemon, error) {
	cfgPath := filepath.Join(c.ConfigDir, "lcpfib.yaml")
	if err := os.WriteFile(cfgPath, []byte(c.yaml()), 0o644); err != nil {
		return nil, fmt.Errorf("writing lcpfib's configuration: %w", err)
	}
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lcpfib log: %w", err)
	}
	args := []string{"run", "--config", cfgPath}
	for _, s := range c.Sets {
		args = append(args, "--set", s)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.Env = append(os.Environ(), c.Env...)
	// Pdeathsig fires when the thread that forked exits. The benchmark's
	// threads do not exit: goroutines that lock a thread unlock it again
	// (see dialIn and threadAccount.onThread).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	d := &daemon{cmd: cmd, log: logPath, exited: make(chan struct{}), logFile: lf}
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	d.pid, d.started = cmd.Process.Pid, time.Now()
	go func() {
		d.err = cmd.Wait()
		lf.Close()
		close(d.exited)
	}()
	return d, nil
}

// alive reports an error if the process has exited.
func (d *daemon) alive() error {
	select {
	case <-d.exited:
		return fmt.Errorf("lcpfib (pid %d) exited: %v; last lines of %s:\n%s", d.pid, d.err, d.log, lastLines(d.log, 20))
	default:
		return nil
	}
}

// stop sends SIGTERM and waits up to timeout for the exit, then kills.
// It returns when the process is gone; the error says whether it went
// cleanly.
func (d *daemon) stop(timeout time.Duration) error {
	select {
	case <-d.exited:
		return nil
	default:
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
		return nil
	case <-time.After(timeout):
	}
	_ = d.cmd.Process.Kill()
	<-d.exited
	return fmt.Errorf("lcpfib (pid %d) did not stop within %v of SIGTERM; killed", d.pid, timeout)
}

// waitLog waits until lcpfib logs a line with msg at or after line
// number from (0: the first line) and returns it and its number. It fails
// if lcpfib exits, ctx ends or timeout passes.
func (d *daemon) waitLog(ctx context.Context, msg string, from int, timeout time.Duration) (logLine, int, error) {
	deadline := time.Now().Add(timeout)
	for {
		lines, err := readLogLines(d.log)
		if err != nil {
			return logLine{}, 0, err
		}
		for i := from; i < len(lines); i++ {
			if l, ok := parseLogLine(lines[i]); ok && l.Msg == msg {
				return l, i, nil
			}
		}
		if err := d.alive(); err != nil {
			return logLine{}, 0, fmt.Errorf("waiting for %q: %w", msg, err)
		}
		if time.Now().After(deadline) {
			return logLine{}, 0, fmt.Errorf("lcpfib did not log %q within %v; last lines of %s:\n%s", msg, timeout, d.log, lastLines(d.log, 10))
		}
		select {
		case <-ctx.Done():
			return logLine{}, 0, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// warnings counts the log's warnings and errors by message (lcpfib's
// slog lines and GoVPP's logrus lines alike).
func (d *daemon) warnings() map[string]int {
	lines, _ := readLogLines(d.log)
	out := map[string]int{}
	for _, s := range lines {
		l, ok := parseLogLine(s)
		lvl := strings.ToLower(l.Level)
		if ok && (strings.HasPrefix(lvl, "warn") || strings.HasPrefix(lvl, "err") || strings.HasPrefix(lvl, "fatal")) {
			out[l.Msg]++
		}
	}
	return out
}

// gcTrace returns the GODEBUG=gctrace=1 lines logged so far.
func (d *daemon) gcTrace() []gcLine {
	lines, _ := readLogLines(d.log)
	var out []gcLine
	for _, s := range lines {
		if g, ok := parseGCLine(s); ok {
			out = append(out, g)
		}
	}
	return out
}

func readLogLines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines, sc.Err()
}
