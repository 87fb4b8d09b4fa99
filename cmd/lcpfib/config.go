package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/env"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/v2"

	"github.com/lcpfib/lcpfib/bird"
)

// Config is lcpfib's whole configuration. Every key is documented in
// contrib/lcpfib.yaml.
type Config struct {
	Log struct {
		Level  string `koanf:"level"`
		Format string `koanf:"format"`
	} `koanf:"log"`
	// MemoryLimit is the Go runtime's soft memory limit, as a size
	// ("512MiB"); empty: none (or GOMEMLIMIT's). See memoryLimit.
	MemoryLimit string `koanf:"memory-limit"`
	// Netns is the path of the dataplane network namespace (for example
	// /run/netns/dataplane). Empty: the namespace lcpfib runs in.
	Netns string `koanf:"netns"`
	FPM   struct {
		Enable      bool          `koanf:"enable"`
		Listen      string        `koanf:"listen"`
		ReplayQuiet time.Duration `koanf:"replay-quiet"`
		ReplayMax   time.Duration `koanf:"replay-max"`
		Notify      bool          `koanf:"notify"`
	} `koanf:"fpm"`
	VPP struct {
		Socket         string        `koanf:"socket"`
		Window         int           `koanf:"window"`
		MaxRate        int           `koanf:"max-rate"`
		ReplyTimeout   time.Duration `koanf:"reply-timeout"`
		ConnectTimeout time.Duration `koanf:"connect-timeout"`
		CoalesceWrites bool          `koanf:"coalesce-writes"`
	} `koanf:"vpp"`
	BIRD BIRDConfig `koanf:"bird"`
	RIB  struct {
		// Prefer names the source whose route is programmed when FRR
		// and BIRD both announce a prefix: frr or bird.
		Prefer string `koanf:"prefer"`
	} `koanf:"rib"`
	Interfaces []PairConfig  `koanf:"interfaces"`
	LinuxCP    LinuxCPConfig `koanf:"linux-cp"`
	Metrics    struct {
		// Listen is a loopback address:port for Prometheus's /metrics;
		// empty: off.
		Listen string `koanf:"listen"`
	} `koanf:"metrics"`
	Control struct {
		// Socket is the unix socket `lcpfib show`, `check` and `resync`
		// talk to; empty: off.
		Socket string `koanf:"socket"`
	} `koanf:"control"`
	Debug struct {
		// Pprof is an address (loopback only) for Go's pprof HTTP
		// handlers; empty: off.
		Pprof string `koanf:"pprof"`
	} `koanf:"debug"`
}

// PairConfig is one static interface pair.
type PairConfig struct {
	Linux string `koanf:"linux"`
	VPP   string `koanf:"vpp"`
}

// defaults are the values of every scalar key; they also define which keys
// exist (for unknown-key errors and LCPFIB_* environment variables).
var defaults = map[string]any{
	"log.level":           "info",
	"log.format":          "text",
	"netns":               "",
	"fpm.enable":          true,
	"memory-limit":        "",
	"fpm.listen":          "127.0.0.1:2620",
	"fpm.replay-quiet":    "3s",
	"fpm.replay-max":      "10m",
	"fpm.notify":          true,
	"vpp.socket":          "/run/vpp/api.sock",
	"vpp.window":          1024,
	"vpp.max-rate":        0,
	"vpp.reply-timeout":   "5s",
	"vpp.connect-timeout": "5s",
	"vpp.coalesce-writes": true,
	"debug.pprof":         "",
	"metrics.listen":      "",
	"control.socket":      DefaultControlSocket,
	"rib.prefer":          "frr",
	"bird.enable":         false,
	"bird.listen":         "127.0.0.1:1790",
	"bird.asn":            bird.DefaultASN,
	"bird.router-id":      "",
	"bird.ecmp":           false,
	"bird.replay-max":     "10m",
	"bird.birdc":          "",
}

// listKeys are keys whose value is a list of maps; only the file sets them.
var listKeys = map[string][]string{
	"interfaces": {"linux", "vpp"},
	"bird.peers": {"address", "asn", "password", "table"},
}

// envName is the environment variable that sets key: LCPFIB_ and the key in
// upper case with '.' and '-' as '_' (vpp.reply-timeout:
// LCPFIB_VPP_REPLY_TIMEOUT).
func envName(key string) string {
	return "LCPFIB_" + strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(key))
}

// loadConfig reads defaults, then the YAML file (if path is not empty), then
// LCPFIB_* variables, then flags (key -> value), each overriding the one
// before, and validates the result.
func loadConfig(path string, flags map[string]string) (*Config, error) {
	k := koanf.New(".")
	for key, v := range defaults {
		if err := k.Set(key, v); err != nil {
			return nil, err
		}
	}
	if path != "" {
		if err := k.Load(file.Provider(path), yaml.Parser()); err != nil {
			return nil, fmt.Errorf("config %s: %w", path, err)
		}
	}
	byEnv := make(map[string]string, len(defaults))
	for key := range defaults {
		byEnv[envName(key)] = key
	}
	var unknownEnv []string
	err := k.Load(env.ProviderWithValue("LCPFIB_", ".", func(name, value string) (string, any) {
		key, ok := byEnv[name]
		if !ok {
			unknownEnv = append(unknownEnv, name)
			return "", nil
		}
		return key, value
	}), nil)
	if err != nil {
		return nil, fmt.Errorf("environment: %w", err)
	}
	if len(unknownEnv) > 0 {
		sort.Strings(unknownEnv)
		return nil, fmt.Errorf("environment: unknown variable(s) %s; known: %s", strings.Join(unknownEnv, ", "), strings.Join(sortedKeys(byEnv), ", "))
	}
	for key, v := range flags {
		if err := k.Set(key, v); err != nil {
			return nil, err
		}
	}
	if err := checkKeys(k); err != nil {
		return nil, err
	}
	var c Config
	if err := k.UnmarshalWithConf("", &c, koanf.UnmarshalConf{Tag: "koanf"}); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// checkKeys rejects keys lcpfib does not know, naming them.
func checkKeys(k *koanf.Koanf) error {
	var bad []string
	for _, key := range k.Keys() {
		if _, ok := defaults[key]; ok {
			continue
		}
		if _, ok := listKeys[key]; ok {
			continue
		}
		bad = append(bad, key)
	}
	for key, fields := range listKeys {
		for i, item := range k.Slices(key) {
			for _, f := range item.Keys() {
				if !slices.Contains(fields, f) {
					bad = append(bad, fmt.Sprintf("%s[%d].%s", key, i, f))
				}
			}
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return fmt.Errorf("config: unknown key(s) %s", strings.Join(bad, ", "))
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// validate checks every value, naming the key, the bad value and what is
// allowed. It reports all problems at once.
func (c *Config) validate() error {
	var errs []error
	bad := func(key string, val any, allowed string) {
		errs = append(errs, fmt.Errorf("config: %s: %q is not valid: %s", key, fmt.Sprint(val), allowed))
	}
	if _, err := parseLevel(c.Log.Level); err != nil {
		bad("log.level", c.Log.Level, "use debug, info, warn or error")
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		bad("log.format", c.Log.Format, "use text or json")
	}
	if n, err := parseSize(c.MemoryLimit); err != nil {
		bad("memory-limit", c.MemoryLimit, err.Error())
	} else if n != 0 && n < 64<<20 {
		bad("memory-limit", c.MemoryLimit, "must be empty (no limit) or at least 64MiB")
	}
	if c.Netns != "" {
		if st, err := os.Stat(c.Netns); err != nil || st.IsDir() {
			bad("netns", c.Netns, "must be the path of a network namespace file such as /run/netns/dataplane")
		}
	}
	if ap, err := netip.ParseAddrPort(c.FPM.Listen); err != nil {
		bad("fpm.listen", c.FPM.Listen, "use address:port, for example 127.0.0.1:2620 or [::1]:2620")
	} else if ap.Port() == 0 {
		bad("fpm.listen", c.FPM.Listen, "the port must not be 0")
	}
	if c.FPM.ReplayQuiet < 100*time.Millisecond {
		bad("fpm.replay-quiet", c.FPM.ReplayQuiet, "must be at least 100ms (zebra pauses its replay for 1s when its buffer is full: keep it above that)")
	}
	if c.FPM.ReplayMax < c.FPM.ReplayQuiet {
		bad("fpm.replay-max", c.FPM.ReplayMax, "must be at least fpm.replay-quiet")
	}
	if c.VPP.Socket == "" || !strings.HasPrefix(c.VPP.Socket, "/") {
		bad("vpp.socket", c.VPP.Socket, "must be an absolute path to VPP's API socket")
	}
	if c.VPP.Window < 1 || c.VPP.Window > 65536 {
		bad("vpp.window", c.VPP.Window, "must be between 1 and 65536")
	}
	if c.VPP.MaxRate < 0 {
		bad("vpp.max-rate", c.VPP.MaxRate, "must be 0 (no bound) or a number of requests per second")
	}
	if c.VPP.ReplyTimeout < 10*time.Millisecond {
		bad("vpp.reply-timeout", c.VPP.ReplyTimeout, "must be at least 10ms")
	}
	if c.VPP.ConnectTimeout < 10*time.Millisecond {
		bad("vpp.connect-timeout", c.VPP.ConnectTimeout, "must be at least 10ms")
	}
	if c.Metrics.Listen != "" {
		ap, err := netip.ParseAddrPort(c.Metrics.Listen)
		if err != nil || !ap.Addr().IsLoopback() {
			bad("metrics.listen", c.Metrics.Listen, "must be a loopback address:port such as 127.0.0.1:9342, or empty")
		}
	}
	if c.Debug.Pprof != "" {
		ap, err := netip.ParseAddrPort(c.Debug.Pprof)
		if err != nil || !ap.Addr().IsLoopback() {
			bad("debug.pprof", c.Debug.Pprof, "must be a loopback address:port such as 127.0.0.1:6060, or empty")
		}
	}
	if s := c.Control.Socket; s != "" && (!strings.HasPrefix(s, "/") || len(s) > maxSocketPath) {
		bad("control.socket", s, fmt.Sprintf("must be an absolute path of at most %d bytes (a unix socket's limit), or empty to turn it off", maxSocketPath))
	}
	if c.RIB.Prefer != "frr" && c.RIB.Prefer != "bird" {
		bad("rib.prefer", c.RIB.Prefer, "use frr or bird")
	}
	if !c.FPM.Enable && !c.BIRD.Enable {
		bad("fpm.enable", c.FPM.Enable, "at least one route source (fpm.enable or bird.enable) must be on")
	}
	if c.BIRD.Enable {
		errs = append(errs, c.BIRD.validate()...)
	}
	if err := c.LinuxCP.validate(); err != nil {
		errs = append(errs, err)
	}
	seenLinux, seenVPP := map[string]bool{}, map[string]bool{}
	for i, p := range c.Interfaces {
		key := fmt.Sprintf("interfaces[%d]", i)
		if p.Linux == "" || len(p.Linux) > 15 || strings.ContainsAny(p.Linux, "/ ") {
			bad(key+".linux", p.Linux, "must be a Linux interface name (1-15 characters, no '/' or space)")
		}
		if p.VPP == "" {
			bad(key+".vpp", p.VPP, "must be a VPP interface name")
		}
		if seenLinux[p.Linux] {
			bad(key+".linux", p.Linux, "each Linux interface may be paired once")
		}
		if seenVPP[p.VPP] {
			bad(key+".vpp", p.VPP, "each VPP interface may be paired once")
		}
		seenLinux[p.Linux], seenVPP[p.VPP] = true, true
	}
	return errors.Join(errs...)
}

// maxSocketPath is the longest path a unix socket address holds (sun_path
// is 108 bytes with its terminating NUL).
const maxSocketPath = 107

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	err := l.UnmarshalText([]byte(s))
	return l, err
}
