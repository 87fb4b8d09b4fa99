package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"sort"
	"strings"
)

// liveKeys are the configuration keys a reload (SIGHUP) applies to the
// running daemon; every other key needs a restart.
var liveKeys = []string{"log.level", "vpp.max-rate"}

// reloader re-reads the configuration on SIGHUP.
type reloader struct {
	load  func() (*Config, error) // the file, the environment and the flags, as at start
	level *slog.LevelVar          // the logger's level
	hup   <-chan os.Signal
}

// watchReload applies a new configuration on every signal from hup until
// ctx is done.
func (d *daemon) watchReload(ctx context.Context, r *reloader) error {
	for {
		select {
		case <-r.hup:
			d.reload(r)
		case <-ctx.Done():
			return nil
		}
	}
}

// reload reads the configuration again and applies what changed. An
// invalid file changes nothing. It returns the keys applied and those
// that need a restart.
func (d *daemon) reload(r *reloader) (applied, restart []string, err error) {
	cfg, err := r.load()
	if err != nil {
		d.log.Error("configuration not reloaded: the running one stays", "err", err)
		return nil, nil, err
	}
	if !cfg.FPM.Enable {
		cfg.FPM.Notify = false // as newDaemon runs it: nothing to notify
	}
	old, now := flatten(d.cfg), flatten(cfg)
	var changed []string
	for k, v := range now {
		if old[k] != v {
			changed = append(changed, k)
		}
	}
	sort.Strings(changed)
	for _, k := range changed {
		switch k {
		case "log.level":
			lvl, _ := parseLevel(cfg.Log.Level) // validated
			r.level.Set(lvl)
			d.cfg.Log.Level = cfg.Log.Level
		case "vpp.max-rate":
			d.vpp.SetMaxRate(cfg.VPP.MaxRate)
			d.cfg.VPP.MaxRate = cfg.VPP.MaxRate
		default:
			restart = append(restart, k)
			continue
		}
		applied = append(applied, k)
		d.log.Info("configuration applied", "key", k, "old", old[k], "new", now[k])
	}
	if len(restart) > 0 {
		d.log.Warn("configuration keys changed that need a restart; running with the old values", "keys", strings.Join(restart, ", "))
	}
	d.log.Info("configuration reloaded", "applied", len(applied), "need_restart", len(restart))
	return applied, restart, nil
}

// flatten lists every key of c with its value as text, "vpp.max-rate" ->
// "1000", lists as one value.
func flatten(c *Config) map[string]string {
	out := map[string]string{}
	flattenValue(reflect.ValueOf(c).Elem(), "", out)
	return out
}

func flattenValue(v reflect.Value, prefix string, out map[string]string) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("koanf")
		if tag == "" {
			continue
		}
		key := tag
		if prefix != "" {
			key = prefix + "." + tag
		}
		fv := v.Field(i)
		if fv.Kind() == reflect.Struct {
			flattenValue(fv, key, out)
			continue
		}
		out[key] = fmt.Sprintf("%v", fv.Interface())
	}
}
