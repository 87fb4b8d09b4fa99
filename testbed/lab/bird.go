package lab

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// BIRD is a BIRD 2 daemon (Debian's bird2) running in the router
// namespace with a configuration the test writes.
type BIRD struct {
	ns   *Netns
	dir  string
	conf string
	sock string
	log  io.Writer
	cmd  *exec.Cmd
	done chan error
}

// StartBIRD writes conf to dir/bird.conf and starts BIRD in ns.
func StartBIRD(ns *Netns, dir, conf string, log io.Writer) (*BIRD, error) {
	if _, err := os.Stat("/usr/sbin/bird"); err != nil {
		return nil, fmt.Errorf("BIRD 2 is not installed (apt-get install -y bird2): %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	b := &BIRD{ns: ns, dir: dir, conf: filepath.Join(dir, "bird.conf"), sock: filepath.Join(dir, "bird.ctl"), log: log}
	if err := os.WriteFile(b.conf, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	return b, b.Start(false)
}

// Start starts BIRD again after it stopped; recovery is BIRD's -R (coming
// back from a graceful restart).
func (b *BIRD) Start(recovery bool) error {
	if b.cmd != nil {
		return fmt.Errorf("bird is already running")
	}
	args := []string{"netns", "exec", b.ns.Router, "/usr/sbin/bird", "-f", "-c", b.conf, "-s", b.sock, "-P", filepath.Join(b.dir, "bird.pid")}
	if recovery {
		args = append(args, "-R")
	}
	cmd := exec.Command("ip", args...)
	if b.log != nil {
		cmd.Stdout, cmd.Stderr = b.log, b.log
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting bird: %w", err)
	}
	b.cmd, b.done = cmd, make(chan error, 1)
	go func() { b.done <- cmd.Wait() }()
	for deadline := time.Now().Add(10 * time.Second); ; {
		if _, err := b.Birdc("show status"); err == nil {
			return nil
		} else if time.Now().After(deadline) {
			b.Kill()
			return fmt.Errorf("bird did not answer birdc within 10s: %w", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Birdc runs one birdc command and returns its output.
func (b *BIRD) Birdc(cmd string) (string, error) {
	out, err := exec.Command("birdc", append([]string{"-s", b.sock}, strings.Fields(cmd)...)...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("birdc %s: %w: %s", cmd, err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// Configure replaces the configuration and has BIRD apply it.
func (b *BIRD) Configure(conf string) error {
	if err := os.WriteFile(b.conf, []byte(conf), 0o644); err != nil {
		return err
	}
	out, err := b.Birdc("configure")
	if err == nil && !strings.Contains(out, "Reconfigur") {
		err = fmt.Errorf("birdc configure: %q", out)
	}
	return err
}

// Established waits until the BGP protocol name is Established.
func (b *BIRD) Established(name string, d time.Duration) error {
	var out string
	for deadline := time.Now().Add(d); ; {
		out, _ = b.Birdc("show protocols " + name)
		if strings.Contains(out, "Established") {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bird protocol %s not established within %s:\n%s", name, d, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// GracefulRestart has BIRD stop for a graceful restart (birdc graceful
// restart) and waits for it to exit; Start(true) brings it back.
func (b *BIRD) GracefulRestart() error {
	if _, err := b.Birdc("graceful restart"); err != nil {
		return err
	}
	return b.wait(10 * time.Second)
}

// Down shuts BIRD down (birdc down: BGP sessions end with a Cease) and
// waits for it to exit.
func (b *BIRD) Down() error {
	if _, err := b.Birdc("down"); err != nil {
		return err
	}
	return b.wait(10 * time.Second)
}

func (b *BIRD) wait(d time.Duration) error {
	if b.cmd == nil {
		return nil
	}
	select {
	case <-b.done:
		b.cmd = nil
		return nil
	case <-time.After(d):
		return fmt.Errorf("bird did not exit within %s", d)
	}
}

// Kill stops BIRD at once (SIGKILL: a crash) and waits for it.
func (b *BIRD) Kill() {
	if b.cmd == nil {
		return
	}
	_ = b.cmd.Process.Kill()
	<-b.done
	b.cmd = nil
}

// BIRDVersion returns the installed BIRD's version, as `bird --version`
// prints it.
func BIRDVersion() (string, error) {
	out, err := exec.Command("/usr/sbin/bird", "--version").CombinedOutput()
	v := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(out)), "BIRD version"))
	if err != nil || v == "" {
		return "", fmt.Errorf("bird --version: %v: %s", err, out)
	}
	return v, nil
}

// Socket is BIRD's control socket, for birdc -s.
func (b *BIRD) Socket() string { return b.sock }
