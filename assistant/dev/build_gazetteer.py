"""Build ``ingest/data/areas.json`` for the whole UK (a one-off developer tool, issue 14).

    python -m assistant.dev.build_gazetteer REFERENCE_DIR [OUT]

REFERENCE_DIR holds ``areas-uk.json`` (England, Wales, Northern Ireland: name, kind, aliases,
parent_region) and ``areas-uk.md`` (its notes, whose tables give who belongs to which joint
partnership, Welsh board, Welsh health board and HSC trust). The Scottish entries, the nations
and the English regions are read from the current ``ingest/data/areas.json`` and kept as they
are; the seven board entries that file held as ``region`` are replaced by the reference's
``safeguarding_board`` entries (the same names, more aliases). Each entry gets ``nation``,
``members`` where membership is known, and ``needs_context`` for names that are also common
words, surnames or other places. Nothing here runs at import time.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

NATIONS = ("Scotland", "England", "Wales", "Northern Ireland")
DATA = Path(__file__).resolve().parents[2] / "ingest" / "data" / "areas.json"

# Forms that count only with a qualifier ("Reading Borough Council", "Sutton LSCB") or after
# "in" (reference notes 7.1): common words, surnames and first names, and other places.
NEEDS_CONTEXT: dict[str, tuple[str, ...]] = {
    "Reading": ("Reading",), "Bury": ("Bury",), "Sutton": ("Sutton",), "Halton": ("Halton",),
    "Derby": ("Derby",), "Slough": ("Slough",), "Harrow": ("Harrow",),
    "Havering": ("Havering",), "Kingston upon Thames": ("Kingston",),
    "Richmond upon Thames": ("Richmond",), "Newcastle upon Tyne": ("Newcastle",),
    "Newport": ("Newport",), "County Durham": ("Durham",), "York": ("York",),
    "Kingston upon Hull": ("Hull",), "Westminster": ("Westminster",),
    "Bournemouth, Christchurch and Poole": ("Christchurch", "Poole"),
    "Stockton-on-Tees": ("Stockton",), "Leicester": ("Leicester City",),
    "Dudley": ("Dudley",), "Bradford": ("Bradford",), "Bolton": ("Bolton",),
    "Wakefield": ("Wakefield",), "Darlington": ("Darlington",), "Sunderland": ("Sunderland",),
    "Telford and Wrekin": ("Telford",), "Kent": ("Kent",), "Devon": ("Devon",),
    "Cornwall": ("Cornwall",), "Somerset": ("Somerset",), "Merton": ("Merton",),
    "Brent": ("Brent",), "Blackburn with Darwen": ("Blackburn",),
}
_TRUSTS = {w: f"{w} Health and Social Care Trust"
           for w in ("Belfast", "Northern", "South Eastern", "Southern", "Western")}
_COMMITTEE_WORDS = re.compile(
    r"\b(?:child protection committee|public protection committee|public protection partnership|"
    r"public protection|protecting people|child protection|cpc|ppc|ohcpc)\b", re.I)

ABOUT = (
    "Gazetteer of the areas the assistant recognises across the UK: Scottish councils, child "
    "protection committees (cpc) and territorial health boards; English local authorities with "
    "children's services and Welsh principal councils and Northern Ireland district councils "
    "(la); English joint safeguarding partnerships serving more than one LA "
    "(safeguarding_partnership; a single-LA partnership's names are aliases of its LA); the six "
    "Welsh regional safeguarding boards and the Safeguarding Board for Northern Ireland "
    "(safeguarding_board); Welsh local health boards (health_board); Northern Ireland's health "
    "and social care trusts (hsc_trust); the nations and the nine English regions (region). "
    "Add an alias to an entry's 'aliases' to teach the assistant a new spelling; matching is "
    "case-sensitive, on whole words, longest name first. "
    "'nation' is the UK nation an entry is in (a nation is its own). "
    "'parent' is the larger area an entry sits in: for a Scottish council or committee its "
    "health board; for an English LA or partnership its region; for a Welsh council its "
    "regional safeguarding board; for a Northern Ireland council its (main) HSC trust; for a "
    "health board, board, trust or region its nation. A filter on a parent also finds passages "
    "about what sits in it (a filter on 'London' finds Hackney), never the other way round. "
    "'members' lists the council/LA entries an entry covers: a committee or joint partnership "
    "(cpc, safeguarding_partnership) is counted under its members; a board, health board or "
    "trust stays an area of its own, and a filter on it also finds its members' passages. A "
    "Northern Ireland council served by two trusts is a member of both. "
    "'needs_context' lists forms that are also common words, names or other places "
    "('Reading', 'Bury', 'Sutton'): they count only followed by Council, Borough, "
    "Safeguarding..., LSCB, LSCP, children's services or local authority, or after 'in' "
    "('in Sutton', not 'in Sutton Coldfield'). "
    "Built from the project's reference notes by assistant/dev/build_gazetteer.py."
)


def table_rows(md: str, heading: str) -> list[list[str]]:
    """The rows (cells) of the first table under the heading that starts with ``heading``."""
    start = md.index(heading)
    rows: list[list[str]] = []
    for line in md[start:].splitlines()[1:]:
        if line.startswith("#"):
            break
        if line.startswith("|") and not line.startswith("|---"):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
        elif rows and not line.strip():
            break
    return rows[1:]  # without the header row


def names_in(cell: str, names: list[str]) -> list[str]:
    """The entry names in a list cell, longest first, so "Dorset, Bournemouth, Christchurch and
    Poole" is Dorset and BCP."""
    found: list[tuple[int, str]] = []
    taken = [False] * len(cell)
    for name in sorted(names, key=len, reverse=True):
        for m in re.finditer(rf"(?<![\w-]){re.escape(name)}(?![\w-])", cell):
            if not any(taken[m.start():m.end()]):
                taken[m.start():m.end()] = [True] * (m.end() - m.start())
                found.append((m.start(), name))
    return [name for _, name in sorted(found)]


def _served(cpc: dict[str, Any], council_forms: dict[str, str]) -> list[str]:
    """The councils a Scottish committee serves, read from its names."""
    found: list[str] = []
    for form in (cpc["name"], *cpc["aliases"]):
        core = " ".join(_COMMITTEE_WORDS.sub(" ", form).split()).strip(" -").lower()
        parts = [p.strip() for p in re.split(r"\s+(?:and|&)\s+", core)]
        if core in council_forms:
            found.append(council_forms[core])
        elif len(parts) > 1 and all(p in council_forms for p in parts):
            found.extend(council_forms[p] for p in parts)
    return list(dict.fromkeys(found))


def memberships(md: str, las: list[str]) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Entry name -> member LA names, from the reference notes' tables 3, 4.2, 4.3 and 5; and
    each Northern Ireland council's main trust (the first its row names)."""
    members: dict[str, list[str]] = {}
    main_trust: dict[str, str] = {}
    for row in table_rows(md, "## 3. England: joint safeguarding partnerships"):
        members[row[0]] = names_in(row[1], las)
    for heading in ("### 4.2 ", "### 4.3 "):
        for row in table_rows(md, heading):
            members[row[0]] = names_in(row[1], las)
    for row in table_rows(md, "## 5. Northern Ireland"):
        council, trusts = row[0], row[2]
        words = re.findall(r"South Eastern|Northern|Southern|Western|Belfast", trusts)
        main_trust[council] = _TRUSTS[words[0]]
        for word in words:
            members.setdefault(_TRUSTS[word], []).append(council)
    return members, main_trust


def build(reference: Path, current: Path = DATA) -> dict[str, Any]:
    scottish = json.loads(current.read_text(encoding="utf-8"))["areas"]
    uk = json.loads((reference / "areas-uk.json").read_text(encoding="utf-8"))
    md = (reference / "areas-uk.md").read_text(encoding="utf-8")
    uk_names = {a["name"] for a in uk}
    by_name = {a["name"]: a for a in scottish}
    out: list[dict[str, Any]] = []
    councils = {f.lower(): a["name"] for a in scottish if a["kind"] == "council"
                for f in (a["name"], *a["aliases"])}
    for area in scottish:
        if area["name"] in uk_names:  # a Welsh board or SBNI: the reference's entry wins
            replaced = next(a for a in uk if a["name"] == area["name"])
            assert set(area["aliases"]) <= set(replaced["aliases"]), area["name"]
            continue
        entry: dict[str, Any] = {k: area[k] for k in ("name", "kind", "aliases", "parent")}
        top = area
        while top["name"] not in NATIONS and top.get("parent") in by_name:
            top = by_name[top["parent"]]
        entry["nation"] = top["name"] if top["name"] in NATIONS else None
        if area["kind"] == "cpc":
            entry["members"] = _served(area, councils)
            assert entry["members"], area["name"]
        out.append(entry)
    las = [a["name"] for a in uk if a["kind"] == "la"]
    members, main_trust = memberships(md, las)
    region_nation = {a["name"]: a["nation"] for a in out}
    for area in uk:
        name, parent = area["name"], area["parent_region"]
        nation = region_nation[parent]
        entry = {"name": name, "kind": area["kind"], "aliases": area["aliases"],
                 "parent": parent, "nation": nation}
        if name in members:
            entry["members"] = members[name]
        out.append(entry)
    _set_parents(out, members, main_trust)
    for entry in out:
        forms = NEEDS_CONTEXT.get(entry["name"], ())
        assert all(f in (entry["name"], *entry["aliases"]) for f in forms), entry["name"]
        if forms:
            entry["needs_context"] = list(forms)
    _check(out, members)
    return {"_about": ABOUT, "areas": out}


def _set_parents(
    out: list[dict[str, Any]], members: dict[str, list[str]], main_trust: dict[str, str]
) -> None:
    """A Welsh council's parent is its regional board, a Northern Ireland council's its main
    trust; an English partnership's, its members' region."""
    by_name = {a["name"]: a for a in out}
    for entry in out:
        if entry["kind"] == "safeguarding_partnership":
            regions = {by_name[m]["parent"] for m in entry["members"]}
            assert len(regions) == 1, entry["name"]
            entry["parent"] = regions.pop()
    for container, names in members.items():
        if by_name[container]["kind"] == "safeguarding_board":
            for name in names:
                by_name[name]["parent"] = container
    for council, trust in main_trust.items():
        by_name[council]["parent"] = trust
    sbni = by_name["Safeguarding Board for Northern Ireland"]
    sbni["members"] = [a["name"] for a in out if a["kind"] == "la"
                       and a["nation"] == "Northern Ireland"]


def _check(out: list[dict[str, Any]], members: dict[str, list[str]]) -> None:
    seen: dict[str, str] = {}
    names = {a["name"] for a in out}
    for area in out:
        for form in (area["name"], *area["aliases"]):
            other = seen.setdefault(form.lower(), area["name"])
            assert other == area["name"], (form, other, area["name"])
        assert area["parent"] is None or area["parent"] in names, area["name"]
        assert all(m in names for m in area.get("members", ())), area["name"]
    for container, found in members.items():
        assert container in names and found, container
    welsh = [a for a in out if a["kind"] == "la" and a["nation"] == "Wales"]
    assert len(welsh) == 22 and all(a["parent"] != "Wales" for a in welsh)


def main(argv: list[str]) -> int:
    if not argv or len(argv) > 2:
        print(__doc__.strip().splitlines()[2].strip())
        return 2
    data = build(Path(argv[0]))
    target = Path(argv[1]) if len(argv) > 1 else DATA
    target.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(data['areas'])} areas written to {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
