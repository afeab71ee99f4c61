#!/usr/bin/env bash
# bench/probes — issue 12's probe benchmark. Publishes the CDN simulators in Release and runs them as their own process
# with a loopback origin (python3 http.server) behind a Fastly service on the simulated edge, then in the same run:
#   1. the portal's probe engine (EdgeProber, via bench/probes/ProbeBench): CONCURRENCY probes in flight for SECONDS,
#      each a new connection with every phase timed, as probe rounds make them -> probes per second;
#   2. wrk against the same edge, same Host, same object, for SECONDS with CONCURRENCY connections -> requests per second
#      (wrk keeps its connections alive; a probe opens a new one each time on purpose), and again with
#      "Connection: close" (a new connection per request, as a probe);
#   3. the timing error: probes one at a time with 0, 20, 50 and 200 ms injected by the simulator's fault endpoint,
#      under tcpdump: error = the total the engine reported - the wire's time from its SYN to the edge's last data packet
#      (bench/probes/wire_times.py); and, as before, total - (median total without latency) - injected.
#   (and, not the engine, bench/probes/BlockingSketch: the same exchange on blocking sockets, for where the CPU goes)
# Goal (issue 12): engine >= 20% of wrk's rate, timing error < 2 ms.
# Usage: bench/probes/run.sh   (SECONDS_RUN=10 CONCURRENCY=32 TIMING_PROBES=50 BASELINE_REF=)
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_RUN=${SECONDS_RUN:-10}
CONCURRENCY=${CONCURRENCY:-32}
TIMING_PROBES=${TIMING_PROBES:-50}
# EDGE_LATENCY=demo keeps the standalone simulators' demo edge latency (Fastly 12 ms + 0-6 ms jitter); by default the
# edge answers as fast as it can, so the rates are the machine's and the timing error is not lost in the jitter.
EDGE_LATENCY=${EDGE_LATENCY:-none}
# BASELINE_REF=<commit> also measures the engine as it was at that commit, in the same run.
BASELINE_REF=${BASELINE_REF:-}
edge_latency=$([ "$EDGE_LATENCY" = demo ] || echo --no-edge-latency)
for tool in wrk tcpdump; do
  command -v "$tool" >/dev/null || { apt-get install -y "$tool" >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y "$tool" >/dev/null); }
done

work=$(mktemp -d)
sims_pid=""
origin_pid=""
tcpdump_pid=""
cleanup() {
  [ -n "$tcpdump_pid" ] && kill "$tcpdump_pid" 2>/dev/null
  [ -n "$sims_pid" ] && kill "$sims_pid" 2>/dev/null
  [ -n "$origin_pid" ] && kill "$origin_pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

echo "publishing (Release)..." >&2
rid=linux-$(uname -m | sed 's/x86_64/x64/; s/aarch64/arm64/')
publish=(-c Release -r "$rid" --self-contained false -p:PublishReadyToRun=true -p:TreatWarningsAsErrors=false)
dotnet publish src/Poppy.Portal.Simulators "${publish[@]}" -o "$work/sims" >"$work/publish.log" 2>&1 || { cat "$work/publish.log"; exit 1; }
dotnet publish bench/probes/ProbeBench "${publish[@]}" -o "$work/bench" >>"$work/publish.log" 2>&1 || { cat "$work/publish.log"; exit 1; }
dotnet publish bench/probes/BlockingSketch "${publish[@]}" -o "$work/sketch" >>"$work/publish.log" 2>&1 || { cat "$work/publish.log"; exit 1; }
if [ -n "$BASELINE_REF" ]; then
  # The engine as it was at that commit, measured in the same run (the machine's load moves between runs).
  mkdir -p "$work/baseline-src"
  git archive "$BASELINE_REF" | tar -x -C "$work/baseline-src"
  dotnet publish "$work/baseline-src/bench/probes/ProbeBench" "${publish[@]}" -o "$work/bench-baseline" >>"$work/publish.log" 2>&1 || { cat "$work/publish.log"; exit 1; }
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 1 120); do curl -fs -o /dev/null "$1" && return 0; sleep 0.5; done; echo "$2 did not start" >&2; exit 1; }

# The origin: a 1 KB probe object (the edge caches it for an hour, so the run measures the edge, not the origin).
mkdir -p "$work/origin"
head -c 1024 /dev/zero | tr '\0' 'p' >"$work/origin/probe.txt"
origin_port=$(free_port)
(cd "$work/origin" && exec python3 -m http.server "$origin_port" --bind 127.0.0.1 >/dev/null 2>&1) &
origin_pid=$!
wait_for "http://127.0.0.1:$origin_port/probe.txt" "the origin"

sims_port=$(free_port)
sims="http://127.0.0.1:$sims_port/"
(cd "$work/sims" && exec dotnet Poppy.Portal.Simulators.dll --port "$sims_port" --deploy-delay-ms 0 $edge_latency >"$work/sims.log" 2>&1) &
sims_pid=$!
wait_for "${sims}_inventory" "the simulators"

# A Fastly service for the domain, its backend the origin, activated (the simulator's default API key).
domain=probe-bench.example.com
fastly() { curl -fs -H "Fastly-Key: sim-fastly-api-key" "$@"; }
sid=$(fastly -X POST -d name=probe-bench "${sims}fastly/service" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
fastly -X POST -d "name=$domain" "${sims}fastly/service/$sid/version/1/domain" >/dev/null
fastly -X POST -d name=origin -d address=127.0.0.1 -d "port=$origin_port" "${sims}fastly/service/$sid/version/1/backend" >/dev/null
fastly -X PUT -d "general.default_ttl=3600" "${sims}fastly/service/$sid/version/1/settings" >/dev/null
fastly -X PUT "${sims}fastly/service/$sid/version/1/activate" >/dev/null
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Host: $domain" -H "X-Simulator-Edge: fastly" "${sims}probe.txt")
[ "$status" = 200 ] || { echo "the edge answered $status for the probe object" >&2; cat "$work/sims.log" >&2; exit 1; }

# CPU seconds the simulators' process has used (utime + stime), to tell what each request cost the edge.
edge_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); split($0, f, " "); printf "%.2f", (f[12] + f[13]) / hz }' "/proc/$sims_pid/stat"; }
# wrk_run NAME ARGS...: prints NAME_requests_per_s, and the edge's and wrk's own CPU time per request in microseconds.
wrk_run() {
  local name=$1; shift
  local before out rate after
  before=$(edge_cpu)
  out=$( { TIMEFORMAT='wrk_cpu_s=%U+%S'; time wrk -t 2 -c "$CONCURRENCY" -d "${SECONDS_RUN}s" -H "Host: $domain" -H "X-Simulator-Edge: fastly" "$@" "${sims}probe.txt"; } 2>&1)
  after=$(edge_cpu)
  rate=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  python3 - "$name" "$rate" "$before" "$after" "$(echo "$out" | sed -n 's/^wrk_cpu_s=//p')" "$(echo "$out" | awk '/requests in/ {print $1}')" "$(echo "$out" | awk '/Non-2xx/ {print $5}')" <<'PY'
import sys
name, rate, before, after, own, count, non2xx = sys.argv[1:]
count = int(count)
own = sum(float(x) for x in own.split('+'))
print(f"{name}_requests_per_s={rate} {name}_non_2xx={non2xx or 0} {name}_cpu_us_per_request={own * 1e6 / count:.1f} "
      f"{name}_edge_cpu_us_per_request={(float(after) - float(before)) * 1e6 / count:.1f}")
PY
}

echo "engine: $CONCURRENCY probes in flight for ${SECONDS_RUN}s..." >&2
engine=$(cd "$work/bench" && dotnet ProbeBench.dll "$sims" "$domain" "$SECONDS_RUN" "$CONCURRENCY" 0 "$sims_pid")
if [ -n "$BASELINE_REF" ]; then
  echo "engine at $BASELINE_REF: $CONCURRENCY probes in flight for ${SECONDS_RUN}s..." >&2
  baseline=$(cd "$work/bench-baseline" && dotnet ProbeBench.dll "$sims" "$domain" "$SECONDS_RUN" "$CONCURRENCY" 1 "$sims_pid")
fi
# Not the engine: the same exchange on blocking sockets, one thread per slot (bench/probes/README.md, "Where the CPU goes").
echo "sketch (blocking sockets, not the engine): $CONCURRENCY threads for ${SECONDS_RUN}s..." >&2
sketch=$(cd "$work/sketch" && dotnet BlockingSketch.dll "127.0.0.1:$sims_port" "$domain" "$SECONDS_RUN" "$CONCURRENCY" "$sims_pid")
echo "wrk: $CONCURRENCY connections for ${SECONDS_RUN}s..." >&2
wrk_line=$(wrk_run wrk)
echo "wrk: $CONCURRENCY connections, a new one per request (Connection: close), for ${SECONDS_RUN}s..." >&2
wrk_close_line=$(wrk_run wrk_connection_close -H "Connection: close")
# The timing run, one probe at a time, with its packets captured: the wire's own times are the reference.
echo "timing: $TIMING_PROBES probes one at a time for each injected delay, under tcpdump..." >&2
tcpdump -i lo -n -s 128 --time-stamp-precision=nano -w "$work/timing.pcap" "tcp port $sims_port" 2>"$work/tcpdump.log" &
tcpdump_pid=$!
for _ in $(seq 1 50); do grep -q "listening on" "$work/tcpdump.log" && break; sleep 0.1; done
timing=$(cd "$work/bench" && PROBE_LOG="$work/probes.log" dotnet ProbeBench.dll "$sims" "$domain" 0 "$CONCURRENCY" "$TIMING_PROBES")
sleep 0.5
kill -INT "$tcpdump_pid"; wait "$tcpdump_pid" 2>/dev/null || true; tcpdump_pid=""
wire=$(python3 bench/probes/wire_times.py "$work/timing.pcap" "$work/probes.log" "$sims_port" || true)
wrk_rate=$(echo "$wrk_line" | sed -n 's/.*wrk_requests_per_s=\([0-9.]*\).*/\1/p')
wrk_close_rate=$(echo "$wrk_close_line" | sed -n 's/.*wrk_connection_close_requests_per_s=\([0-9.]*\).*/\1/p')

echo "$engine"
echo "$timing"
echo "$wire"
if [ -n "$BASELINE_REF" ]; then echo "$baseline" | grep '^engine_' | sed "s/engine_/baseline_engine_/g; s/\$/ ref=$BASELINE_REF/"; fi
echo "$sketch"
echo "$wrk_line connections=$CONCURRENCY"
echo "$wrk_close_line"
engine_rate=$(echo "$engine" | sed -n 's/.*engine_probes_per_s=\([0-9]*\).*/\1/p')
sketch_rate=$(echo "$sketch" | sed -n 's/.*sketch_blocking_probes_per_s=\([0-9]*\).*/\1/p')
python3 -c "print(f'engine_share_of_wrk={100 * $engine_rate / $wrk_rate:.1f}%  (goal >= 20%)  engine_share_of_wrk_connection_close={100 * $engine_rate / $wrk_close_rate:.1f}%  sketch_share_of_wrk={100 * $sketch_rate / $wrk_rate:.1f}%')"
# The same shares by CPU time per request (client + edge), which the other sessions' load moves far less than the rates:
# what the rates would be if this run had the two cores to itself.
python3 - "$engine" "$wrk_line" "$wrk_close_line" <<'PY'
import re, sys
def cost(text, client, edge):
    return float(re.search(client + r'=([0-9.]+)', text).group(1)) + float(re.search(edge + r'=([0-9.]+)', text).group(1))
engine = cost(sys.argv[1], 'engine_cpu_us_per_probe', 'edge_cpu_us_per_probe')
keep = cost(sys.argv[2], 'wrk_cpu_us_per_request', 'wrk_edge_cpu_us_per_request')
close = cost(sys.argv[3], 'wrk_connection_close_cpu_us_per_request', 'wrk_connection_close_edge_cpu_us_per_request')
print(f'cpu_us_per_request engine={engine:.1f} wrk={keep:.1f} wrk_connection_close={close:.1f}  '
      f'engine_share_of_wrk_by_cpu={100 * keep / engine:.1f}%  engine_share_of_wrk_connection_close_by_cpu={100 * close / engine:.1f}%')
PY
echo "cpus=$(nproc) load_before_run=$(cut -d' ' -f1-3 /proc/loadavg)"
