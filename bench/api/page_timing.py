"""Server time of the services list page: 200 sequential GETs of /services (first page, 25 rows of 10,000),
timed from request sent to first byte on loopback, so it is the server's time plus a loopback round trip."""
import http.client, statistics, sys, time

base, token = sys.argv[1], sys.argv[2]
host, port = base.replace("http://", "").split(":")
conn = http.client.HTTPConnection(host, int(port))
headers = {"X-Auth-Token": token, "Accept": "text/html"}
samples = []
for i in range(220):
    started = time.perf_counter()
    conn.request("GET", "/services", headers=headers)
    response = conn.getresponse()
    first_byte = time.perf_counter()
    body = response.read()
    if response.status != 200:
        sys.exit(f"/services answered {response.status}: {body[:200]!r}")
    if i >= 20:  # the first requests compile and warm caches
        samples.append((first_byte - started) * 1000)
samples.sort()
p50 = statistics.median(samples)
p95 = samples[int(len(samples) * 0.95) - 1]
print(f"page     GET /services (25 rows)    p50 {p50:6.2f} ms   p95 {p95:6.2f} ms   (goal p95 <= 50 ms: {'met' if p95 <= 50 else 'NOT met'})")
