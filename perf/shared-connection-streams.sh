#!/usr/bin/env bash
# RegenerateLabels streams sharing one HTTP/2 connection against a fresh `wsss serve` on the bundled model with few
# places (--concurrency 1 --queue 1) and a 2 s message idle timeout, so that streams waiting for places hold unread data
# in the connection's flow-control window. Needs a built solution (scripts/test or dotnet build: the CLI and the test
# project's descriptor set), .deps/photos and python3-grpcio (scripts/setup.sh).
# Usage: perf/shared-connection-streams.sh [STREAMS (8)] [ITEMS per stream (12)]
set -euo pipefail
cd "$(dirname "$0")/.."
wsss=inference/WsssOnnx.Cli/bin/Release/net10.0/wsss.dll
descriptors=tests/WsssOnnx.Server.Tests/bin/Release/net10.0/interop/wsss_v1.desc
log=$(mktemp)
dotnet "$wsss" serve --models models --port 0 --metrics-port -1 --no-watch --shutdown-grace 0 --log-level Warning \
  --concurrency 1 --queue 1 --message-idle-timeout 2 >"$log" 2>&1 &
server=$!
until grep -q "listening on" "$log"; do sleep 0.5; done
port=$(grep -o 'listening on [0-9.]*:[0-9]*' "$log" | sed 's/.*://')
class=$(sed -n '/"classes"/,/]/p' models/default/*/manifest.json | sed -n 's/^ *"\([a-z]*\)",\{0,1\}$/\1/p' | grep -v background | head -1)
/usr/bin/python3 perf/shared_connection_streams.py "$port" "$descriptors" .deps/photos/dog.jpg "${1:-8}" "${2:-12}" "$class" || true
kill -TERM "$server"; wait "$server" || true
rm -f "$log"
