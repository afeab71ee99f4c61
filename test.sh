#!/usr/bin/env bash
# Runs every test. Installs the Debian packages the tests need when they are missing
# (Chromium for browser tests, PostgreSQL for the schema tests, nginx with njs for the cache tier, PowerDNS with its
# SQLite backend for the DNS driver tests), then `dotnet test`
# on the solution.
set -euo pipefail
cd "$(dirname "$0")"

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
[ -x /usr/sbin/nginx ] || missing+=(nginx)
[ -f /usr/lib/nginx/modules/ngx_http_js_module.so ] || missing+=(libnginx-mod-http-js)  # the cache tier's Age header
[ -x /usr/sbin/pdns_server ] || missing+=(pdns-server)  # a real authoritative DNS server for the DNS driver tests
[ -f /usr/lib/x86_64-linux-gnu/pdns/libgsqlite3backend.so ] || compgen -G '/usr/lib/*/pdns/libgsqlite3backend.so' >/dev/null || missing+=(pdns-backend-sqlite3)
command -v sqlite3 >/dev/null || missing+=(sqlite3)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing test prerequisites: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Build once, then run the test projects one after another (they start real servers; two cores are plenty busy).
dotnet build Poppy.Portal.sln -nologo -v quiet
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test Poppy.Portal.sln --no-build -nologo -m:1 "$@" 2>&1 | tee "$log" || status=$?

# One closing line over all test projects: "Tests: N passed, N failed, N skipped".
awk '/(Passed|Failed)! +- +Failed:/ {
       for (i = 1; i <= NF; i++) { gsub(",", "", $(i+1)); if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) }
     }
     END { printf "Tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit $status
