package vpp

import "time"

// SetMaxRate changes the bound on requests per second sent to VPP (0: no
// bound); the pipeline follows it from its next request. It is safe to
// call at any time (a configuration reload).
func (p *Programmer) SetMaxRate(n int) { p.maxRate.Store(int64(max(n, 0))) }

// MaxRate is the bound on requests per second in effect (0: none).
func (p *Programmer) MaxRate() int { return int(p.maxRate.Load()) }

// Settings are the programmer's configuration in effect, for show vpp.
type Settings struct {
	Socket       string
	Window       int
	MaxRate      int
	ReplyTimeout time.Duration
}

// Settings returns the configuration in effect.
func (p *Programmer) Settings() Settings {
	return Settings{Socket: p.cfg.Socket, Window: p.cfg.Window, MaxRate: p.MaxRate(), ReplyTimeout: p.cfg.ReplyTimeout}
}
