"""The Teams manifest is valid against Microsoft's schema, matches the code, and its icons are real."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import jsonschema
from PIL import Image

from adapters.teams.ids import ExtensionCommand
from adapters.teams.package import build_package

ROOT = Path(__file__).resolve().parents[2]
TEAMS = ROOT / "manifest" / "teams"
MANIFEST = json.loads((TEAMS / "manifest.json").read_text())
SCHEMA = json.loads((ROOT / "tests" / "schemas" / "MicrosoftTeams.v1.29.schema.json").read_text())  # see its README


def errors(manifest: dict) -> list[str]:
    return [e.message for e in jsonschema.Draft4Validator(SCHEMA).iter_errors(manifest)]


def test_manifest_is_valid_against_the_teams_schema():
    assert MANIFEST["manifestVersion"] == "1.29"
    assert errors(MANIFEST) == []


def test_schema_rejects_a_broken_manifest():
    assert errors({**MANIFEST, "accentColor": "blue", "unknownField": 1})


def test_manifest_matches_the_bot():
    (bot,) = MANIFEST["bots"]
    assert set(bot["scopes"]) == {"personal", "team", "groupChat"}
    scopes = {s for cl in bot["commandLists"] for s in cl["scopes"]}
    assert scopes == {"personal", "team", "groupChat"}
    (extension,) = MANIFEST["composeExtensions"]
    (command,) = extension["commands"]
    assert command["id"] == ExtensionCommand.LOG_AS_PROBLEM and command["context"] == ["message"]
    assert command["type"] == "action" and command["fetchTask"] is True


def test_icons_are_real_drawings_of_the_right_size():
    colour = Image.open(TEAMS / MANIFEST["icons"]["color"]).convert("RGBA")
    outline = Image.open(TEAMS / MANIFEST["icons"]["outline"]).convert("RGBA")
    assert colour.size == (192, 192) and outline.size == (32, 32)
    assert len(set(colour.getdata())) > 3  # a drawing, not a flat square
    pixels = list(outline.getdata())
    assert any(a == 0 for *_, a in pixels), "the outline icon needs a transparent background"
    drawn = [(r, g, b) for r, g, b, a in pixels if a > 0]
    assert len(drawn) > 40 and all(rgb == (255, 255, 255) for rgb in drawn), "outline strokes must be white"


def test_package_is_a_zip_with_the_real_bot_id(tmp_path):
    app_id = "0b1d5c7e-1111-4222-8333-944445555666"
    path = build_package(app_id, "tally.council.gov.uk", tmp_path / "tally.zip")
    with zipfile.ZipFile(path) as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(package.read("manifest.json"))
    assert manifest["bots"][0]["botId"] == app_id == manifest["composeExtensions"][0]["botId"]
    assert manifest["validDomains"] == ["tally.council.gov.uk"]
    assert errors(manifest) == []
