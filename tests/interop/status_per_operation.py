"""Counts the answers per operation in schemathesis HAR reports and prints a table.

    python tests/interop/status_per_operation.py spec/openapi.json report.har [more.har ...]

Each request is matched to its operation by method and path template (the spec's paths, with
the servers' base path removed). Exits 1 when an operation of the spec never got a 2xx answer,
naming it: every documented operation must be reached, not only tried.
"""

import json
import re
import sys
from collections import defaultdict
from urllib.parse import urlparse


def operations(spec):
    found = []
    for path, item in spec["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                found.append((method.upper(), pattern, operation["operationId"], path))
    # Literal segments before parameters: /invitation/{id}/revoke before /invitation/{id}.
    found.sort(key=lambda o: -len(re.sub(r"\{[^}]+\}", "", o[3])))
    return found


def main():
    spec = json.load(open(sys.argv[1]))
    base = urlparse(spec.get("servers", [{"url": ""}])[0]["url"]).path.rstrip("/")
    ops = operations(spec)
    counts = defaultdict(lambda: defaultdict(int))
    for har in sys.argv[2:]:
        for entry in json.load(open(har))["log"]["entries"]:
            method = entry["request"]["method"]
            path = urlparse(entry["request"]["url"]).path
            if base and path.startswith(base):
                path = path[len(base):]
            status = entry["response"]["status"]
            for op_method, pattern, op_id, _ in ops:
                if op_method == method and pattern.match(path):
                    counts[op_id][f"{status // 100}xx"] += 1
                    break
            else:
                counts["(no operation)"][f"{status // 100}xx"] += 1
    classes = ["2xx", "4xx", "5xx"]
    print(f"{'operation':<36} " + " ".join(f"{c:>6}" for c in classes))
    missing = []
    for _, _, op_id, _ in sorted(ops, key=lambda o: o[2]):
        row = counts.get(op_id, {})
        print(f"{op_id:<36} " + " ".join(f"{row.get(c, 0):>6}" for c in classes))
        if row.get("2xx", 0) == 0:
            missing.append(op_id)
    if "(no operation)" in counts:
        print("requests matching no operation:", dict(counts["(no operation)"]))
    total = sum(sum(row.values()) for row in counts.values())
    print(f"{len(ops)} operations, {total} requests")
    if missing:
        print("no 2xx answer for:", ", ".join(missing))
        sys.exit(1)


if __name__ == "__main__":
    main()
