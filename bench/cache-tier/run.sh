#!/usr/bin/env bash
# bench/cache-tier — issue 13's benchmark. Builds bench/cache-tier/Bench in Release and runs it:
#   1. requests per second for a cached 1 MiB file through a cache node (Poppy.CacheTier.Agent in process + nginx, as
#      the portal's development node runs) against the same file served by plain nginx from disk (the node's origin),
#      wrk in the same run, ROUNDS alternating rounds each, same worker count, same http settings;
#   2. the time from a change applied by the portal's cache-tier driver (CacheTierDriver.ApplyAsync, each change adds a
#      domain) to the node serving it (first 200 for the new domain), p50 over CHANGES changes.
# Goal (issue 13): the node >= 90% of plain nginx.
# Usage: bench/cache-tier/run.sh   (DURATION=10s CONNECTIONS=64 THREADS=2 ROUNDS=3 CHANGES=20 WORKERS=2 by default;
#        PRINT_CONFIGS=1 prints the plain nginx configuration and the nodes' rendered ones)
# Installs nginx, njs (the node's Age header) and wrk from Debian packages when missing (needs root, as the node does).
set -euo pipefail
cd "$(dirname "$0")/../.."

missing=()
[ -x /usr/sbin/nginx ] || missing+=(nginx)
[ -f /usr/lib/nginx/modules/ngx_http_js_module.so ] || missing+=(libnginx-mod-http-js)
command -v wrk >/dev/null || missing+=(wrk)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} (Debian packages)" >&2
  apt-get update >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >/dev/null
fi

echo "building (Release)..." >&2
dotnet build bench/cache-tier/Bench -c Release -v q -p:TreatWarningsAsErrors=false >/tmp/poppy-cache-bench-build.log 2>&1 \
  || { cat /tmp/poppy-cache-bench-build.log; exit 1; }
exec dotnet bench/cache-tier/Bench/bin/Release/net10.0/CacheTierBench.dll
