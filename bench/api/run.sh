#!/usr/bin/env bash
# bench/api — issue 3's API benchmark. Publishes the portal in Release, runs it on a loopback port with a fresh SQLite
# database, seeds services through the API, then measures with wrk (same run, same host):
#   GET /v1.0/services?limit=20   against   GET /v1.0 (JSON-Home: same auth and middleware, no data) = the ceiling
# and prints req/s of both, their ratio and p99 at 64 connections, plus the server time of the services list page.
# Goals (issue 3): ratio >= 0.30, p99 < 20 ms, list page p95 <= 50 ms.
# Usage: bench/api/run.sh            (SERVICES=10000 CONNECTIONS=64 DURATION=15s by default)
set -euo pipefail
cd "$(dirname "$0")/../.."
SERVICES=${SERVICES:-10000}
CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-15s}

if ! command -v wrk >/dev/null; then
  echo "installing wrk (Debian package)" >&2
  apt-get install -y wrk >/dev/null
fi

work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

echo "publishing (Release)..." >&2
dotnet publish src/Poppy.Portal.Web -c Release -o "$work/app" -p:TreatWarningsAsErrors=false >"$work/publish.log" 2>&1 || { cat "$work/publish.log"; exit 1; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
export ASPNETCORE_ENVIRONMENT=Production
export ASPNETCORE_URLS="$base"
export Portal__PublicBaseUrl="$base"
export Database__Provider=Sqlite
export Database__ConnectionString="Data Source=$work/bench.db"
export Portal__FirstAdmin__Email=admin@bench.local
export Portal__FirstAdmin__Password='Bench-Admin-2026!'
export Portal__FirstAdmin__Project=bench
# One log line per request would measure the console, not the API.
export Logging__LogLevel__Default=Warning

(cd "$work/app" && exec dotnet Poppy.Portal.Web.dll >"$work/host.log" 2>&1) &
pid=$!
for _ in $(seq 1 120); do
  curl -fs -o /dev/null "$base/v1.0/ping" && break
  sleep 0.5
done
curl -fs -o /dev/null "$base/v1.0/ping" || { echo "portal did not start"; cat "$work/host.log"; exit 1; }

token=$(cd "$work/app" && dotnet Poppy.Portal.Web.dll token create --user admin@bench.local --name bench)
python3 bench/api/seed.py "$base" "$token" "$work/bench.db" "$SERVICES"

wrk_run() {
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -H "X-Auth-Token: $token" -H "X-Project-ID: bench" "$1"
}
echo "warming up..." >&2
DURATION=3s wrk_run "$base/v1.0/services?limit=20" >/dev/null
ceiling=$(wrk_run "$base/v1.0")
services=$(wrk_run "$base/v1.0/services?limit=20")
rps() { awk '/Requests\/sec/ {print $2}' <<<"$1"; }
p99() { awk '$1 == "99%" {print $2}' <<<"$1"; }
non2xx() { awk '/Non-2xx/ {print $NF}' <<<"$1"; }

python3 bench/api/page_timing.py "$base" "$token" >"$work/page.txt"

python3 - "$(rps "$ceiling")" "$(rps "$services")" "$(p99 "$ceiling")" "$(p99 "$services")" "$(non2xx "$services")" "$SERVICES" "$CONNECTIONS" "$(cat "$work/page.txt")" <<'PY'
import sys
ceiling, services, p99c, p99s, errors, count, conns, page = sys.argv[1:9]
def ms(v):
    v = v.strip()
    for unit, f in (("ms", 1), ("us", 0.001), ("s", 1000)):
        if v.endswith(unit):
            return float(v[:-len(unit)]) * f
    return float(v)
ratio = float(services) / float(ceiling)
print(f"bench/api: {count} services seeded, wrk -t2 -c{conns}, loopback, Release build, SQLite")
print(f"  ceiling  GET /v1.0                 {float(ceiling):10.0f} req/s   p99 {ms(p99c):6.2f} ms")
print(f"  list     GET /v1.0/services?limit=20 {float(services):8.0f} req/s   p99 {ms(p99s):6.2f} ms   non-2xx: {errors or 0}")
print(f"  ratio    {ratio:.2f}   (goal >= 0.30: {'met' if ratio >= 0.30 else 'NOT met'}; p99 goal < 20 ms: {'met' if ms(p99s) < 20 else 'NOT met'})")
print(f"  {page}")
PY
