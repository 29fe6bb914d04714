"""Audit the pinned dependencies (constraints.txt) for known vulnerabilities with pip-audit.

Fails on any finding that is not listed, with a reason, in scripts/audit-reviewed.txt.

pip-audit asks PyPI's JSON API for each pinned version. Where that service cannot be reached
(a machine whose registry is a mirror without it, or offline), pip-audit skips every package
and reports nothing; this script then says plainly that the audit was NOT performed and how
many packages went unaudited, and fails only when AUDIT_STRICT=1 (set it where the service is
reachable, e.g. the release pipeline), so that an unreachable service is never mistaken for
a clean audit nor breaks `make test` on a closed network.

    .venv/bin/python scripts/dependency_audit.py
"""

from __future__ import annotations

import json
import os
import subprocess  # nosec B404  # runs pip-audit from this venv with fixed arguments
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REVIEWED = ROOT / "scripts" / "audit-reviewed.txt"


def reviewed_ids() -> dict[str, str]:
    """Vulnerability ids already reviewed, each with the reason it does not apply to us."""
    reviewed: dict[str, str] = {}
    for line in REVIEWED.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        vuln_id, _, reason = line.partition(" ")
        if not reason.strip():
            sys.exit(f"{REVIEWED.name}: {vuln_id} needs a reason after the id")
        reviewed[vuln_id] = reason.strip()
    return reviewed


def main() -> int:
    command = [
        sys.executable,
        "-m",
        "pip_audit",
        "--requirement",
        str(ROOT / "constraints.txt"),
        "--no-deps",  # constraints.txt pins every package, dependencies included
        "--disable-pip",
        "--format",
        "json",
        "--progress-spinner",
        "off",
        "--timeout",
        "20",
    ]
    run = subprocess.run(command, capture_output=True, text=True, check=False)  # nosec B603
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        print(run.stderr, file=sys.stderr)
        print("pip-audit failed before it could report (see above)")
        return 1
    dependencies = report["dependencies"]
    unaudited = [d["name"] for d in dependencies if "skip_reason" in d]
    reviewed = reviewed_ids()
    findings = [
        (d["name"], d["version"], v["id"], v.get("fix_versions", []))
        for d in dependencies
        for v in d.get("vulns", [])
    ]
    unreviewed = [f for f in findings if f[2] not in reviewed]
    for name, version, vuln_id, fixes in findings:
        state = "reviewed: " + reviewed[vuln_id] if vuln_id in reviewed else "NOT REVIEWED"
        print(f"  {name} {version}: {vuln_id} (fixed in {', '.join(fixes) or '-'}) {state}")
    audited = len(dependencies) - len(unaudited)
    print(
        f"dependency audit: {audited} of {len(dependencies)} pinned packages audited, "
        f"{len(findings)} findings, {len(unreviewed)} not reviewed"
    )
    if unreviewed:
        print("Upgrade the package (pyproject.toml, then make lock) or add the id with a reason")
        print(f"to {REVIEWED.relative_to(ROOT)} once you know it does not apply.")
        return 1
    if unaudited and audited == 0:
        print(
            "dependency audit NOT performed: the vulnerability service (PyPI's JSON API) could "
            f"not be reached from this machine; {len(unaudited)} packages unaudited."
        )
        return 1 if os.environ.get("AUDIT_STRICT") == "1" else 0
    if unaudited:
        print(f"  not found on the index, so not audited: {', '.join(sorted(unaudited))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
