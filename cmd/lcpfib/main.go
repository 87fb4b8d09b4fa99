// Command lcpfib programs routes selected by FRR (through zebra's FPM feed)
// into VPP's FIB through VPP's binary API.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

const usage = `lcpfib: FRR and BIRD routes into VPP

Usage:
  lcpfib run [--config FILE] [--set KEY=VALUE]...   run the daemon
  lcpfib config check FILE                          validate a configuration and exit
  lcpfib show WHAT [--socket PATH] [--json]         ask the running daemon (lcpfib show: the list)
  lcpfib check [--socket PATH] [--json] [--zebra] [--bird]
                                                    compare VPP's FIB with what lcpfib wants
                                                    (exit 0 in sync, 1 differences, 2 errors)
  lcpfib resync [--socket PATH]                     re-read VPP's FIB and repair what differs

Every key can also be set with an LCPFIB_* environment variable
(vpp.socket: LCPFIB_VPP_SOCKET). Flags override the environment, which
overrides the file. See contrib/lcpfib.yaml for every key. SIGHUP reloads
the configuration: log.level and vpp.max-rate apply at once, other changed
keys are logged as needing a restart.
`

func main() {
	os.Exit(cli(os.Args[1:], os.Stdout, os.Stderr))
}

// setFlags collects repeated --set KEY=VALUE flags.
type setFlags map[string]string

func (s setFlags) String() string { return fmt.Sprint(map[string]string(s)) }

func (s setFlags) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("want KEY=VALUE, got %q", v)
	}
	s[k] = val
	return nil
}

func cli(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "run":
		fs := flag.NewFlagSet("run", flag.ContinueOnError)
		fs.SetOutput(stderr)
		path := fs.String("config", "", "YAML configuration file")
		sets := setFlags{}
		fs.Var(sets, "set", "override one key, KEY=VALUE (repeatable)")
		if err := fs.Parse(args[1:]); err != nil {
			return 2
		}
		cfg, err := loadConfig(*path, sets)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
		defer stop()
		log, level := newLogger(cfg, stderr)
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
		r := &reloader{load: func() (*Config, error) { return loadConfig(*path, sets) }, level: level, hup: hup}
		if err := run(ctx, cfg, log, r); err != nil {
			log.Error("lcpfib stopped", "err", err)
			return 1
		}
		return 0
	case "config":
		if len(args) != 3 || args[1] != "check" {
			fmt.Fprint(stderr, usage)
			return 2
		}
		if _, err := loadConfig(args[2], nil); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		fmt.Fprintf(stdout, "%s: ok\n", args[2])
		return 0
	case "show":
		return cliShow(args[1:], stdout, stderr)
	case "check":
		return cliCheck(args[1:], stdout, stderr)
	case "resync":
		return cliResync(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "lcpfib: unknown command %q\n\n%s", args[0], usage)
	return 2
}

// newLogger returns the daemon's logger and its level, which a reload
// changes.
func newLogger(cfg *Config, w io.Writer) (*slog.Logger, *slog.LevelVar) {
	l, _ := parseLevel(cfg.Log.Level) // validated
	level := new(slog.LevelVar)
	level.Set(l)
	o := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, o)), level
	}
	return slog.New(slog.NewTextHandler(w, o)), level
}
