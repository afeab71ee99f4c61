"""bench/provisioning client: creates N services through POST /v1.0/services as fast as the API takes them (keep-alive
connections from several threads), then polls the service list until every one is deployed (or failed, or the deadline
passes), then counts vendor resources per service in the simulators' inventory. Prints one JSON object on stdout."""
import http.client, json, sys, threading, time, urllib.request

base, token, simulators, count, deadline_s = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
threads_n = int(sys.argv[6]) if len(sys.argv) > 6 else 4
host, port = base.replace("http://", "").split(":")
headers = {"X-Auth-Token": token, "X-Project-ID": "bench", "Content-Type": "application/json"}


def call(conn, method, path, body=None):
    conn.request(method, path, json.dumps(body) if body is not None else None, headers)
    response = conn.getresponse()
    data = response.read()
    return response.status, response.getheader("Location"), data


conn = http.client.HTTPConnection(host, int(port))
status, _, body = call(conn, "PUT", "/v1.0/admin/limits/bench", {"limit": count + 10})
assert status == 201, (status, body)

ids, failures, lock = [], [], threading.Lock()


def worker(start, stop):
    c = http.client.HTTPConnection(host, int(port))
    for i in range(start, stop):
        doc = {"name": f"site-{i}", "flavor_id": "cdn",
               "domains": [{"domain": f"www.site{i}.bench-example.com", "protocol": "http"}],
               "origins": [{"origin": f"origin{i}.bench-example.net", "port": 80, "ssl": False}],
               "caching": [{"name": "default", "ttl": 3600}]}
        status, location, data = call(c, "POST", "/v1.0/services", doc)
        with lock:
            if status == 202:
                ids.append(location.rstrip("/").rsplit("/", 1)[1])
            else:
                failures.append((status, data[:200].decode(errors="replace")))


started = time.monotonic()
threads = [threading.Thread(target=worker, args=(n * count // threads_n, (n + 1) * count // threads_n)) for n in range(threads_n)]
for t in threads: t.start()
for t in threads: t.join()
created_s = time.monotonic() - started
if failures:
    sys.exit(f"{len(failures)} creates failed, e.g. {failures[:3]}")
print(f"created {count} services in {created_s:.1f} s ({count / created_s:.0f} creates/s); waiting for deployed...", file=sys.stderr)

wanted = set(ids)


def statuses():
    """Every service's status, by paging the list (limit 20, marker = last id)."""
    found, marker = {}, None
    while True:
        path = "/v1.0/services?limit=20" + (f"&marker={marker}" if marker else "")
        status, _, data = call(conn, "GET", path)
        assert status == 200, (status, data[:200])
        page = json.loads(data)["services"]
        for s in page:
            found[s["id"]] = s["status"]
        if len(page) < 20:
            return found
        marker = page[-1]["id"]


done_s, last_report, counts = None, 0.0, {}
while True:
    found = statuses()
    counts = {}
    for sid in wanted:
        counts[found.get(sid, "missing")] = counts.get(found.get(sid, "missing"), 0) + 1
    elapsed = time.monotonic() - started
    if counts.get("deployed", 0) + counts.get("failed", 0) == count:
        done_s = elapsed
        break
    if elapsed > deadline_s:
        break
    if elapsed - last_report >= 10:
        print(f"  {elapsed:6.1f} s  {counts}", file=sys.stderr)
        last_report = elapsed
    # Listing 1,000 services is 50 API calls; a sweep every 2 s keeps the observer from competing with the work it times.
    time.sleep(2)

inventory = json.load(urllib.request.urlopen(simulators.rstrip("/") + "/_inventory"))["vendors"]
duplicates, missing, foreign = 0, 0, 0
for vendor, summary in inventory.items():
    per_service = {}
    for item in summary["items"]:
        per_service[item["serviceId"]] = per_service.get(item["serviceId"], 0) + 1
    duplicates += sum(1 for sid in wanted if per_service.get(sid, 0) > 1)
    missing += sum(1 for sid in wanted if per_service.get(sid, 0) == 0)
    foreign += sum(n for sid, n in per_service.items() if sid not in wanted)

print(json.dumps({
    "services": count, "created_s": created_s, "done_s": done_s, "elapsed_s": time.monotonic() - started,
    "statuses": counts, "duplicates": duplicates, "missing": missing, "foreign": foreign,
    "resources": {v: s["resources"] for v, s in inventory.items()},
}))
