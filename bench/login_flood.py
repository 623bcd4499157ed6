#!/usr/bin/env python3
"""Login flood beside signed-in reads (issue 17 item 1): prints the median and p90 of a
signed-in read alone and during a flood of wrong passwords from many addresses.

    yorube serve --demo --demo-password PW --trust-forwarded-for --listen 127.0.0.1:PORT
    python3 bench/login_flood.py http://127.0.0.1:PORT PW

The flood spreads over logins and X-Forwarded-For addresses, so that the throttle lets every
attempt through to argon2: what is measured is the verifier's semaphore, not the throttle.
"""
import http.client, json, random, statistics, sys, threading, time, urllib.parse

base, pw = sys.argv[1], sys.argv[2]
flooders = int(sys.argv[3]) if len(sys.argv) > 3 else 16
u = urllib.parse.urlparse(base)

def conn():
    return http.client.HTTPConnection(u.hostname, u.port, timeout=30)

c = conn()
c.request("POST", "/api/v1/auth/token", json.dumps({"login": "nurse@demo-city", "password": pw}),
          {"content-type": "application/json"})
tok = json.loads(c.getresponse().read())["token"]

def reads(n):
    c, out = conn(), []
    for _ in range(n):
        t = time.perf_counter()
        c.request("GET", "/api/v1/children", headers={"authorization": "Bearer " + tok})
        r = c.getresponse(); r.read()
        assert r.status == 200, r.status
        out.append((time.perf_counter() - t) * 1000)
    out.sort()
    return statistics.median(out), out[int(len(out) * .9)]

reads(50)
alone = reads(300)
stop, counts, lock = False, {}, threading.Lock()

def flood():
    c = conn()
    while not stop:
        body = json.dumps({"login": f"x{random.randrange(10**9)}@demo-city", "password": "wrong-password-x"})
        addr = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(256)}"
        try:
            c.request("POST", "/api/v1/auth/token", body,
                      {"content-type": "application/json", "x-forwarded-for": addr})
            r = c.getresponse(); r.read()
            with lock:
                counts[r.status] = counts.get(r.status, 0) + 1
        except Exception:
            c = conn()

threads = [threading.Thread(target=flood, daemon=True) for _ in range(flooders)]
for t in threads: t.start()
time.sleep(2)
with lock: counts.clear()
t0 = time.time()
during = reads(300)
secs = time.time() - t0
stop = True
with lock: done = dict(counts)
print(f"signed-in GET /api/v1/children alone:        median {alone[0]:.1f} ms, p90 {alone[1]:.1f} ms")
print(f"during a flood of {flooders} connections:      median {during[0]:.1f} ms, p90 {during[1]:.1f} ms "
      f"({during[0] / alone[0]:.2f}x the median)")
print(f"flood answers per second: " + ", ".join(f"{k}: {v / secs:.0f}" for k, v in sorted(done.items())))
