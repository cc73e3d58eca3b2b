"""Helpers for bench/satchel.sh (standard library only).

Subcommands:

  manifest OUT.json N
      A capsule manifest of N capsules bench-NN (fr, primary-5/6,
      mathematics / life-earth-sciences / french, two programmes), each
      with its video bench-NN.mp4, a French caption file bench-NN.fr.vtt
      (both named relative to the manifest's folder: the import refuses
      other paths), a summary, a transcript and tags.

  blobs SATCHEL BLOB_DIR LIST_OUT
      Reads the satchel's signed manifest (from its trailer) and writes to
      LIST_OUT the blob files of BLOB_DIR it names, one path a line
      relative to BLOB_DIR (xx/<hash>), for tar -C BLOB_DIR -T LIST_OUT.
      Prints one JSON line: blobs named, files found and their bytes, and the blobs that are no file of the store
      (master playlists the pack makes for the chosen renditions) with
      their bytes.

  statements OUT.jsonl N HOME LOGINS_FILE CAPSULES_FILE
      N xAPI statements made by the learners of LOGINS_FILE (one login a
      line) about the capsules of CAPSULES_FILE (one id a line), as the
      box's player sends them: an account actor on HOME, ADL's
      experienced/progressed/completed, the capsule http(s)://…/capsules/ID
      as activity with a definition, a result with duration and the video
      time extension (and completion), a context with a registration, the
      platform, language and the satchel extension; a timestamp in the last
      30 days and a fixed, seeded id each (so a count of stored ids is exact).

  load URL KEY SECRET FILE.jsonl BATCH
      POSTs the statements of FILE.jsonl to URL/xapi/statements in arrays
      of BATCH over one keep-alive connection; exits non-zero on any answer
      but 200. Prints one JSON line: statements, requests, seconds.

  mix BASE_URL ZIM_PREFIX CARTABLE_OUT KIWIX_OUT
      Lists BASE_URL/api/v1/capsules, fetches each capsule's 360p media
      playlist, and writes the byte ranges of its init segment (EXT-X-MAP)
      and media segments (EXT-X-BYTERANGE) as "path<TAB>bytes=a-b" lines,
      capsule after capsule: CARTABLE_OUT with cartable's paths
      (/media/b/<hash>.mp4), KIWIX_OUT with the same ranges at
      ZIM_PREFIX/media/<hash>.mp4. Prints one JSON line: capsules,
      requests, bytes of the mix, mean and largest range.
"""

import http.client
import json
import random
import re
import struct
import sys
import time
import urllib.parse
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

LEVELS = ["primary-5", "primary-6"]
SUBJECTS = ["mathematics", "life-earth-sciences", "french"]
TOPICS = [
    "Les fractions", "Le cycle de l'eau", "Les angles", "La photosynthèse",
    "Le passé composé", "Les nombres décimaux", "La carte du Maroc",
    "Les circuits électriques", "La proportionnalité", "Le système solaire",
    "Les verbes pronominaux", "Les triangles", "Les aires", "La digestion",
    "Le pluriel des noms", "Les volumes", "Les volcans", "La ponctuation",
    "Les pourcentages", "Les saisons",
]


def capsule_id(i):
    return f"bench-{i + 1:02d}"


def manifest(out, n):
    n = int(n)
    capsules = []
    for i in range(n):
        cid = capsule_id(i)
        topic = TOPICS[i % len(TOPICS)]
        video = f"{cid}.mp4"
        capsules.append({
            "id": cid,
            "lang": "fr",
            "titles": {"fr": f"{topic} (leçon {i + 1})", "en": f"Lesson {i + 1}"},
            "summaries": {"fr": f"Une courte leçon filmée : {topic.lower()}, un exemple et un résumé."},
            "level": LEVELS[i % len(LEVELS)],
            "subject": SUBJECTS[i % len(SUBJECTS)],
            "programme": f"bench-{LEVELS[i % len(LEVELS)]}",
            "position": i + 1,
            "media": video,
            "captions": {"fr": f"{cid}.fr.vtt"},
            "transcript": f"{topic}. " * 20,
            "tags": ["bench", topic.split()[-1].lower()],
        })
    programmes = [
        {"id": f"bench-{lvl}", "titles": {"fr": f"Programme de mesure {lvl}"}, "level": lvl}
        for lvl in LEVELS
    ]
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"programmes": programmes, "capsules": capsules}, f, ensure_ascii=False, indent=1)


def satchel_manifest(path):
    with open(path, "rb") as f:
        f.seek(-104, 2)
        tail = f.read(104)
        if tail[:8] != b"SATCHEL1":
            sys.exit(f"{path}: no satchel trailer")
        manifest_at, manifest_len, _, _ = struct.unpack("<4Q", tail[8:40])
        f.seek(manifest_at)
        return json.loads(f.read(manifest_len))


def blobs(satchel, blob_dir, list_out):
    m = satchel_manifest(satchel)
    found, found_bytes, made, made_bytes = 0, 0, 0, 0
    with open(list_out, "w") as out:
        for b in m["blobs"]:
            h, size = b["hash"], b["size"]
            p = Path(blob_dir) / h[:2] / h
            if p.is_file():
                if p.stat().st_size != size:
                    sys.exit(f"{p}: {p.stat().st_size} bytes, the manifest says {size}")
                out.write(f"{h[:2]}/{h}\n")
                found += 1
                found_bytes += size
            else:
                made += 1
                made_bytes += size
    sections = sum(s["size"] for s in m["sections"].values())
    print(json.dumps({"blobs": len(m["blobs"]), "files": found, "file_bytes": found_bytes,
                      "made": made, "made_bytes": made_bytes, "section_bytes": sections,
                      "version": m["version"]}))


VERBS = [
    ("http://adlnet.gov/expapi/verbs/experienced", "experienced", 50),
    ("http://adlnet.gov/expapi/verbs/progressed", "progressed", 35),
    ("http://adlnet.gov/expapi/verbs/completed", "completed", 15),
]
TIME_EXT = "https://w3id.org/xapi/video/extensions/time"
PROGRESS_EXT = "https://w3id.org/xapi/cmi5/result/extensions/progress"


def statements(out, n, home, logins_file, capsules_file):
    n = int(n)
    home = home.rstrip("/")
    rng = random.Random(20261129)
    logins = [l.strip() for l in open(logins_file) if l.strip()]
    caps = [c.strip() for c in open(capsules_file) if c.strip()]
    verbs, weights = [v[:2] for v in VERBS], [v[2] for v in VERBS]
    registrations = {}
    now = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)
    with open(out, "w", encoding="utf-8") as f:
        for i in range(n):
            login = rng.choice(logins)
            cap = rng.choice(caps)
            verb, display = rng.choices(verbs, weights)[0]
            reg = registrations.setdefault(login, str(uuid.UUID(int=rng.getrandbits(128), version=4)))
            t = round(rng.uniform(0, 54), 1)
            result = {"duration": f"PT{rng.randint(5, 60)}S", "extensions": {TIME_EXT: t, PROGRESS_EXT: rng.randint(0, 100)}}
            if display == "completed":
                result["completion"] = True
            s = {
                "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "actor": {"objectType": "Agent", "account": {"homePage": home, "name": login}},
                "verb": {"id": verb, "display": {"en-US": display}},
                "object": {
                    "objectType": "Activity",
                    "id": f"{home}/capsules/{cap}",
                    "definition": {"type": "http://adlnet.gov/expapi/activities/lesson",
                                   "name": {"fr": f"Capsule {cap}"}},
                },
                "result": result,
                "context": {
                    "registration": reg,
                    "platform": "cartable",
                    "language": "fr",
                    "extensions": {"urn:cartable:xapi:satchel": "bench-school"},
                },
                "timestamp": (now - timedelta(seconds=rng.randint(0, 30 * 86400))).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            }
            f.write(json.dumps(s, ensure_ascii=False, separators=(",", ":")) + "\n")


def load(url, key, secret, path, batch):
    batch = int(batch)
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
    import base64
    auth = "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()
    lines = [l for l in open(path, encoding="utf-8") if l.strip()]
    t0 = time.monotonic()
    requests = 0
    for i in range(0, len(lines), batch):
        body = ("[" + ",".join(l.strip() for l in lines[i:i + batch]) + "]").encode()
        conn.request("POST", "/xapi/statements", body=body, headers={
            "Authorization": auth, "Content-Type": "application/json",
            "X-Experience-API-Version": "1.0.3"})
        r = conn.getresponse()
        answer = r.read()
        if r.status != 200:
            sys.exit(f"POST /xapi/statements: {r.status} {answer[:500]!r}")
        requests += 1
    print(json.dumps({"statements": len(lines), "requests": requests,
                      "seconds": round(time.monotonic() - t0, 2)}))


def get(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.read()


def mix(base, zim_prefix, cartable_out, kiwix_out):
    base = base.rstrip("/")
    listing = json.loads(get(f"{base}/api/v1/capsules?limit=100"))
    caps = sorted(listing["capsules"], key=lambda c: c["id"])
    lines = []
    for c in caps:
        r360 = [r for r in c["renditions"] if r["name"] == "360p"]
        if not r360:
            sys.exit(f"capsule {c['id']} has no 360p rendition: {[r['name'] for r in c['renditions']]}")
        r = r360[0]
        m = re.match(r"^/media/b/([0-9a-f]{64})\.mp4$", r["url"])
        if not m:
            sys.exit(f"unexpected rendition url {r['url']}")
        h = m.group(1)
        playlist = get(base + r["playlist_url"]).decode()
        for line in playlist.splitlines():
            mm = re.search(r'BYTERANGE="(\d+)@(\d+)"', line) or re.match(r"^#EXT-X-BYTERANGE:(\d+)@(\d+)", line)
            if mm:
                n, off = int(mm.group(1)), int(mm.group(2))
                lines.append((h, off, off + n - 1))
    if not lines:
        sys.exit("no byte ranges in the 360p playlists")
    with open(cartable_out, "w") as a, open(kiwix_out, "w") as b:
        for h, s, e in lines:
            a.write(f"/media/b/{h}.mp4\tbytes={s}-{e}\n")
            b.write(f"{zim_prefix}/media/{h}.mp4\tbytes={s}-{e}\n")
    sizes = [e - s + 1 for _, s, e in lines]
    print(json.dumps({"capsules": len(caps), "requests": len(lines), "bytes": sum(sizes),
                      "mean": round(sum(sizes) / len(sizes)), "largest": max(sizes),
                      "segments": sum(1 for x in sizes if x > 4096)}))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"manifest": manifest, "blobs": blobs, "statements": statements, "load": load, "mix": mix}[cmd](*args)
