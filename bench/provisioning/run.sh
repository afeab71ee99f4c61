#!/usr/bin/env bash
# bench/provisioning — issue 4's provisioning benchmark. Publishes the portal and the CDN simulators in Release, runs the
# simulators as their own process (API latency, transient error rate, short deploy delay, Fastly's hourly write limit
# raised) and the portal on a fresh SQLite file with jobs on and Portal:Simulators:ExternalUrl pointing at them, creates
# SERVICES services through POST /v1.0/services as fast as the API accepts them, waits until all are deployed, and prints:
# provider operations per second (4 x services / seconds from the first create to all deployed), the API's create rate,
# time to all-deployed, the portal's peak memory (VmHWM) and, from the simulators' inventory, duplicate and missing
# vendor resources (both must be 0). Goal (issue 4): >= 100 provider operations per second on 2 cores.
# Usage: bench/provisioning/run.sh   (SERVICES=1000 LATENCY_MS=50 ERROR_RATE=0.05 DEPLOY_DELAY_MS=2000 DEADLINE_S=900)
#        DATABASE=postgresql runs the portal on a throwaway local PostgreSQL server (Debian's postgresql package) instead.
# Engine settings pass through as usual, e.g. Portal__Provisioning__DeploymentPollInterval=00:00:02.
set -euo pipefail
cd "$(dirname "$0")/../.."
SERVICES=${SERVICES:-1000}
LATENCY_MS=${LATENCY_MS:-50}
ERROR_RATE=${ERROR_RATE:-0.05}
DEPLOY_DELAY_MS=${DEPLOY_DELAY_MS:-2000}
DEADLINE_S=${DEADLINE_S:-900}
CLIENT_THREADS=${CLIENT_THREADS:-4}
DATABASE=${DATABASE:-sqlite}

# REUSE=<folder kept by an earlier KEEP=1 run>: skip publishing, start on a fresh database (for profiling iterations).
work=${REUSE:-$(mktemp -d)}
rm -f "$work"/bench.db*
portal_pid=""
sims_pid=""
pg_data=""
cleanup() {
  [ -n "$pg_data" ] && runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_data" -m immediate -w stop >/dev/null 2>&1
  [ -n "$portal_pid" ] && kill "$portal_pid" 2>/dev/null
  [ -n "$sims_pid" ] && kill "$sims_pid" 2>/dev/null
  wait 2>/dev/null
  [ -n "${KEEP:-}${REUSE:-}" ] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT

if [ -z "${REUSE:-}" ]; then
  echo "publishing (Release)..." >&2
  # As for production: Release, compiled ahead of time (ReadyToRun) for this machine, so the run measures the work and
  # not the JIT warming up.
  rid=linux-$(uname -m | sed 's/x86_64/x64/; s/aarch64/arm64/')
  publish=(-c Release -r "$rid" --self-contained false -p:PublishReadyToRun=true -p:TreatWarningsAsErrors=false)
  dotnet publish src/Poppy.Portal.Web "${publish[@]}" -o "$work/app" >"$work/publish.log" 2>&1 || { cat "$work/publish.log"; exit 1; }
  dotnet publish src/Poppy.Portal.Simulators "${publish[@]}" -o "$work/sims" >>"$work/publish.log" 2>&1 || { cat "$work/publish.log"; exit 1; }
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() { # url, what, log
  for _ in $(seq 1 120); do curl -fs -o /dev/null "$1" && return 0; sleep 0.5; done
  echo "$2 did not start"; cat "$3"; exit 1
}

sims_port=$(free_port)
sims="http://127.0.0.1:$sims_port/"
(cd "$work/sims" && exec dotnet Poppy.Portal.Simulators.dll --port "$sims_port" --deploy-delay-ms "$DEPLOY_DELAY_MS" \
  --latency-ms "$LATENCY_MS" --error-rate "$ERROR_RATE" --fastly-hourly-limit 10000000 >"$work/sims.log" 2>&1) &
sims_pid=$!
wait_for "${sims}_inventory" "the simulators" "$work/sims.log"

port=$(free_port)
base="http://127.0.0.1:$port"
export ASPNETCORE_ENVIRONMENT=Production
export ASPNETCORE_URLS="$base"
export Portal__PublicBaseUrl="$base"
if [ "$DATABASE" = postgresql ]; then
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  pg_data="$work/pg"; pg_port=$(free_port)
  rm -rf "$pg_data"; mkdir -p "$pg_data"; chown postgres "$pg_data"; chmod o+x "$work"  # mktemp -d is private to root
  runuser -u postgres -- "$pg_bin/initdb" -D "$pg_data" -U postgres --auth=trust >"$work/pg-init.log" 2>&1
  runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_data" -l "$pg_data/server.log" -w \
    -o "-p $pg_port -k $pg_data -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null
  export Database__Provider=PostgreSQL
  export Database__ConnectionString="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres;Maximum Pool Size=200"
else
  export Database__Provider=Sqlite
  export Database__ConnectionString="Data Source=$work/bench.db"
fi
export Portal__FirstAdmin__Email=admin@bench.local
export Portal__FirstAdmin__Password='Bench-Admin-2026!'
export Portal__FirstAdmin__Project=bench
export Portal__Simulators__Enabled=true
export Portal__Simulators__ExternalUrl="$sims"
export Portal__Jobs__Enabled=true
# The simulators impose no request quota or concurrency limit, so neither does the portal here (a real account keeps
# the defaults, 200 requests/s and 32 at once); and more job workers, since a service's job waits inside its run for
# CloudFront's and Akamai's rollouts.
export Portal__Provisioning__Limits__RequestsPerSecond=${Portal__Provisioning__Limits__RequestsPerSecond:-2000}
export Portal__Provisioning__Limits__MaxConcurrentRequests=${Portal__Provisioning__Limits__MaxConcurrentRequests:-256}
export Portal__Jobs__MaxConcurrency=${Portal__Jobs__MaxConcurrency:-256}
# One log line per request would measure the console, not provisioning.
export Logging__LogLevel__Default=Warning

(cd "$work/app" && exec dotnet Poppy.Portal.Web.dll >"$work/host.log" 2>&1) &
portal_pid=$!
wait_for "$base/v1.0/ping" "the portal" "$work/host.log"

token=$(cd "$work/app" && Portal__Jobs__Enabled=false dotnet Poppy.Portal.Web.dll token create --user admin@bench.local --project bench --name bench)
result=$(python3 bench/provisioning/client.py "$base" "$token" "$sims" "$SERVICES" "$DEADLINE_S" "$CLIENT_THREADS")
hwm_kb=$(awk '/VmHWM/ {print $2}' "/proc/$portal_pid/status")
cpu_ticks=$(awk '{print $14 + $15}' "/proc/$portal_pid/stat")

# Where the time went, from the operation records. SQLite holds DateTimeOffset as EF's DateTimeOffsetToBinaryConverter
# writes it: (ticks / 1000) << 11 plus the offset, so a difference / 2048 is in units of 100 µs.
[ "$DATABASE" = postgresql ] && : >"$work/ops.txt" || python3 - "$work/bench.db" >"$work/ops.txt" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("""SELECT ProviderName, COUNT(*), SUM(Attempts), AVG((FinishedAt - CreatedAt) / 2048e4), MAX((FinishedAt - CreatedAt) / 2048e4),
                            SUM(State = 'Succeeded'), SUM(State = 'Failed')
                     FROM ProvisioningOperations WHERE Kind = 'Create' GROUP BY ProviderName ORDER BY ProviderName""").fetchall()
for name, n, attempts, avg, worst, ok, failed in rows:
    print(f"    {name:<15} {n:5d} ops  {ok or 0:5d} ok  {failed or 0:3d} failed  {(attempts or 0) / n:4.2f} attempts/op  "
          f"create->done avg {avg or 0:6.1f} s  max {worst or 0:6.1f} s")
PY

DATABASE="$DATABASE" python3 - "$result" "$hwm_kb" "$cpu_ticks" "$(getconf CLK_TCK)" "$(nproc)" "$LATENCY_MS" "$ERROR_RATE" "$DEPLOY_DELAY_MS" "$work/ops.txt" <<'PY'
import json, os, sys
r = json.loads(sys.argv[1]); hwm_kb, ticks, hz, cores = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
latency, errors, delay, ops = sys.argv[6], sys.argv[7], sys.argv[8], open(sys.argv[9]).read()
n = r["services"]; done = r["done_s"]
print(f"bench/provisioning: {n} services x 4 providers, simulators {latency} ms latency, error rate {errors}, deploy delay {delay} ms; "
      f"Release, {'PostgreSQL' if os.environ['DATABASE'] == 'postgresql' else 'SQLite'}, {cores} cores")
print(f"  API creates        {n / r['created_s']:8.1f} services/s   ({r['created_s']:.1f} s for {n})")
if done is not None:
    rate = 4 * n / done
    print(f"  all deployed after {done:8.1f} s")
    print(f"  provider ops/s     {rate:8.1f}   (goal >= 100: {'met' if rate >= 100 else 'NOT met'})")
else:
    print(f"  NOT all deployed after {r['elapsed_s']:.0f} s: {r['statuses']}")
print(f"  statuses           {r['statuses']}")
print(f"  peak memory        {hwm_kb / 1024:8.1f} MiB (VmHWM of the portal)   portal CPU {ticks / hz:.1f} s")
print(f"  vendor resources   {r['resources']}")
print(f"  duplicates {r['duplicates']}   missing {r['missing']}   (both must be 0: {'ok' if r['duplicates'] == 0 and r['missing'] == 0 else 'NOT ok'})")
print("  create operations per provider:")
print(ops, end="")
PY
