#!/usr/bin/env bash
# Server RSS under a RegenerateLabels client that never reads (60 s) and under 30 half-sent 16 MiB messages (30 s),
# each against a fresh `wsss serve` on the bundled model. Needs a built CLI (scripts/test or dotnet build) and
# .deps/photos (scripts/setup.sh). Usage: perf/transport-memory.sh [regenerate|partial ...]
set -euo pipefail
cd "$(dirname "$0")/.."
wsss=inference/WsssOnnx.Cli/bin/Release/net10.0/wsss.dll
for mode in "${@:-regenerate partial}"; do
  for m in $mode; do
    log=$(mktemp)
    dotnet "$wsss" serve --models models --port 0 --metrics-port -1 --no-watch --shutdown-grace 0 --log-level Warning >"$log" 2>&1 &
    server=$!
    until grep -q "listening on" "$log"; do sleep 0.5; done
    port=$(grep -o 'listening on [0-9.]*:[0-9]*' "$log" | sed 's/.*://')
    echo "== $m (server pid $server, port $port)"
    seconds=60; [ "$m" = partial ] && seconds=30
    dotnet run perf/TransportMemory.cs -- "$m" "$port" "$server" .deps/photos/dog.jpg "$seconds" || true
    kill -TERM "$server"; wait "$server" || true
    rm -f "$log"
  done
done
