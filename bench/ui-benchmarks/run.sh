#!/usr/bin/env bash
# bench/ui-benchmarks — issue 12's page benchmark. Publishes the portal in Release and runs it on a loopback port
# (Production, SQLite, no background jobs), then bench/ui-benchmarks/PageBench seeds SERVICES services on a flavor of four
# providers, DAYS days of hourly rollups and the last hour's minute rollups for each service and provider (written
# straight into SQLite, shaped as RollupBuilder writes them), runs the portal's RollupBuilder once (it folds them into the
# per-project rollups the board reads, as after an upgrade), and times the Benchmarks board page, a service's page and
# the chart data API over HTTP (SAMPLES sequential requests each; p95, goal <= 150 ms server time).
# Usage: bench/ui-benchmarks/run.sh      (SERVICES=1000 DAYS=30 SAMPLES=20)
set -euo pipefail
cd "$(dirname "$0")/../.."
SERVICES=${SERVICES:-1000}
DAYS=${DAYS:-30}
SAMPLES=${SAMPLES:-20}

work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
echo "publishing (Release)..." >&2
rid=linux-$(uname -m | sed 's/x86_64/x64/; s/aarch64/arm64/')
publish=(-c Release -r "$rid" --self-contained false -p:TreatWarningsAsErrors=false)
dotnet publish src/Poppy.Portal.Web "${publish[@]}" -o "$work/app" >"$work/publish.log" 2>&1 || { cat "$work/publish.log"; exit 1; }
dotnet publish bench/ui-benchmarks/PageBench "${publish[@]}" -o "$work/bench" >>"$work/publish.log" 2>&1 || { cat "$work/publish.log"; exit 1; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
export ASPNETCORE_ENVIRONMENT=Production ASPNETCORE_URLS="$base" Portal__PublicBaseUrl="$base"
export Database__Provider=Sqlite Database__ConnectionString="Data Source=$work/bench.db"
export Portal__FirstAdmin__Email=admin@bench.local Portal__FirstAdmin__Password='Bench-Admin-2026!' Portal__FirstAdmin__Project=bench
export Portal__Services__DefaultServiceLimit=$((SERVICES + 10))
export Portal__Jobs__Enabled=false Portal__Benchmarks__Enabled=false Portal__Steering__Enabled=false Logging__LogLevel__Default=Warning
(cd "$work/app" && exec dotnet Poppy.Portal.Web.dll >"$work/host.log" 2>&1) &
pid=$!
for _ in $(seq 1 240); do curl -fs -o /dev/null "$base/v1.0/ping" && break; sleep 0.5; done
curl -fs -o /dev/null "$base/v1.0/ping" || { echo "portal did not start"; cat "$work/host.log"; exit 1; }
token=$(cd "$work/app" && dotnet Poppy.Portal.Web.dll token create --user admin@bench.local --name bench)  # unrestricted: adding the flavor is a global admin operation

set +e
(cd "$work/bench" && dotnet PageBench.dll "$base" "$token" bench "$work/bench.db" "$SERVICES" "$DAYS" "$SAMPLES" "$pid")
status=$?
set -e
[ $status -eq 0 ] || [ $status -eq 3 ] || tail -30 "$work/host.log"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
