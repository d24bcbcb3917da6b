"""Questions the assistant declines before any search, with a plain reason.

- Identity requests: a name, surname, address, home town, school, workplace, photo or social
  media account of a child, a relative or a professional in a review, or who a pseudonymised
  person ("Child Q", "Family A", "Ed") really is. Reviews are anonymised on purpose, and a
  guess is as harmful as an answer. A question that merely names a review or a role ("What did
  the Child Q review find?", "Which school staff were criticised?") is a normal question: the
  patterns look for the identifying detail being what is asked for.
- Legal advice: whether the user (or a family, or an agency) can sue, would get compensation,
  has a case, needs a solicitor, whether someone is liable or will be prosecuted. The
  documents are reviews and guidance, not advice about anyone's situation. Questions about
  what reviews or guidance say about law or procedure are normal questions; one about the
  user's own case ("can we sue", "do I have a case") is declined however it is put.

Every pattern runs on the folded question (lower case, ASCII quotes) and is linear in its
length: gaps between words are bounded (``(?:\\w+\\W+){0,3}``), and no repetition nests
another over the same characters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from assistant.text import fold

IDENTITY_TEXT = (
    "The reviews are anonymised to protect the children and families in them, so the assistant "
    "does not identify, or guess at the identity of, anyone in a review: a child, a relative or "
    "a professional. It can tell you what the review found and what it recommended."
)
LEGAL_TEXT = (
    "The assistant cannot give legal advice about your situation; a solicitor, or an advice "
    "service such as Citizens Advice, can."
)
GUIDANCE_HINT = (
    "The library's guidance documents may help with how reviews and safeguarding procedures work: "
)
MAX_TITLES = 3


@dataclass(frozen=True)
class Decline:
    kind: Literal["identity", "legal-advice"]
    text: str  # the full user-facing explanation


# -- identity -------------------------------------------------------------------------------

# People in a review, by role (a possessive "'s" may follow).
_WHO = (
    r"(?:child(?:ren)?|childs|kids?|boys?|girls?|bab(?:y|ies)|infants?|toddlers?|sons?|"
    r"daughters?|teen(?:ager)?s?|young\W+(?:person|people)|youngsters?|pupils?|siblings?|"
    r"brothers?|sisters?|twins?|famil(?:y|ies)|parents?|mothers?|mums?|moms?|mams?|fathers?|dads?|"
    r"step\W?(?:father|mother|dad|mum)s?|partners?|boyfriends?|girlfriends?|husbands?|wi(?:fe|ves)|"
    r"grand(?:mother|father|parent|ma|pa|ad|son|daughter)s?|gran|granny|nan|nana|aunt(?:ie|y)?s?|"
    r"uncles?|cousins?|relatives?|carers?|guardians?|perpetrators?|abusers?|offenders?|killers?|"
    r"murderers?|victims?|suspects?|m[ae]n|wom[ae]n|lady|ladies|persons?|people|individuals?|"
    r"professionals?|practitioners?|workers?|teachers?|head\W?teachers?|nurses?|doctors?|gps?|"
    r"health\W+visitors?|midwi(?:fe|ves)|officers?|detectives?|paediatricians?|consultants?|"
    r"clinicians?|managers?|staff|employees?|childminders?|neighbou?rs?)"
)
# ... not when the word names a process or an agency ("child protection", "family court").
_NOT_WHO = (
    r"(?!\W+(?:[a-z]\W+)?(?:protection|reviews?|reports?|case|agenc\w*|organi[sz]ations?|"
    r"meetings?|network|services?|support|court|justice|hub|cent(?:re|er)s?|teams?|board|panel|"
    r"group|forum|partnerships?|practice|plans?|guidance|procedures?|polic(?:y|ies)|law|act|"
    r"homes?|care|safeguarding|assessments?|in\W+need)\b)"
)
_PERSON = rf"\b{_WHO}(?:'?s)?\b{_NOT_WHO}"
_SCHOOL = r"(?:(?:primary|secondary|high|infant|junior)\W+)?(?:school|nursery|college|academy)"
_PLACE = rf"(?:{_SCHOOL}|hospital|surgery|gp\W+practice|church|mosque|employer|workplace|company)"
_PSEUDONYM = r"(?:[a-z]\d?\W+s\W+)?"  # the "q's" of "child q's"
_HOLDER = rf"(?:{_PERSON}|\b(?:his|her|their|{_SCHOOL}(?:'?s)?)\b)"
# Words that turn a question to what the documents say about a detail, not the detail itself.
_TOPIC = (
    r"(?:say|says|said|about|regarding|found|findings?|recommend\w*|learn\w*|lessons?|why|how|"
    r"of|for|behind|with|on|in|from|between|than|to|when|if|whether|spel\w*|misspel\w*|records?|recorded|anonymi\w*|pseudonyms?|protect\w*|"
    r"publish\w*|redact\w*|withh\w*|use|used|using|explain\w*|means?|meant|know|knew|known|aware|"
    r"unknown|check\w*|establish\w*|verif\w*|discover\w*|told|shared|sharing)\b"
)
_GAP = rf"(?:(?!{_TOPIC})\w+\W+){{0,4}}?"
_ASK = (  # a request put to the assistant
    r"(?:\b(?:what(?:'?s|\W+(?:is|was|are|were|r))|(?:tell|give|show|send|get)\W+(?:me|us)|"
    r"(?:can|could|would|will)\W+(?:you|u)|please|do\W+(?:you|u)\W+(?:know|have)|"
    r"i\W+(?:want|need|would\W+like|'d\W+like|wanna)(?:\W+to\W+(?:know|find\W+out|see|have|get))?|"
    r"help\W+me|let\W+me\W+know|is\W+there|are\W+there|where\W+can\W+i\W+(?:find|see|get))\b\W*|"
    r"^\W*(?:list|reveal|disclose|name|confirm|share|provide|find|search\W+for|look\W+up)\b\W*)"
)
_QUALIFIED_NAME = (
    r"\b(?:sur\W?e?|sir\W?|(?:first|last|full|real|true|actual|maiden|birth|given|christian|proper|"
    r"original|family|nick)\W?)names?\b"
)
_NAME = (
    rf"(?:{_QUALIFIED_NAME}|{_HOLDER}\W+{_PSEUDONYM}names?\b|"
    rf"\bnames?\W+of\W+(?:\w+\W+){{0,2}}?(?:{_PERSON}|\b(?:{_PLACE}|everyone|everybody|anyone)\b))"
    r"(?!\W+(?:chang\w*|being|was|were|is|are|had|has|have|spel\w*|misspel\w*|used|use|using|"
    r"variation\w*|confusion|alias\w*|mix\w*|record\w*|check\w*|differ\w*|appear\w*|removed|"
    r"dropped|anonymi\w*|withheld|redact\w*|omitted|not|publish\w*|included|shown|given\W+in|"
    r"made\W+public|disclosed|released|printed|in\W+(?:the\W+)?(?:published\W+)?reviews)\b)"
)
_DETAIL = (
    rf"(?:{_NAME}|(?:{_HOLDER}|\b(?:home|current|exact|full|new|last\W+known))\W+(?:\w+\W+)?"
    rf"ad{{1,2}}ress(?:es)?\b|\bad{{1,2}}ress(?:es)?\W+(?:of|for)\W+(?:\w+\W+){{0,2}}?{_PERSON}|"
    r"\bwhere\W?abouts\b(?!\W+(?:were|was|unknown|not)\b)|\bpost\W?codes?\b|\bhome\W?towns?\b|"
    r"\bhouse\W+numbers?\b|"
    r"\b(?:real|true|actual|full)\W+identit(?:y|ies)\b|\bidentit(?:y|ies)\W+of\W+(?:\w+\W+){0,2}?"
    rf"(?:{_PERSON}|them\b|him\b|her\b)|{_HOLDER}\W+{_PSEUDONYM}identit(?:y|ies)\b"
    r"(?!\W+(?:was|were|is|be|being|could|can|might|protect\w*|kept|hidden|anonymi\w*|withheld|"
    r"confidential)\b)|"
    r"\b(?:photos?|photographs?|pictures?|pics?|images?|videos?|footage|selfies?|mugshots?)\W+"
    rf"(?:of|showing)\W+(?:\w+\W+){{0,2}}?{_PERSON}(?!\W*(?:\w+\W+)?(?:injur|bruis|mark|bod|"
    r"home|house|room|bed|condition|skin|wound|burn|fractur))|"
    rf"{_HOLDER}\W+{_PSEUDONYM}(?:on\W+)?(?:facebook|instagram|insta|tiktok|twitter|snapchat|linkedin|"
    r"social\W+media)(?:\W+(?:accounts?|profiles?|pages?|handles?|usernames?|names?))?\W*$)"
)
_KIN = (r"(?:sons?|daughters?|child|children|kids?|family|grand(?:son|daughter|child)|baby|niece|"
        r"nephew|partner|husband|wife)\b")
# A particular person ("the family", "child q", "they"), not people in general ("children").
_TARGET = (rf"(?:\b(?:the|this|that|these|those|his|her|their|\w+'s|\w+\W+[a-z]'s)\W+"
           rf"(?:\w+\W+){{0,2}}?{_PERSON}|\b(?:they|he|she)\b|\b{_WHO}\W+[a-z]\b)")
_IDENTITY = tuple(re.compile(p) for p in (
    rf"{_ASK}{_GAP}{_DETAIL}",
    # a short request that is not a yes/no question about what happened: "child q real name?"
    r"^\W*(?!(?:did|does|do|has|have|had|how|why|when|was|were|should|could|would|can|will|may|"
    rf"might|must)\b){_GAP}{_DETAIL}(?:\W+\w+){{0,5}}\W*$",
    # "what is the family called", "what was the boy named"
    rf"\bwhat(?:'?s|\W+(?:is|was|are|were))\W+(?:(?!an?\b)\w+\W+){{0,3}}?(?:{_PERSON}|"
    r"\b(?:they|he|she)\b)\W+(?:\w+\W+){0,2}?(?:called|named)\b"
    r"(?!\W+in\W+(?:the\W+|this\W+)?(?:\w+\W+)?(?:review|report|briefing|document))",
    # "which school was it", "what school did she go to", "where did he go to school"
    rf"\b(?:which|what)\W+{_SCHOOL}(?:\W+(?:was|were|is|are|did|does|do|had|has|attended|it)\b|"
    r"\W*$)",
    rf"\b(?:which|what)\W+{_SCHOOL}\W+(?:\w+\W+){{1,3}}?(?:go|goes|went|attend\w*|was|were|is)"
    r"(?:\W+(?:to|at))?\W*$",
    r"\bwhere\W+(?:do|does|did|is|was)\W+(?:\w+\W+){1,3}?(?:go|goes|went|attend\w*)\W+(?:to\W+)?"
    r"(?:school|nursery|college)\b",
    # "where do they live now", "where is child q now", "where does the social worker work now"
    rf"\b(?:where|were)\W+(?:do|does|did)\W+{_TARGET}\W+(?:\w+\W+){{0,4}}?(?:live|lives|lived|"
    r"reside|resided|stay|stays|stayed|come\W+from|came\W+from|grow\W+up|grew\W+up|"
    r"move\W+to|moved\W+to)\b",
    rf"\bwhere\W+(?:is|are|was|were|'s)\W+{_TARGET}\W+(?:\w+\W+){{0,2}}?(?:living|residing|"
    r"staying|from|buried)\b",
    rf"\bwhere\W+(?:do|does|did|is|are|was|were)\W+{_TARGET}\W+(?:\w+\W+){{0,1}}?(?:work|works|"
    r"worked|working|employed|based)\W*(?:now\W*|today\W*)?$",
    r"\bwhere\W+(?:is|are)\W+(?:\w+\W+){1,3}?(?:now|today|these\W+days)\W*$|"
    r"\bwhere\W?abouts\W+(?:do|does|did|is|are)\b",
    rf"\bwhere\W+(?!(?:should|would|could|can|must|might|may|will|shall)\b){_TARGET}\W+"
    r"(?:(?:is|are)\W+(?:\w+\W+)?(?:living|staying)|live|lives|reside|resides)\b",
    # "which town is ed from", "what street did they live on"
    r"\b(?:which|what)\W+(?:town|city|village|street|road|estate|neighbou?rhood|house|flat)\W+"
    r"(?:\w+\W+){0,4}?(?:live|lives|lived|living|from|grow\W+up|grew\W+up|reside\w*|based|"
    r"mov(?:e|ed|ing)\W+to)\b",
    r"\b(?:names?|identit(?:y|ies))\W+(?:please|pls|plz)\b",
    # "who was the social worker for child q", "who is ed's mum"
    r"\bwho\W+(?:is|was|are|were)\W+(?:the\W+)?(?:(?!named|designated|lead)\w+\W+){0,2}?"
    r"(?:social\W+workers?|teachers?|head\W?teachers?|nurses?|doctors?|gps?|health\W+visitors?|"
    r"midwi(?:fe|ves)|officers?|detectives?|paediatricians?)\W+(?:in|at|for|on|from|who|that)\b"
    r"(?!\W+(?:a|an|any|most|general|such)\b)",
    rf"\bwho\W+(?:is|was|are|were)\W+(?:\w+\W+)?\w+'s\W+(?:{_KIN}|mum|mother|dad|father|parents|"
    r"stepfather|stepdad|step\W+dad|boyfriend|girlfriend)\W*$",
    # "which family was it"
    rf"\b(?:which|what)\W+{_WHO}\W+(?:was|is|were|are)\W+(?:it|this|that|they|he|she)\W*$",
    # "who is child q really", "who was ed in real life", "who do you think the family are"
    r"\bwho(?:'s|\W+(?:is|was|are|were))\W+(?:\w+\W+){1,6}?(?:really|actually|in\W+reality|irl)"
    r"\W*$",
    r"\bwho(?:'s|\W+(?:is|was|are|were))\W+(?:\w+\W+){1,6}?in\W+real\W+life\b",
    r"\b(?:tell\W+(?:me|us)|know|guess|find\W+out|work\W+out|reveal)\W+who\W+(?:\w+\W+){1,5}?"
    r"(?:really\W+)?(?:is|are|was|were)\W*$",
    r"\bwho\W+do\W+(?:you|u)\W+think\W+(?:\w+\W+){1,4}?(?:is|was|are|were)\W*$",
    r"\bguess\w*\W+(?:at\W+)?(?:\w+\W+){0,2}?(?:who|which\W+(?:school|family|town)|identit\w*|"
    r"names?|where)\b",
    # "unmask family a", "can you de-anonymise it", "please identify the mother"
    rf"(?:^\W*|{_ASK}){_GAP}(?:unmask|de\W?anonymi[sz]e|un\W?anonymi[sz]e|doxx?)\b",
    rf"\b(?:unmask|de\W?anonymi[sz]e|un\W?anonymi[sz]e|doxx?)\W+(?:\w+\W+){{0,2}}?(?:{_PERSON}|"
    r"\b(?:them|him|her|it|this|reviews?|reports?)\b)",
    r"(?:^\W*|\b(?:(?:can|could|would|will)\W+(?:you|u)(?:\W+\w+)?|please|help\W+me|"
    r"(?:i|we)\W+(?:want|need|would\W+like)\W+to)\W+)identify\W+(?:(?:the|this|that)\W+)?"
    rf"(?:\w+\W+)?(?:{_PERSON}|\b(?:who|them|him|her)\b)(?!\W+(?:at|as|needs?|early|with|"
    r"in\W+need|might|may|could|is\W+at|are\W+at)\b)",
))

# -- legal advice ---------------------------------------------------------------------------

_COURT = r"tak(?:e|ing)\W+(?:\w+\W+){0,3}?to\W+court"
_ACTION = (
    r"(?:sue|claim\W+(?:\w+\W+)?(?:compensation|damages|against)|make\W+a\W+claim|"
    r"bring\W+(?:a\W+)?(?:claim|case|legal|proceedings|action)|take\W+(?:\w+\W+){0,3}?(?:to\W+court|"
    r"to\W+(?:a\W+)?tribunal|legal\W+action)|get\W+(?:any\W+)?(?:compensation|damages|a\W+payout|"
    r"legal\W+aid)|press\W+charges|prosecute|be\W+(?:sued|prosecuted|charged|held\W+liable)|"
    r"(?:get|need|hire|instruct|contact|see|consult|speak\W+to|talk\W+to|find)\W+(?:a\W+|an\W+)?"
    r"(?:\w+\W+)?(?:solicitor|lawyer|barrister|attorney))\b"
)
# Asked about the user's own situation: declined however it is put.
_OWN_CASE = tuple(re.compile(p) for p in (
    r"\b(?:can|could|should|shall|would|do|will|may|might|must)\W+(?:i|we|my\W+(?:\w+\W+)?"
    rf"{_KIN})\W+(?:\w+\W+){{0,2}}?"
    rf"{_ACTION}",
    r"\b(?:do|have|would|could)\W+(?:i|we)\W+(?:\w+\W+)?(?:have|got|stand)\W+(?:a\W+|an\W+|any\W+)?"
    r"(?:\w+\W+)?(?:case|claim|grounds)\b(?!\W+(?:reviews?|conference|meeting|stud\w*|files?|"
    r"notes|workers?|load)\b)",
    r"\b(?:my|our)\W+(?:legal\W+|human\W+|parental\W+)?rights\b|\b(?:my|our)\W+legal\W+(?:options|"
    r"position|case|standing|situation)\b",
    r"\b(?:i|we)\W+(?:need|want|would\W+like|'d\W+like|require)\W+(?:some\W+)?(?:legal\W+(?:advice|"
    r"help|representation)|a\W+(?:solicitor|lawyer|barrister))\b|\b(?:give|get)\W+(?:me|us)\W+"
    r"(?:some\W+)?legal\W+advice\b|\b(?:recommend|suggest|find)\W+(?:me\W+|us\W+)?(?:a\W+)?"
    r"(?:good\W+)?(?:solicitor|lawyer|barrister)\b",
    rf"\b(?:i|we)\b(?:\W+\w+){{0,4}}?\W+(?:sue|suing|lawsuit|legal\W+action|{_COURT}|"
    r"claim\w*\W+(?:\w+\W+)?(?:compensation|damages)|compensation\W+claim|press\W+charges)\b",
    r"\bwhat\W+(?:legal\W+)?rights\W+(?:do|have|would|does)\W+(?:i|we|my\W+\w+|our\W+\w+)\b",
    r"\b(?:illegal|unlawful|against\W+the\W+law)\b(?:\W+\w+){0,8}?\W+(?:my|our)\W+(?:\w+\W+)?"
    rf"{_KIN}|\b(?:my|our)\W+(?:\w+\W+)?{_KIN}(?:\W+\w+){{0,8}}?\W+(?:illegal|unlawful|"
    r"against\W+the\W+law)\b",
    r"\bwhat\W+legal\W+(?:action|steps|options|routes?)\W+(?:\w+\W+)?(?:can|could|should|do)\W+"
    r"(?:i|we|my|our)\b|\bwhat\W+(?:can|could|should)\W+(?:i|we)\W+do\W+(?:legally|in\W+law)\W*$",
    r"\bhow\W+much\W+money\W+(?:would|could|will|can|might|should|do)\W+(?:i|we)\b|"
    r"\baward\w*\W+(?:me|us)\b",
    r"\bworth\W+(?:\w+\W+)?(?:suing|getting\W+a\W+(?:solicitor|lawyer)|going\W+to\W+court|"
    r"taking\W+(?:\w+\W+){0,3}?(?:to\W+court|legal\W+action))\b",
))
# Someone in particular ("they", "the mother", "child q's stepfather"), not "professionals".
_SOMEONE = (r"(?:they|he|she|anyone|anybody|someone|somebody|no\W?one|i|we|"
            r"(?:the|his|her|their|my|our)\W+\w+(?:\W+\w+)?|\w+'s\W+\w+)")
_PUNISHED = (r"(?:(?:going\W+to\W+)?(?:be|get|face|have\W+been)\W+(?:prosecuted|charged|convicted|"
             r"jailed|imprisoned|sentenced|sued|arrested|locked\W+up|charges|prosecution)|"
             r"(?:go|going)\W+to\W+(?:prison|jail))\b")
# A legal opinion on a case: declined unless the question asks what the documents say.
_OPINION = tuple(re.compile(p) for p in (
    r"\bwhat\W+(?:\w+\W+)?(?:compensation|damages)\W+(?:\w+\W+){0,3}?(?:would|could|will|can|"
    r"might|should|do|does|are|is)\b",
    r"\bhow\W+much\W+(?:\w+\W+){0,2}?(?:compensation|damages)\W+(?:\w+\W+){0,3}?(?:would|could|"
    r"will|can|might|should|do|does|am|are|is)\b",
    r"\b(?:entitled|eligible)\W+(?:to|for)\W+(?:any\W+|some\W+)?(?:compensation|damages|a\W+payout|"
    r"legal\W+aid)\b",
    r"\b(?:would|could|will|can|might|should)\W+(?:\w+\W+){0,3}?(?:get|receive|claim|be\W+"
    r"(?:awarded|paid|given|owed))\W+(?:\w+\W+)?(?:compensation|damages|payout)\b",
    r"\b(?:can|could|should|would|will|may|might)\W+(?:\w+\W+){0,3}?(?:sue|take\W+(?:\w+\W+){0,3}?"
    r"to\W+court|take\W+legal\W+action|bring\W+(?:a\W+)?(?:claim|legal\W+action|proceedings|case))\b",
    r"\b(?:win|winning|won)\W+(?:a\W+|the\W+|our\W+|my\W+)?(?:case|claim)\b|\bpay\W?outs?\b",
    r"\bliab(?:le|ility)\b|\bin\W+breach\W+of\W+(?:\w+\W+)?(?:statutory\W+)?duty\b",
    r"\bis\W+there\W+(?:a\W+)?(?:\w+\W+)?case\W+(?:against|to\W+answer)\b",
    r"\b(?:should|do|does|would)\W+(?:\w+\W+){0,3}?(?:get|need|hire|instruct)\W+(?:a\W+)?"
    r"(?:solicitor|lawyer|barrister)\b",
    r"\blegally\W+(?:responsible|accountable|to\W+blame|at\W+fault)\W+(?:for\W+(?:\w+\W+){0,3}?"
    r"(?:deaths?|injur\w*|harm|abuse|what\W+happened|failures?|mistakes?)\b|\W*$)",
    # "will they be prosecuted", "could the school be charged", "is the mother going to be jailed"
    rf"\b(?:will|would|could|should|might|can|is|are|am)\W+{_SOMEONE}\W+(?:ever\W+|now\W+|"
    rf"still\W+)?{_PUNISHED}",
    rf"\b{_SOMEONE}\W+(?:will|would|could|should|might)\W+(?:ever\W+)?{_PUNISHED}",
))
_SUBORDINATE = re.compile(
    r"\b(?:if|whether|when|until|unless|while|whilst|before|after|once|though|although|because|"
    r"since|that)\W+(?:\w+\W+){0,3}?$"
)
_ABOUT_DOCUMENTS = re.compile(
    r"\b(?:did|does|do|has|have|what|how|where|whether|if|which)\W+(?:\w+\W+){0,4}?(?:reviews?|"
    r"reports?|guidance|briefings?|inquiry|inquiries|panels?|documents?|library|reviewers?|"
    r"authors?|framework|procedures|legislation|law|acts?|codes?|polic(?:y|ies)|protocols?|"
    r"working\W+together)\W+(?:\w+\W+){0,2}?(?:say|says|said|"
    r"find|finds|found|consider\w*|recommend\w*|conclu\w*|discuss\w*|mention\w*|describ\w*|"
    r"explain\w*|stat(?:e|es|ed|ing)|cover\w*|address\w*|not(?:e|es|ed|ing)|look\w*|examin\w*|"
    r"highlight\w*|comment\w*|suggest\w*|set\w*\W+out|criticis\w*|question\w*|explor\w*|raise\w*|"
    r"tell|tells|reflect\w*|identif\w*|ask\w*|decid\w*|determin\w*|apportion\w*|establish\w*|"
    r"assess\w*|judge\w*)\b|\baccording\W+to\b|\b(?:discuss\w*|mention\w*|consider\w*|cover\w*|"
    r"address\w*|raised|said)\W+(?:\w+\W+){0,2}?(?:in|by)\W+(?:\w+\W+){0,3}?(?:reviews?|reports?|"
    r"guidance|briefings?|documents?)\b"
)


def _legal_opinion(folded: str) -> bool:
    if _ABOUT_DOCUMENTS.search(folded):
        return False
    return any(not _SUBORDINATE.search(folded, max(0, m.start() - 80), m.start())
               for pattern in _OPINION for m in pattern.finditer(folded))


def _legal_text(guidance_titles: Sequence[str]) -> str:
    titles = list(dict.fromkeys(t.strip() for t in guidance_titles if t.strip()))[:MAX_TITLES]
    return f"{LEGAL_TEXT} {GUIDANCE_HINT}{'; '.join(titles)}." if titles else LEGAL_TEXT


def decline(text: str, guidance_titles: Sequence[str] = ()) -> Decline | None:
    """Why the question is declined before any search, or None when it is a normal question."""
    folded = fold(text, marks=True)
    if any(p.search(folded) for p in _IDENTITY):
        return Decline("identity", IDENTITY_TEXT)
    if any(p.search(folded) for p in _OWN_CASE) or _legal_opinion(folded):
        return Decline("legal-advice", _legal_text(guidance_titles))
    return None
