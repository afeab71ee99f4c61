#!/usr/bin/env bash
# bench/ui — issue 11's UI benchmark. Publishes the portal in Release, runs it on a loopback port (Production, SQLite,
# no background jobs), seeds SERVICES services through the API (bench/api/seed.py), then bench/ui/UiBench measures in
# headless Chromium: time to the first render of /services, a grid page change inside the circuit (p95 of each;
# goal <= 50 ms), and the portal's RSS with 0, 20 and 50 signed-in pages open on /services (goal <= 1 MB per circuit,
# under 300 MB with 50 circuits and 10,000 services).
# Usage: bench/ui/run.sh            (SERVICES=10000 SAMPLES=50 by default)
#        KEEP_DB=/tmp/ui-bench.db bench/ui/run.sh   seeds that file once and reuses it on later runs (the portal then
#        starts on 10,000 services without having taken them through its API: not the recorded figure, but quicker
#        when trying settings). Extra portal settings pass through the environment (e.g. DOTNET_gcServer=1).
#        DB_EXTRA=';Pooling=False' bench/ui/run.sh   appends options to the SQLite connection string.
#        HOST_LOG=/tmp/portal.log keeps the portal's log; UIBENCH_SMAPS_DIR=DIR copies /proc/PID/smaps at each memory
#        step (read them with bench/ui/smaps.py); UIBENCH_GCDUMP_DIR=DIR takes a dotnet-gcdump there.
set -euo pipefail
cd "$(dirname "$0")/../.."
SERVICES=${SERVICES:-10000}
SAMPLES=${SAMPLES:-50}
[ -x /usr/bin/chromium ] || apt-get install -y chromium >/dev/null

work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# REUSE_BUILD=DIR publishes into DIR once and reuses it (for trying runtime settings through the environment).
out=${REUSE_BUILD:-$work}
if [ -z "${REUSE_BUILD:-}" ] || [ ! -f "$out/app/Poppy.Portal.Web.dll" ]; then
  echo "publishing (Release)..." >&2
  publish=(-c Release -p:TreatWarningsAsErrors=false)
  dotnet publish src/Poppy.Portal.Web "${publish[@]}" -o "$out/app" >"$work/publish.log" 2>&1 || { cat "$work/publish.log"; exit 1; }
  dotnet publish bench/ui/UiBench "${publish[@]}" -o "$out/bench" >>"$work/publish.log" 2>&1 || { cat "$work/publish.log"; exit 1; }
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
export ASPNETCORE_ENVIRONMENT=Production ASPNETCORE_URLS="$base" Portal__PublicBaseUrl="$base"
db="$work/bench.db"
seeded=false
if [ -n "${KEEP_DB:-}" ] && [ -s "$KEEP_DB" ]; then cp "$KEEP_DB" "$db"; seeded=true; fi
export Database__Provider=Sqlite Database__ConnectionString="Data Source=$db${DB_EXTRA:-}"
export Portal__FirstAdmin__Email=admin@bench.local Portal__FirstAdmin__Password='Bench-Admin-2026!' Portal__FirstAdmin__Project=bench
export Portal__Jobs__Enabled=false Portal__Benchmarks__Enabled=false Logging__LogLevel__Default=Warning
# Only for this run: the portal hands its own server-side timings and heap figures to UiBench (/bench/diagnostics).
export Portal__Bench__Diagnostics=true

host_log=${HOST_LOG:-$work/host.log}
(cd "$out/app" && exec dotnet Poppy.Portal.Web.dll >"$host_log" 2>&1) &
pid=$!
for _ in $(seq 1 120); do curl -fs -o /dev/null "$base/v1.0/ping" && break; sleep 0.5; done
curl -fs -o /dev/null "$base/v1.0/ping" || { echo "portal did not start"; cat "$host_log"; exit 1; }

if [ "$seeded" = false ]; then
  token=$(cd "$out/app" && dotnet Poppy.Portal.Web.dll token create --user admin@bench.local --name bench)
  python3 bench/api/seed.py "$base" "$token" "$db" "$SERVICES"
  if [ -n "${KEEP_DB:-}" ]; then sqlite3 "$db" ".backup '$KEEP_DB'" 2>/dev/null || cp "$db" "$KEEP_DB"; fi
fi

echo "bench/ui: $SERVICES services$([ "$seeded" = true ] && echo " (reused database)"), Release build, SQLite, loopback, headless Chromium on the same $(nproc)-core machine; $(uptime | sed 's/.*load/load/')"
dotnet "$out/bench/UiBench.dll" "$base" admin@bench.local 'Bench-Admin-2026!' "$pid" "$SAMPLES"
