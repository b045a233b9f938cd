#!/usr/bin/env bash
# Policy benchmarks (not timed tests; they print figures and never fail on them):
#   1. compile time of synthetic policies of 1k, 10k and 100k rules (host, release build);
#   2. load time of policies of 1k, 10k and 100k rules inside the QEMU guest, each against
#      a baseline measured in the same run (the same bytes written to a tmpfs file).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$HOME/.cargo/bin:$PATH"
"$REPO/scripts/setup.sh"
echo "== compile time (host) =="
cargo bench --manifest-path "$REPO/Cargo.toml" -p tcp-policy-compiler --bench compile
echo
echo "== load time (guest, TCG: absolute times are emulated, compare the ratio) =="
"$REPO/scripts/qemu-boot.sh" --run 'tcp-guest-tests --bench-load'
