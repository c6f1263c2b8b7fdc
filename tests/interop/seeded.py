"""What `nectar-sandbox --seed-connections N` seeded, read from its log and through the API, for
the interop scripts beside this file (prism_proxy.py, seeded_config.py, unknown_enums.py)."""

import json
import re
import sys
import urllib.request


def get(base, key, path):
    """The JSON answer of `GET base + path` with the API key."""
    request = urllib.request.Request(base + path, headers={"X-API-Key": key})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)


def objects(base, key, log_path):
    """One of each kind of seeded object: the data set's `company`, `connection`, `account`
    (id), `site` (id), `document` (id) and first usage `row` (the answer), and `many`, the
    company seeded with N connections. Exits naming the flag when the log has no seeded data."""
    log = open(log_path).read()
    data = re.search(r"^Seeded company (\S+) with connection (\S+),", log, re.M)
    many = re.search(r"^Seeded company (\S+) with \d+ connections", log, re.M)
    if not data or not many:
        sys.exit("the sandbox log names no seeded companies (run it with --seed-connections N)")
    company, connection = data.groups()
    return {
        "company": company,
        "connection": connection,
        "many": many.group(1),
        "account": get(base, key, f"/connection/{connection}/details")["accounts"][0]["id"],
        "site": get(base, key, f"/company/{company}")["sites"][0]["id"],
        "document": get(base, key, f"/document/company/{company}")["documents"][0]["id"],
        "row": get(base, key, f"/usage/company/{company}")["usageData"][0],
    }
