# Sourced by the perf scripts (from the repository root): a fresh `wsss serve` on the bundled models, on a free port.
# Needs a built CLI (scripts/test or dotnet build).
wsss_dll=inference/WsssOnnx.Cli/bin/Release/net10.0/wsss.dll
server=""

# start_server LOG [SERVE OPTION ...]: starts the server with its output in LOG and sets server (its pid), address
# (host:port) and port once it listens; if it exits first, prints LOG and exits 1.
start_server() {
  local log=$1
  shift
  dotnet "$wsss_dll" serve --models models --port 0 --no-watch --shutdown-grace 0 --log-level Warning "$@" >"$log" 2>&1 &
  server=$!
  until grep -q "listening on" "$log"; do
    if ! kill -0 "$server" 2>/dev/null; then
      echo "wsss serve exited before listening:" >&2
      cat "$log" >&2
      exit 1
    fi
    sleep 0.5
  done
  address=$(grep -o 'listening on [0-9.]*:[0-9]*' "$log" | sed 's/listening on //')
  port=${address##*:}
}

# stop_server: SIGTERM to the server started last, and waits for it.
stop_server() {
  kill -TERM "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
}
