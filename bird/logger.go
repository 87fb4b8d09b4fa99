package bird

import (
	"context"
	"log/slog"
	"sync/atomic"

	gobgplog "github.com/osrg/gobgp/v3/pkg/log"
)

// logger hands GoBGP's log lines to slog. GoBGP's Info is chatty (every
// FSM step), so it becomes Debug; the bridge logs session changes itself.
// Fatal and Panic become errors: lcpfib decides whether to exit.
type logger struct {
	l     *slog.Logger
	level atomic.Uint32
}

func newLogger(l *slog.Logger) *logger {
	g := &logger{l: l.With("component", "gobgp")}
	g.level.Store(uint32(gobgplog.DebugLevel))
	return g
}

func (g *logger) log(level slog.Level, gl gobgplog.LogLevel, msg string, fields gobgplog.Fields) {
	if gl > gobgplog.LogLevel(g.level.Load()) || !g.l.Enabled(context.Background(), level) {
		return
	}
	attrs := make([]any, 0, 2*len(fields))
	for k, v := range fields {
		attrs = append(attrs, k, v)
	}
	g.l.Log(context.Background(), level, msg, attrs...)
}

func (g *logger) Panic(msg string, f gobgplog.Fields) {
	g.log(slog.LevelError, gobgplog.PanicLevel, msg, f)
}
func (g *logger) Fatal(msg string, f gobgplog.Fields) {
	g.log(slog.LevelError, gobgplog.FatalLevel, msg, f)
}
func (g *logger) Error(msg string, f gobgplog.Fields) {
	g.log(slog.LevelError, gobgplog.ErrorLevel, msg, f)
}
func (g *logger) Warn(msg string, f gobgplog.Fields) {
	g.log(slog.LevelWarn, gobgplog.WarnLevel, msg, f)
}
func (g *logger) Info(msg string, f gobgplog.Fields) {
	g.log(slog.LevelDebug, gobgplog.InfoLevel, msg, f)
}
func (g *logger) Debug(msg string, f gobgplog.Fields) {
	g.log(slog.LevelDebug-4, gobgplog.DebugLevel, msg, f)
}
func (g *logger) SetLevel(l gobgplog.LogLevel) { g.level.Store(uint32(l)) }
func (g *logger) GetLevel() gobgplog.LogLevel  { return gobgplog.LogLevel(g.level.Load()) }
