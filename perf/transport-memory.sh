#!/usr/bin/env bash
# Server RSS under a RegenerateLabels client that never reads (60 s) and under 30 half-sent 16 MiB messages (30 s),
# each against a fresh `wsss serve` on the bundled model. Needs a built CLI (scripts/test or dotnet build) and
# .deps/photos (scripts/setup.sh). Usage: perf/transport-memory.sh [regenerate|partial ...]
set -euo pipefail
cd "$(dirname "$0")/.."
source perf/fresh-server.sh
for mode in "${@:-regenerate partial}"; do
  for m in $mode; do
    log=$(mktemp)
    start_server "$log" --metrics-port -1
    echo "== $m (server pid $server, port $port)"
    seconds=60; [ "$m" = partial ] && seconds=30
    dotnet run perf/TransportMemory.cs -- "$m" "$port" "$server" .deps/photos/dog.jpg "$seconds" || true
    stop_server
    rm -f "$log"
  done
done
