#!/usr/bin/env bash
# The lab demo (make demo): see testbed/demo/main.go.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH
exec go run ./testbed/demo -lcpfib bin/lcpfib "$@"
