"""Seeds the benchmark: a provider account and flavor (written to SQLite: accounts have no API), then N services
through POST /v1.0/services on keep-alive connections from 4 threads."""
import http.client, json, sqlite3, sys, threading, time, uuid

base, token, db_path, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
host, port = base.replace("http://", "").split(":")
headers = {"X-Auth-Token": token, "X-Project-ID": "bench", "Content-Type": "application/json"}

db = sqlite3.connect(db_path)
account = str(uuid.uuid4()).upper()
db.execute("INSERT INTO ProviderAccounts (Id, Name, Kind, ApiEndpoint, ProtectedCredentials, CredentialsHint, IsEnabled, CreatedAt, UpdatedAt)"
           " VALUES (?, 'bench-fastly', 'Fastly', 'http://127.0.0.1:9/', '', '', 1, 0, 0)", (account,))
db.commit()
db.close()

def call(conn, method, path, body=None):
    conn.request(method, path, json.dumps(body) if body is not None else None, headers)
    response = conn.getresponse()
    body = response.read()
    if response.status >= 400:
        print(f"{method} {path}: {response.status} {body[:500]!r}", file=sys.stderr)
    return response.status

conn = http.client.HTTPConnection(host, int(port))
assert call(conn, "PUT", "/v1.0/admin/limits/bench", {"limit": count + 10}) == 201
assert call(conn, "POST", "/v1.0/flavors", {"id": "bench", "providers": [{"provider": "bench-fastly", "links": [{"href": "www.fastly.com", "rel": "provider_url"}]}]}) == 201

failures = []
def worker(start, stop):
    c = http.client.HTTPConnection(host, int(port))
    for i in range(start, stop):
        doc = {"name": f"site-{i}", "flavor_id": "bench",
               "domains": [{"domain": f"www.site{i}.bench-example.com", "protocol": "http"},
                           {"domain": f"img.site{i}.bench-example.com", "protocol": "http"}],
               "origins": [{"origin": f"origin{i}.bench-example.net", "port": 80, "ssl": False}],
               "caching": [{"name": "default", "ttl": 3600}, {"name": "images", "ttl": 86400, "rules": [{"name": "img", "request_url": "/images/*"}]}]}
        status = call(c, "POST", "/v1.0/services", doc)
        if status != 202:
            failures.append(status)

started = time.monotonic()
threads = [threading.Thread(target=worker, args=(n * count // 4, (n + 1) * count // 4)) for n in range(4)]
for t in threads: t.start()
for t in threads: t.join()
elapsed = time.monotonic() - started
if failures:
    sys.exit(f"{len(failures)} creates failed, e.g. {failures[:5]}")
print(f"seeded {count} services through the API in {elapsed:.1f} s ({count / elapsed:.0f} creates/s)", file=sys.stderr)
