"""Builds the Teams app package (manifest.json and its two icons, zipped) that a Teams admin uploads.

    python -m adapters.teams.package [--app-id GUID] [--domain tally.example.gov.uk] [--out FILE]

The bot id comes from --app-id or MICROSOFT_APP_ID (the Azure Bot's Microsoft App ID).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import zipfile
from pathlib import Path

from dotenv import load_dotenv

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "manifest" / "teams"
PLACEHOLDER_ID = "00000000-0000-0000-0000-000000000000"
PLACEHOLDER_DOMAIN = "tally.example.gov.uk"
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def build_manifest(app_id: str, domain: str) -> dict:
    text = (SOURCE / "manifest.json").read_text()
    text = text.replace(PLACEHOLDER_ID, app_id).replace(PLACEHOLDER_DOMAIN, domain)
    return json.loads(text)


def build_package(app_id: str, domain: str, out: Path) -> Path:
    manifest = build_manifest(app_id, domain)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", json.dumps(manifest, indent=2))
        for icon in (manifest["icons"]["color"], manifest["icons"]["outline"]):
            package.write(SOURCE / icon, icon)
    return out


def main(argv: list[str] | None = None) -> int:
    load_dotenv(override=False)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app-id", default=os.environ.get("MICROSOFT_APP_ID", ""))
    parser.add_argument("--domain", default=PLACEHOLDER_DOMAIN, help="the public host Tally is served on")
    parser.add_argument("--out", type=Path, default=SOURCE / "build" / "tally-teams.zip")
    args = parser.parse_args(argv)
    app_id = args.app_id or PLACEHOLDER_ID
    if not GUID.match(app_id):
        print(f"--app-id / MICROSOFT_APP_ID must be a GUID, not {app_id!r}", file=sys.stderr)
        return 2
    if app_id == PLACEHOLDER_ID:
        print("warning: no MICROSOFT_APP_ID set; Teams will refuse this package until the bot id is real.")
    path = build_package(app_id, args.domain, args.out)
    print(f"Teams app package: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    print("Upload it in Teams admin center > Manage apps > Upload, or Teams > Apps > Manage your apps > Upload.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
