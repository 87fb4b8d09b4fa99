# lcpfib. `make demo` and `make test` are the two commands of the README:
# each installs what it needs first (testbed/setup.sh, as root).
export PATH := /usr/local/go/bin:$(PATH)
GO ?= go

.PHONY: all build test unit demo fuzz vet setup clean deb debcheck

all: build

setup:
	./testbed/setup.sh

build:
	$(GO) build -o bin/lcpfib ./cmd/lcpfib
	$(GO) build -o bin/vppsim ./testbed/vppsim

vet:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "not gofmt-formatted: $$out"; exit 1; fi

# Everything: unit tests, decoders against the FRR captures, the
# TestIntegration* tests against real FRR in fresh network namespaces (root),
# then every fuzz target for a bounded time.
test: setup vet debcheck
	$(GO) test -count=1 -race -timeout 30m ./...
	$(MAKE) fuzz FUZZTIME=10s

# Unit tests only: no root, no FRR.
unit:
	$(GO) test -count=1 -short ./...

demo: setup build
	./testbed/demo.sh

# Runs every fuzz target for FUZZTIME each.
FUZZTIME ?= 30s
fuzz:
	@for pkg in ./fpm ./zebra ./bird ./testbed/vppsim/sim; do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep ^Fuzz); do \
			$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

# The Debian package (contrib/debian/build.sh): a static, stripped lcpfib,
# built reproducibly. VERSION is the release being worked towards; the
# package version comes from `git describe` (contrib/debian/version.sh).
VERSION := 0.1.0
DEB_VERSION = $(shell ./contrib/debian/version.sh $(VERSION))
DEB_ARCH = $(shell dpkg --print-architecture)
DEB_MAINTAINER ?= lcpfib maintainers <maintainers@users.noreply.h-seed-137e4197.example>
DEB = bin/lcpfib_$(DEB_VERSION)_$(DEB_ARCH).deb

deb:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o bin/deb/lcpfib ./cmd/lcpfib
	./contrib/debian/build.sh --binary bin/deb/lcpfib --version '$(DEB_VERSION)' \
		--maintainer '$(DEB_MAINTAINER)' --out bin

# Checks the package: its metadata and contents, lintian, an installation
# into a scratch root with its maintainer scripts, and the vpp-proto
# install script against a scratch image (testbed/debcheck.sh).
debcheck: deb
	./testbed/debcheck.sh '$(DEB)'

clean:
	rm -rf bin
