#!/usr/bin/env bash
# A served AdvCAM's time and the server's memory around a burst of large requests, against a fresh `wsss serve` on the
# bundled model: RSS once warm, the time of one AdvCAM at the package's defaults (docs/samples/shapes.jpg, 2 classes),
# the peak RSS (VmHWM) over a burst of CAM + CRF with all 8 classes and an AdvCAM (3 steps, 4 scales) on a 768x576
# photo at once, and the RSS after 10 small requests and 5 s idle. Environment variables such as MALLOC_ARENA_MAX,
# MALLOC_MMAP_THRESHOLD_ or MALLOC_TRIM_THRESHOLD_ pass to the server (a set one turns off the setting wsss would make).
# Needs a built CLI and .deps/photos (scripts/setup.sh). Usage: perf/serve-memory.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source perf/fresh-server.sh
wsss=(dotnet "$wsss_dll")
log=$(mktemp) out=$(mktemp -d)
trap 'stop_server; rm -rf "$log" "$out"' EXIT
start_server "$log" --metrics-port 0 --concurrency 2
kb() { grep "^$1:" "/proc/$server/status" | awk '{print $2}'; }
ask() { "${wsss[@]}" attribute --server "$address" --out "$out" "$@" >/dev/null; }
echo "server pid $server at $address"
echo "rss warm: $(( $(kb VmRSS) / 1024 )) MB"
start=$(date +%s.%N)
ask --image docs/samples/shapes.jpg --classes hexagon,star --method advcam
echo "advcam (T 27, 4 scales, 2 classes, 224 px): $(echo "$(date +%s.%N) - $start" | bc) s"
ask --image .deps/photos/dog.jpg --classes disc,triangle,square,plus,ring,diamond,star,hexagon --method cam --crf &
crf=$!
ask --image .deps/photos/dog.jpg --classes disc --method advcam --steps 3 &
climb=$!
wait $crf $climb
echo "peak rss (burst): $(( $(kb VmHWM) / 1024 )) MB"
for _ in $(seq 10); do ask --image docs/samples/shapes.jpg --classes star --method cam; done
sleep 5
heap=$(curl -s "$(grep -o 'http://[0-9.:]*/metrics' "$log")" | awk '/^dotnet_gc_heap_bytes/ {print int($2 / 1048576)}')
echo "rss after 10 small requests and 5 s idle: $(( $(kb VmRSS) / 1024 )) MB (managed heap ${heap} MB)"
