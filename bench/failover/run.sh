#!/usr/bin/env bash
# bench/failover — issue 12's steering benchmark, two figures:
#   1. real time: the portal (published, Release, its own process, jobs on: probe rounds every PROBE_INTERVAL_S seconds,
#      steering rounds every 2 s) with the CDN simulators in their own process (demo edge latencies and jitter) and the
#      portal's local PowerDNS (pdns_server, SQLite backend, loopback ports). A service on the simulators' flavor is
#      steered by `failover` (Fastly, Akamai, MaxCDN); TRIALS times the driver (bench/failover/FailoverBench) injects an
#      outage of the Fastly edge (POST /_faults/fastly {"outage":true}) at a random point of the probe schedule and asks
#      the authoritative PowerDNS every 10 ms (DnsClient, no cache) until the CNAME answer changes -> seconds from outage
#      to the DNS answer changing, median and max;
#   2. false switches over ROUNDS jittered steering rounds without an outage: the steering decider fed by simulated
#      probes (demo latencies + jitter + a tail of TAIL_SHARE probes 50-500 ms slower), as SteeringRound feeds it.
# Goals (issue 12): median <= 11 s, 0 false switches. Anchors: Route 53 health checks 30 s x 3 failures by default
# (10 s fast interval), Cloudflare load balancing monitors 60 s (10 s on enterprise).
# Usage: bench/failover/run.sh     (TRIALS=20 PROBE_INTERVAL_S=5 ROUNDS=1000 SEED=1 TAIL_SHARE=0.05 ERROR_RATE=0 ONLY=)
#        ONLY=decider skips the real-time part (seconds, no publish); ONLY=realtime skips the decider.
set -euo pipefail
cd "$(dirname "$0")/../.."
TRIALS=${TRIALS:-20}
PROBE_INTERVAL_S=${PROBE_INTERVAL_S:-5}
ROUNDS=${ROUNDS:-1000}
SEED=${SEED:-1}
TAIL_SHARE=${TAIL_SHARE:-0.05}
ERROR_RATE=${ERROR_RATE:-0}
ONLY=${ONLY:-}
export TAIL_SHARE PROBE_INTERVAL_S

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
rid=linux-$(uname -m | sed 's/x86_64/x64/; s/aarch64/arm64/')
publish=(-c Release -r "$rid" --self-contained false -p:TreatWarningsAsErrors=false)
echo "publishing (Release)..." >&2
dotnet publish bench/failover/FailoverBench "${publish[@]}" -o "$work/bench" >"$work/publish.log" 2>&1 || { cat "$work/publish.log"; exit 1; }

if [ "$ONLY" != realtime ]; then
  echo "decider: $ROUNDS rounds per scenario, no outage, tail share $TAIL_SHARE, transient error rate $ERROR_RATE" >&2
  (cd "$work/bench" && dotnet FailoverBench.dll decider "$ROUNDS" "$SEED" "$ERROR_RATE") 2>"$work/decider.log"
  grep -c 'switched to' "$work/decider.log" >/dev/null && sed 's/^/  /' "$work/decider.log" | head -20
fi
[ "$ONLY" = decider ] && exit 0

command -v pdns_server >/dev/null || { echo "pdns_server is missing: apt-get install -y pdns-server pdns-backend-sqlite3" >&2; exit 1; }
dotnet publish src/Poppy.Portal.Simulators "${publish[@]}" -o "$work/sims" >>"$work/publish.log" 2>&1 || { cat "$work/publish.log"; exit 1; }
dotnet publish src/Poppy.Portal.Web "${publish[@]}" -o "$work/app" >>"$work/publish.log" 2>&1 || { cat "$work/publish.log"; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 1 240); do curl -fs -o /dev/null "$1" && return 0; sleep 0.5; done; echo "$2 did not start" >&2; cat "$3" >&2; exit 1; }

# The services' origin: a loopback web server (its directory listing is the probe object "/").
mkdir -p "$work/origin" && echo ok >"$work/origin/index.html"
origin_port=$(free_port)
(cd "$work/origin" && exec python3 -m http.server "$origin_port" --bind 127.0.0.1 >/dev/null 2>&1) &
pids+=($!)

# The simulators in their own process, with their demo edge latencies (Fastly 12+0-6 ms, Akamai 15+0-8, MaxCDN 35+0-25).
sims_port=$(free_port)
sims="http://127.0.0.1:$sims_port/"
(cd "$work/sims" && exec dotnet Poppy.Portal.Simulators.dll --port "$sims_port" --deploy-delay-ms 1000 --origin "failover-origin.bench.test=http://127.0.0.1:$origin_port" >"$work/sims.log" 2>&1) &
pids+=($!)
wait_for "${sims}_inventory" "the simulators" "$work/sims.log"

port=$(free_port)
base="http://127.0.0.1:$port"
export ASPNETCORE_ENVIRONMENT=Production ASPNETCORE_URLS="$base" Portal__PublicBaseUrl="$base"
export Database__Provider=Sqlite Database__ConnectionString="Data Source=$work/portal.db"
export Portal__FirstAdmin__Email=admin@bench.local Portal__FirstAdmin__Password='Bench-Admin-2026!' Portal__FirstAdmin__Project=bench
export Portal__Simulators__Enabled=true Portal__Simulators__ExternalUrl="$sims"
export Portal__Dns__Local__Enabled=true Portal__Dns__Local__Directory="$work/pdns" Portal__Dns__DefaultAccount=pdns-local
export Portal__Benchmarks__DefaultInterval="00:00:$(printf %02d "$PROBE_INTERVAL_S")"
export Portal__Provisioning__DeploymentPollInterval=00:00:01
export Logging__LogLevel__Default=Warning
(cd "$work/app" && exec dotnet Poppy.Portal.Web.dll >"$work/host.log" 2>&1) &
pids+=($!)
wait_for "$base/v1.0/ping" "the portal" "$work/host.log"
token=$(cd "$work/app" && dotnet Poppy.Portal.Web.dll token create --user admin@bench.local --project bench --name bench)

echo "real time: $TRIALS outages of the Fastly edge, probes every ${PROBE_INTERVAL_S} s, steering rounds every 2 s" >&2
set +e
(cd "$work/bench" && dotnet FailoverBench.dll realtime "$base" "$token" bench "$sims" failover-origin.bench.test 80 "$TRIALS")
status=$?
set -e
[ $status -eq 0 ] || { echo "--- portal log" >&2; tail -40 "$work/host.log" >&2; }
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "anchors: Route 53 health checks 30 s interval x 3 failures (about 90 s; 10 s fast interval: about 30 s); Cloudflare load balancing monitors 60 s (10 s on enterprise)"
exit $status
