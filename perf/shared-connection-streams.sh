#!/usr/bin/env bash
# RegenerateLabels streams sharing one HTTP/2 connection against a fresh `wsss serve` on the bundled model with few
# places (--concurrency 1 --queue 1) and a 2 s message idle timeout, so that streams waiting for places hold unread data
# in the connection's flow-control window. Needs a built solution (scripts/test or dotnet build: the CLI and the test
# project's descriptor set), .deps/photos and python3-grpcio (scripts/setup.sh).
# Usage: perf/shared-connection-streams.sh [STREAMS (8)] [ITEMS per stream (12)]
set -euo pipefail
cd "$(dirname "$0")/.."
source perf/fresh-server.sh
descriptors=tests/WsssOnnx.Server.Tests/bin/Release/net10.0/interop/wsss_v1.desc
log=$(mktemp)
start_server "$log" --metrics-port -1 --concurrency 1 --queue 1 --message-idle-timeout 2
class=$(sed -n '/"classes"/,/]/p' models/default/*/manifest.json | sed -n 's/^ *"\([a-z]*\)",\{0,1\}$/\1/p' | grep -v background | head -1)
/usr/bin/python3 perf/shared_connection_streams.py "$port" "$descriptors" .deps/photos/dog.jpg "${1:-8}" "${2:-12}" "$class" || true
stop_server
rm -f "$log"
