"""Helpers of bench/archive.sh (run with the venv's Python: Sickle).

    archive-helper.py load CSV DB        the reference loader: every row of the
                                         CSV into one SQLite table, as is
    archive-helper.py paths CSV N OUT    N distinct archive search paths
    archive-helper.py harvest BASE       a full ListRecords harvest with Sickle;
                                         prints "records seconds"
    archive-helper.py save BASE DIR      the same harvest's pages as files, for
                                         nginx: DIR/first.xml, DIR/<token>.xml
"""

import csv
import os
import re
import sqlite3
import sys
import time
import urllib.parse
import urllib.request


def load(path, db):
    t0 = time.monotonic()
    con = sqlite3.connect(db)
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        cols = ", ".join(f'"{h}" TEXT' for h in header)
        con.execute(f"CREATE TABLE items ({cols})")
        marks = ", ".join("?" for _ in header)
        con.executemany(f"INSERT INTO items VALUES ({marks})", reader)
    con.commit()
    con.close()
    print(f"{time.monotonic() - t0:.2f}")


def paths(path, n, out):
    """Distinct queries as residents type them: a word of the titles, alone
    or with a type, a decade or a range of years."""
    words, seen = [], set()
    types = ["painting", "on paper, print", "sculpture", "on paper, unique"]
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            for w in re.findall(r"[A-Za-z]{4,}", row["title"].lower()):
                if w not in seen:
                    seen.add(w)
                    words.append(w)
    lines = []
    i = 0
    while len(lines) < n and i < 4 * len(words):
        w = words[i % len(words)]
        kind = i // len(words)
        q = {"q": w, "limit": "20"}
        if kind == 1:
            q["type"] = types[i % len(types)]
        elif kind == 2:
            q["decade"] = f"{1750 + (i % 25) * 10}s"
        elif kind == 3:
            y = 1750 + (i % 10) * 25
            q["from"], q["to"] = str(y), str(y + 30)
        lines.append("/api/v1/archive/search?" + urllib.parse.urlencode(q))
        i += 1
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(len(lines))


def harvest(base):
    from sickle import Sickle

    t0 = time.monotonic()
    n = sum(1 for _ in Sickle(base, max_retries=0, timeout=120).ListRecords(metadataPrefix="oai_dc", ignore_deleted=False))
    print(n, f"{time.monotonic() - t0:.2f}")


def save(base, out):
    os.makedirs(out, exist_ok=True)
    url, name, pages = f"{base}?verb=ListRecords&metadataPrefix=oai_dc", "first", 0
    while True:
        body = urllib.request.urlopen(url, timeout=120).read()
        with open(os.path.join(out, f"{name}.xml"), "wb") as f:
            f.write(body)
        pages += 1
        m = re.search(rb"<resumptionToken[^>]*>([^<]+)</resumptionToken>", body)
        if not m:
            break
        name = m.group(1).decode()
        url = f"{base}?verb=ListRecords&resumptionToken={urllib.parse.quote(name)}"
    print(pages)


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "paths":
        paths(args[0], int(args[1]), args[2])
    else:
        {"load": load, "harvest": harvest, "save": save}[mode](*args)
