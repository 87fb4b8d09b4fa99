//go:build !linux

package sim

import (
	"errors"

	"go.fd.io/govpp/api"
)

// linuxHost refuses to make host interfaces where there is no Linux.
type linuxHost struct{}

var errNoLinux = &hostErr{api.SYSCALL_ERROR_2, errors.New("linux-cp host interfaces need Linux")}

func (linuxHost) openTap(hostTapConfig) (*hostTap, uint32, error) { return nil, 0, errNoLinux }

func (linuxHost) addVLAN(string, uint32, uint16, string, bool) (uint32, error) { return 0, errNoLinux }

func (linuxHost) delLink(string, string) error { return nil }
