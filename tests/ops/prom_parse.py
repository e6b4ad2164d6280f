#!/usr/bin/env python3
"""Parses Prometheus text exposition with the official client library, for the integration tests.

Reads the text on standard input with prometheus_client's own parser (independent of the
identity provider's renderer) and prints one JSON object: {"ok": true, "samples": [[name,
labels, value], ...], "families": {name: type}}; on a parse error {"ok": false, "error": ...}
with exit status 1.
"""

import json
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    text = sys.stdin.read()
    try:
        samples = []
        families = {}
        for fam in text_string_to_metric_families(text):
            families[fam.name] = fam.type
            for s in fam.samples:
                samples.append([s.name, s.labels, s.value])
    except Exception as exc:  # noqa: BLE001 - any parse failure is reported
        print(json.dumps({"ok": False, "error": f"{type(exc).__name__}: {exc}"}))
        return 1
    print(json.dumps({"ok": True, "samples": samples, "families": families}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
