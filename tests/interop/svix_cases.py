"""Signatures made by Svix's own Python library (PyPI `svix`), for nectar-rs to agree with.

Prints JSON: for each endpoint secret (`key`), in the spellings a user may hold it (as copied,
with the newline of a file or an environment variable, with spaces around it, without `whsec_`,
without base64 padding), whether Svix's library accepts it and, when it does, the
`svix-signature` it makes for a few bodies at fixed timestamps. tests/tests/webhooks.rs checks nectar-rs against the
committed output (tests/fixtures/svix/cases.json); CI regenerates it with the library from PyPI
and fails when the two differ, so a change on Svix's side is seen.

    python tests/interop/svix_cases.py > tests/fixtures/svix/cases.json
"""

import json
import sys
from datetime import datetime, timezone

from svix.webhooks import Webhook

KEYS = [
    # Svix's documented example secret (24 bytes: base64 without padding).
    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    # 23 bytes: one `=` of padding.
    "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRY=",
    # 32 bytes: one `=` of padding, as nectar-rs generates them.
    "whsec_3q2+7wABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhs=",
]

BODIES = [
    '{"test": 2432232314}',
    '{"eventType":"connection.updated.v2","id":"94ca4dc7-cc09-4162-9b20-7f4bcb5d1199","status":"CONNECTED"}',
    '{"eventType":"document.created.v2","name":"Caf\u00e9 \u2603","amount":"12.50"}',
]

TIMESTAMPS = [1614265330, 1764460800]


def spellings(secret):
    bare = secret[len("whsec_"):]
    return [
        ("as copied", secret),
        ("trailing newline", secret + "\n"),
        ("surrounding spaces", "  " + secret + " \r\n"),
        ("without whsec_", bare),
        ("without padding", secret.rstrip("=")),
    ]


def main():
    cases = []
    for key in KEYS:
        for form, secret in spellings(key):
            try:
                hook = Webhook(secret)
            except Exception as error:  # noqa: BLE001 - any refusal counts as "not accepted"
                cases.append({"key": key, "secret": secret, "form": form, "accepted": False,
                              "refusal": type(error).__name__, "signatures": []})
                continue
            signatures = []
            for n, body in enumerate(BODIES):
                for timestamp in TIMESTAMPS:
                    msg_id = f"msg_{n}_{timestamp}"
                    at = datetime.fromtimestamp(timestamp, tz=timezone.utc)
                    signatures.append({"id": msg_id, "timestamp": timestamp, "body": body,
                                       "signature": hook.sign(msg_id, at, body)})
            cases.append({"key": key, "secret": secret, "form": form, "accepted": True,
                          "signatures": signatures})
    json.dump(cases, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
