"""The document card: type, nation, publisher, publication year and period covered.

Every field is inferred from the text unless ``metadata.csv`` gives it (the CSV always wins):
``review_type`` -> ``doc_type``, ``geography`` -> ``nation``, ``publisher``, ``year`` (the
card's keys are ``assistant.types.CardKey``'s). The CSV's columns stay on the card as given.
The fields that were inferred are listed in ``inferred`` so a reader can tell a guess from a
fact.
A field that cannot be inferred with some confidence is left out rather than guessed: the
publication year comes only from copyright lines, publication codes and "Published" dates,
never from the years a report happens to mention.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping

from assistant.types import CardKey, Document, MetaValue
from ingest.areas import NATIONS, Gazetteer, default_gazetteer

DOC_TYPES = (
    "review report", "overview report", "briefing", "inspection report", "news release",
    "guidance",
)
_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December)"
)
_BETWEEN = re.compile(
    rf"\bbetween (?:the )?(?:\d{{1,2}} )?{_MONTH}? ?((?:19|20)\d\d)\s*+(?:-|–|and|to) "
    rf"(?:the )?(?:\d{{1,2}} )?{_MONTH}? ?((?:19|20)\d\d)\b"
)
_MONTH_SPAN = re.compile(rf"\b{_MONTH} ((?:19|20)\d\d) (?:to|-|–) {_MONTH} ((?:19|20)\d\d)\b")
_RANGE = re.compile(r"(?<![\d/.-])((?:19|20)\d\d)\s?[-–/]\s?((?:19|20)?\d\d)(?![\d/.%-])")
_COPYRIGHT = re.compile(
    r"(?:©|\(c\)|Copyright:?|Crown copyright)\s*+(?:©\s*+)?([A-Z][A-Za-z&.' -]{2,60}?)?,?\s*+"
    r"((?:19|20)\d\d)\b"  # possessive \s*+: "©" and a long run of spaces was quadratic
)
_CODE = re.compile(r"\b[A-Z]{2,6}-(0[1-9]|1[0-2])(\d\d)-\d{2,5}\b")  # COMMS-0521-342: May 2021
_PUBLISHED = re.compile(
    rf"\b(?:Published|Publication date):?\s*+(?:\d{{1,2}} )?{_MONTH}? ?((?:19|20)\d\d)\b"
)

# Words that point to one nation's child protection system (lower case, counted in the text).
_NATION_WORDS: Mapping[str, tuple[str, ...]] = {
    "Scotland": (
        "significant case review", "initial case review", "child protection committee",
        "care inspectorate", "girfec", "getting it right for every child", "named person",
        "scottish", "scotland", "children's reporter", "learning review",
    ),
    "England": (
        "serious case review", "local safeguarding", "lscb", "ofsted", "care quality commission",
        "cqc", "child in need", "children's social care", "department for education",
        "safeguarding partners", "england", "english", "child safeguarding practice review",
    ),
    "Wales": ("child practice review", "wales", "welsh", "regional safeguarding board"),
    "Northern Ireland": ("case management review", "northern ireland", "sbni"),
}
_TYPE_SIGNS: Mapping[str, tuple[str, ...]] = {
    "news release": (
        r"\bsaid\b", r"today'?s report", r"published today", r"report is available here",
        r"news release", r"press release", r"chief executive", r"\btoday\b",
    ),
    "guidance": (r"\bnational guidance\b", r"\bguidance for\b", r"\bpractitioners should\b"),
    "inspection report": (
        r"\bjoint inspections?\b", r"\binspectors\b", r"\binspection programme\b",
    ),
    "overview report": (
        r"\btriennial\b", r"\boverview report\b", r"\banalysis of \d+ ", r"\bwe reviewed\b",
        r"\bacross scotland\b",
    ),
    "briefing": (r"\bbriefings?\b", r"\bkey findings\b"),
    "review report": (
        r"\b[Cc]hild [A-Z]\b", r"\bterms of reference\b", r"\bthe review team\b",
        r"\bthis (significant|serious) case review\b",
    ),
}


def _nation(text: str, gazetteer: Gazetteer, title: str = "") -> str | None:
    """The nation the words of ``text`` point to, if clearly one; an area named in the
    ``title`` ("... (Darlington Safeguarding Partnership)") counts twice."""
    lowered = text.lower()
    score: Counter[str] = Counter()
    for nation, words in _NATION_WORDS.items():
        for word in words:
            score[nation] += len(re.findall(rf"\b{re.escape(word)}\b", lowered))
    for mention in gazetteer.find(text):  # "Bridgend", "Hackney Council": evidence too
        if mention.area.nation in NATIONS:
            score[mention.area.nation] += 1
    for mention in gazetteer.find(title):
        if mention.area.nation in NATIONS and not mention.area.is_nation:
            score[mention.area.nation] += 2
    if not score:
        return None
    ranked = [*score.most_common(2), ("", 0)]
    (best, top), runner_up = ranked[0], ranked[1][1]
    return best if top >= 2 and top >= 2 * runner_up else None


def _doc_type(title: str, text: str) -> str | None:
    head = f"{title}\n{text[:6000]}"
    scores = {
        kind: sum(len(re.findall(p, head, flags=re.I if "[A-Z]" not in p else 0)) for p in pats)
        for kind, pats in _TYPE_SIGNS.items()
    }
    if re.search(r"\bguidance\b", title, re.I):
        return "guidance"
    if re.search(r"\bbriefing\b", title, re.I):
        return "briefing"
    best = max(scores, key=lambda k: scores[k])
    return best if scores[best] >= 2 else None


def period_of(text: str) -> tuple[int, int] | None:
    """The first period named in ``text``: "between 1 April 2018 and 31 March 2021",
    "March 2015 to April 2018", "2009-12" or "2018-2021"."""
    found: list[tuple[int, int, int]] = []  # (position, start, end)
    for pattern in (_BETWEEN, _MONTH_SPAN, _RANGE):
        for m in pattern.finditer(text):
            start, raw_end = int(m.group(1)), m.group(2)
            end = int(raw_end) if len(raw_end) == 4 else (start // 100) * 100 + int(raw_end)
            if 0 < end - start <= 10:
                found.append((m.start(), start, end))
                break
    return min(found)[1:] if found else None


def _year(text: str) -> tuple[int, str] | None:
    tail = text[-4000:]
    for pattern, source in ((_COPYRIGHT, "copyright"), (_PUBLISHED, "published")):
        years = [int(m.group(2) if pattern is _COPYRIGHT else m.group(1)) for m in
                 pattern.finditer(tail)] or [
            int(m.group(2) if pattern is _COPYRIGHT else m.group(1))
            for m in pattern.finditer(text[:4000])
        ]
        if years:
            return max(years), source
    code = _CODE.search(text)
    if code:
        return 2000 + int(code.group(2)), "publication code"
    return None


def _publisher(text: str) -> str | None:
    for m in _COPYRIGHT.finditer(text):
        name = (m.group(1) or "").strip(" ,.&")
        if name and not name.lower().startswith(("photos", "all rights")):
            return name
    return None


def infer_card(
    doc: Document, given: Mapping[str, MetaValue], gazetteer: Gazetteer | None = None
) -> dict[str, MetaValue]:
    """The card fields of ``doc``: ``given`` (from metadata.csv) first, inferred ones after."""
    gazetteer = gazetteer or default_gazetteer()
    text = "\n".join(p.text for p in doc.pages)
    card: dict[str, MetaValue] = dict(given)
    inferred: list[str] = []

    def put(key: str, value: MetaValue | None) -> None:
        if value is not None and value != "" and key not in card:
            card[key] = value
            inferred.append(key)

    k = CardKey
    csv_type = str(given.get(k.CSV_TYPE, "")).strip().lower()
    if csv_type and k.DOC_TYPE not in card:
        card[k.DOC_TYPE] = csv_type
    put(k.DOC_TYPE, _doc_type(doc.title, text))
    geography = str(given.get(k.CSV_GEOGRAPHY, "")).strip()
    if geography in NATIONS and k.NATION not in card:
        card[k.NATION] = geography
    put(k.NATION, _nation(text, gazetteer, doc.title))
    from ingest.reviewtypes import find_review_types, labels_for

    nation = str(card.get(k.NATION) or "") or None  # decides "SCR" and the generic names
    found = find_review_types(doc.title, text, nation)
    listed = labels_for([csv_type], nation) if csv_type else []  # the CSV's type first
    put(k.REVIEW_TYPES, list(dict.fromkeys([*listed, *found.labels])) or None)
    put(k.NATION, found.nation)  # a nation only the review types say
    if k.NATION in card and k.CSV_GEOGRAPHY not in card:
        card[k.CSV_GEOGRAPHY] = card[k.NATION]  # read by the answerer's place check
    put(k.PUBLISHER, _publisher(text))
    year = _year(text)
    put(k.YEAR, year[0] if year else None)
    if year and k.YEAR in inferred:
        card[k.YEAR_SOURCE] = year[1]
    period = period_of(doc.title) or period_of(text[:8000])
    if period and k.PERIOD not in card:
        card[k.PERIOD] = f"{period[0]}-{period[1]}"
        card[k.PERIOD_START], card[k.PERIOD_END] = period
        inferred.append(k.PERIOD)
    if inferred:
        card[k.INFERRED] = ",".join(inferred)
    return card
