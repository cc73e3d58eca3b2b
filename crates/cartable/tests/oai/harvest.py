"""The OAI-PMH side of the archive tests, with real client libraries.

    harvest.py harvest BASE_URL   every record through Sickle, following
                                  every resumptionToken; each page checked
                                  against the schema (validate.xsd)
    harvest.py errors BASE_URL    each error condition of the protocol,
                                  and the code the repository answered

Prints one JSON document. Exits 1 when a response does not validate.
"""

import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

from lxml import etree
from sickle import Sickle

HERE = os.path.dirname(os.path.abspath(__file__))
OAI = "{http://www.openarchives.org/OAI/2.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
SCHEMA = etree.XMLSchema(etree.parse(os.path.join(HERE, "validate.xsd")))


def check(xml_bytes, what):
    doc = etree.fromstring(xml_bytes)
    if not SCHEMA.validate(doc):
        print(f"{what}: does not validate: {SCHEMA.error_log.last_error}", file=sys.stderr)
        sys.exit(1)
    return doc


def schema_can_fail():
    """The schema check is worth something only if it refuses a bad answer."""
    bad = (b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
           b'<responseDate>2026-01-01T00:00:00Z</responseDate><request>http://x/oai</request>'
           b'<error code="notAnOaiCode">x</error></OAI-PMH>')
    if SCHEMA.validate(etree.fromstring(bad)):
        print("the schema accepted a response it must refuse", file=sys.stderr)
        sys.exit(1)


def harvest(base):
    sickle = Sickle(base, max_retries=0, timeout=120)
    check(sickle.harvest(verb="Identify").raw.encode("utf-8"), "Identify")
    identify = sickle.Identify()
    sets = []
    try:
        for s in sickle.ListSets():
            sets.append(s.setSpec)
    except Exception as e:  # noSetHierarchy on an archive without collections
        sets = [f"error: {e}"]
    records = sickle.ListRecords(metadataPrefix="oai_dc", ignore_deleted=False)
    out, pages, tokens, seen_page = [], 0, [], None
    for r in records:
        page = records.oai_response
        if page is not seen_page:
            seen_page = page
            pages += 1
            doc = check(page.raw.encode("utf-8"), f"ListRecords page {pages}")
            token = doc.find(f".//{OAI}resumptionToken")
            if token is not None:
                tokens.append({
                    "size": token.get("completeListSize"),
                    "cursor": token.get("cursor"),
                    "empty": not (token.text or "").strip(),
                })
        header = r.header
        titles = [] if header.deleted else [t.text for t in r.xml.iter(f"{DC}title")]
        out.append([header.identifier, header.datestamp, header.deleted, list(header.setSpecs), titles[:1]])
    print(json.dumps({
        "repositoryName": identify.repositoryName,
        "granularity": identify.granularity,
        "deletedRecord": identify.deletedRecord,
        "sets": sets,
        "pages": pages,
        "tokens": tokens,
        "records": out,
    }))


def errors(base):
    cases = {
        "no verb": "",
        "bad verb": "verb=Harvest",
        "verb twice": "verb=Identify&verb=Identify",
        "unknown argument": "verb=Identify&colour=red",
        "missing metadataPrefix": "verb=ListRecords",
        "unknown format": "verb=ListRecords&metadataPrefix=marc21",
        "bad from": "verb=ListIdentifiers&metadataPrefix=oai_dc&from=yesterday",
        "mixed granularity": "verb=ListIdentifiers&metadataPrefix=oai_dc&from=2020-01-01&until=2030-01-01T00:00:00Z",
        "from after until": "verb=ListIdentifiers&metadataPrefix=oai_dc&from=2030-01-01&until=2020-01-01",
        "bad token": "verb=ListRecords&resumptionToken=not-a-token",
        "token and more": "verb=ListRecords&resumptionToken=x&metadataPrefix=oai_dc",
        "unknown id": "verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:nowhere:none",
        "GetRecord without id": "verb=GetRecord&metadataPrefix=oai_dc",
        "formats of unknown id": "verb=ListMetadataFormats&identifier=oai:nowhere:none",
        "nothing in range": "verb=ListRecords&metadataPrefix=oai_dc&from=1990-01-01&until=1990-12-31",
        "unknown set": "verb=ListRecords&metadataPrefix=oai_dc&set=no-such-set",
        "ListSets token": "verb=ListSets&resumptionToken=abc",
    }
    out = {}
    for name, query in cases.items():
        url = f"{base}?{query}" if query else base
        with urllib.request.urlopen(url, timeout=60) as response:
            doc = check(response.read(), name)
        codes = [e.get("code") for e in doc.iter(f"{OAI}error")]
        request = doc.find(f"{OAI}request")
        out[name] = {"codes": codes, "request_attributes": dict(request.attrib)}
    # POST, as the protocol allows, gives the same answer as GET.
    data = urllib.parse.urlencode({"verb": "ListMetadataFormats"}).encode()
    with urllib.request.urlopen(urllib.request.Request(base, data=data), timeout=60) as response:
        doc = check(response.read(), "POST ListMetadataFormats")
    out["post"] = {"prefixes": [p.text for p in doc.iter(f"{OAI}metadataPrefix")]}
    print(json.dumps(out))


if __name__ == "__main__":
    schema_can_fail()
    {"harvest": harvest, "errors": errors}[sys.argv[1]](sys.argv[2])
