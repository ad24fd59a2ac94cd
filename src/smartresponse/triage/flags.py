"""Safety flags read from the call-taker's free-text notes.

The screening questions ask "weapon? violence? medical emergency?" and a call-taker often answers
them in the notes rather than in the form: "SUBJ W/ KNIFE", "NO WEAPONS SEEN", "unk if armed".
`detect_flags` reads a note and returns, per screening question, the words that raise it, so the
dispatcher sees why a call was taken away from the unarmed team.

Rules the reading follows:
- Negation clears a mention ("no weapons seen", "denies SI", "wpns neg", "w/o weapon").
- History clears a mention ("had a knife last week, none today", "hx of assault in 2021").
- Doubt never clears one: "poss gun", "unk weapons", "armed?", "not sure if he has a knife" raise
  the flag, because every program screens out "if there is any question" (Eugene CAHOOTS) and a
  missed weapon is the worst error this code can make.

Pure Python and regular expressions, compiled once: a note takes tens of microseconds.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

WEAPON = "weapon"
VIOLENCE = "violence"
MEDICAL = "medical_emergency"
SUICIDAL_PLAN = "suicidal_plan"
CHILDREN = "children_at_risk"
CRIME = "crime_in_progress"
TRAFFIC = "traffic"

# Same keys and wording as the protocol's screening questions.
FLAG_LABELS: dict[str, str] = {
    WEAPON: "Weapon seen or mentioned",
    VIOLENCE: "Violence or threats",
    MEDICAL: "Serious injury or medical emergency",
    CRIME: "Crime in progress",
    TRAFFIC: "In or near traffic",
    SUICIDAL_PLAN: "Suicidal with plan or means",
    CHILDREN: "Children at risk",
}
FLAG_KINDS: tuple[str, ...] = tuple(FLAG_LABELS)


@dataclass(frozen=True)
class Flag:
    kind: str
    text: str  # the note's own words that raised the flag: note[start:end]
    start: int
    end: int


# Notes are matched in an ASCII lower-case copy of the same length, so offsets need no mapping and
# no pattern pays for case-insensitive matching; patterns are lower-cased when compiled, so they are
# written as CAD writes them (GSW, DV). CAD codes glue words with underscores ("127D_Suicide
# Threat"): those read as spaces.
_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ_", "abcdefghijklmnopqrstuvwxyz ")


def _re(source: str) -> re.Pattern[str]:
    return re.compile(source.lower())


def _word_start(part: str) -> str:
    # A shared "(?=\w)\b" lets the engine skip every position inside a word at once.
    return r"(?=\w)\b(?:" + (part[2:] if part.startswith(r"\b") else part) + ")"


def _close(src: str, i: int) -> int:
    """Index of the parenthesis closing the group that opens at src[i]."""
    depth = 0
    while i < len(src):
        c = src[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            i = src.index("]", i + 2)
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ValueError(f"unbalanced pattern: {src!r}")


def _split(src: str) -> list[str]:
    """The top-level alternatives of a pattern."""
    out: list[str] = []
    depth, start, i = 0, 0, 0
    while i < len(src):
        c = src[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            i = src.index("]", i + 2)
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            out.append(src[start:i])
            start = i + 1
        i += 1
    out.append(src[start:])
    return out


_ANCHOR_LEN = 5
# What may follow a word's last letter in a pattern and guarantees the word ends there.
_WORD_ENDS = (r"\b", r"\s", r"\.", r"\-", r"\W", "/", "-", "'", "&", ",", ":", " ")


def _anchors(src: str) -> set[tuple[str, bool]] | None:
    """The words, or word beginnings of up to five characters, that start every match of src.

    Each comes as (text, whole): whole when the word must end there ("in" in "in the road"),
    else a beginning ("threa" in "threat..."). None when the pattern does not show them plainly:
    such a pattern is tried on every note.
    """
    i = 0
    while True:
        if src.startswith(r"\b", i):
            i += 2
        elif src.startswith(("(?<!", "(?<=", "(?=", "(?!"), i):
            i = _close(src, i) + 1
        else:
            break
    if src.startswith("(?:", i):
        j = _close(src, i)
        if j + 1 < len(src) and src[j + 1] in "?*{":
            return None
        found: set[tuple[str, bool]] = set()
        for alt in _split(src[i + 3 : j]):
            sub = _anchors(alt + src[j + 1 :])
            if sub is None:
                return None
            found |= sub
        return found
    run = ""
    while i < len(src) and src[i].isalnum():
        if i + 1 < len(src) and src[i + 1] in "?*{":
            return {(run[:_ANCHOR_LEN], False)} if run else None
        run += src[i]
        i += 1
    if not run:
        return None
    end = next((e for e in _WORD_ENDS if src.startswith(e, i)), None)
    if end is not None and src[i + len(end) : i + len(end) + 1] not in ("?", "*", "{"):
        return {(run, True)}
    return {(run[:_ANCHOR_LEN], False)}


_WHOLE_INDEX: dict[str, list[tuple[int, int]]] = {}  # whole word -> (trigger, part) to try
_ANCHOR_INDEX: dict[str, list[tuple[int, int]]] = {}  # word beginning -> (trigger, part) to try
_ALWAYS: dict[int, list[int]] = {}  # trigger -> parts tried on every note
_GATED = True  # the tests switch this off to check that skipping parts never changes a result


class _Triggers:
    """The patterns for one question, each tried only on notes holding a word it can start with.

    A note's words are looked up once (_Note.starts): a part whose first word is absent cannot
    match and is skipped, so a note costs tens of microseconds against hundreds of patterns.
    """

    def __init__(self, *parts: str) -> None:
        self.id = len(_ALWAYS)
        _ALWAYS[self.id] = []
        alternatives = [a for p in parts for a in _split(p.lower())]
        self.pattern = re.compile("|".join(_word_start(a) for a in alternatives))
        self.parts = [re.compile(_word_start(a)) for a in alternatives]
        for n, alt in enumerate(alternatives):
            anchors = _anchors(alt)
            if anchors is None:
                _ALWAYS[self.id].append(n)
            else:
                for word, whole in anchors:
                    index = _WHOLE_INDEX if whole else _ANCHOR_INDEX
                    index.setdefault(word, []).append((self.id, n))

    def finditer(self, note: _Note, pos: int = 0) -> list[re.Match[str]]:
        """Every match of any part, by where it starts; parts may overlap one another."""
        text = note.text
        if not _GATED:
            return list(self.pattern.finditer(text, pos))
        found: list[tuple[int, int, re.Match[str]]] = []
        for n in _ALWAYS[self.id]:
            found.extend((m.start(), n, m) for m in self.parts[n].finditer(text, pos))
        for at, n in note.starts(self.id):
            if at >= pos:
                m = self.parts[n].match(text, at)
                if m is not None:
                    found.append((at, n, m))
        if len(found) > 1:
            found.sort(key=_by_start)  # at one offset, the part written first wins
        return [m for _, _, m in found]


def _by_start(found: tuple[int, int, re.Match[str]]) -> tuple[int, int]:
    return found[0], found[1]


# --- words shared by several kinds -------------------------------------------------------------

_SELF = r"(?:him|her|them|my|your|one|it)?sel(?:f|ves)\b"
_NOUNS = (
    r"wife|husband|spouse|partner|gf|bf|girl\s?friend|boy\s?friend|ex|mom|mother|mommy|dad|father"
    r"|daddy|son|daughter|kids?|child(?:ren)?|bab(?:y|ies)|infant|toddler|brother|sister|sibling"
    r"|room\s?mate|neighbou?rs?|staff|clerk|cashier|customers?|patrons?|people|persons?|officers?"
    r"|cops?|police|guards?|security|nurses?|doctor|dr|driver|victim|vic|rp|caller|wom[ae]n|m[ae]n"
    r"|females?|males?|lady|guy|employees?|manager|residents?|strangers?|passers?-?by|pedestrians?"
    r"|grandma|grandmother|grandpa|grandfather|step\s?(?:dad|mom|father|mother)|in-?laws?"
    r"|teacher|students?|workers?|bouncer|landlord|tenant|family|friends?|pt|patient|client|crew"
    r"|others|everyone|everybody|someone|somebody|anyone|anybody"
)
# A person as the object of a verb: "hit him", "punched the clerk", "kicking nurses".
_PERSON = (
    r"(?:(?:him|her|them|me|us|you|u|rp|someone|somebody|anyone|anybody|everyone|everybody"
    r"|people|others)\b(?!sel)(?!\s+(?:head|face|arm|leg|knee|hand|back|foot|shoulder|elbow|chin"
    r"|nose|mouth|eye|own)\b)"
    r"|(?:(?:his|her|their|my|the|a|an|another|other|that|this|some|two|\d+|each)\s+)?"
    r"(?:[a-z']+\s+)?(?:" + _NOUNS + r")(?:'?s)?\b)"
)

# --- weapon ------------------------------------------------------------------------------------

_BLUNT = (
    r"bat|bar|stick|pipe|club|rock|brick|board|chain|bottle|glass|shovel|rod|pole|plank|2x4|fork"
    r"|screwdriver|crowbar|wrench"
)
_WEAPON = _Triggers(
    r"\b(?<!nail\s)(?<!glue\s)(?<!staple\s)(?<!heat\s)(?<!spray\s)"
    r"(?:handguns?|shotguns?|gunn?s?)\b",
    r"\bgun\s?shots?\b|\bgunfire\b|\bgunpoint\b|\bGSW\b",
    r"\b(?:pistol|pistal|pistle|revolver|rifles?|firearms?|fire\s+arms?|glock|ar-?15|ak-?47"
    r"|9\s?mm|ammo|ammunition|bullets?|holster|long\s+gun|sawed-?off)\b",
    r"(?<=\.)(?<![\w.]\.)(?:22|38|45|357)\b",
    r"\bshots?\s+(?:fired|heard|at|rang)\b|\bshooter\b",
    r"\bshooting\b(?!\s+up\s+(?:drugs|dope|heroin|meth|in\b))",
    r"\b(?:was|been|got|person|victim|being)\s+shot\b|\bshot\s+(?:at\b|" + _PERSON + r")",
    r"\b(?:fired|firing|discharg\w*)\s+(?:a\s+|the\s+|his\s+|her\s+|\d+\s+)?(?:gun|shots?|rounds?"
    r"|weapon|firearm|pistol|rifle|shotgun)",
    r"\b(?:will|gonna|going\s+to|threaten\w*\s+to|wants?\s+to|wanna|to)\s+shoot\b"
    r"(?!\s+(?:up\s+(?!the|a\b)|heroin|drugs|dope|meth|pool|hoops|photos?|video))",
    r"\bshoot\s+up\s+(?:the|a|his|her)\b",
    r"\b(?:knife|knives|knive|knif|nife|nives|kinfe|knfie|blades?|razor(?:\s+blades?)?"
    r"|box\s?-?cutters?|machetes?|swords?|dagger|switch\s?blade|shank|shiv|scissors|ice\s?pick"
    r"|hatchet|axe|sledge\s?hammer|hammer|crow\s?bar|pry\s?bar|tire\s?iron|baton|night\s?stick"
    r"|brass\s+knuckles|knuckle\s?dusters?|nunchucks?|tasers?|tazers?|stun\s+gun|pepper\s+spray"
    r"|bear\s+spray|mace|bombs?|explosives?|grenades?|molotov|weapons?|wpns?|weapn|weapns|wepons?"
    r"|wep)\b",
    r"\barmed\b(?!\s+(?:forces|services))",
    r"\b(?:is|hes|he's|she's|shes|was|be)\s+strapped\b(?!\s+(?:in|into|down|to))",
    r"\b(?:carrying|packing)\s+(?:a\s+)?(?:piece|heat|iron)\b",
    r"\bstab(?:s|bed|bing|bin)?\b|\b(?:slit|slash|cut)\w*\s+(?:\w+'?s?\s+){0,2}?throats?\b",
    r"\b(?:with|w/|holding|swinging|swung|swings|swing|waving|wielding|carrying|brandishing|grabbed"
    r"|grabbing|threw|throwing|throws"
    r"|has|had|have|picked\s+up|armed\s+with)\s*(?:a\s+|an\s+|the\s+|his\s+|her\s+|some\s+)?"
    r"(?:large\s+|big\s+|metal\s+|wooden\s+|wood\s+|iron\s+|steel\s+|long\s+|aluminum\s+"
    r"|broken\s+|glass\s+|baseball\s+|golf\s+)?(?:" + _BLUNT + r")s?\b(?!\s+of\b)",
    r"\b(?:baseball|metal|wooden|aluminum)\s+bats?\b|\b(?:golf|billy)\s+clubs?\b"
    r"|\bbroken\s+bottle\b|\b(?:metal|iron|steel|lead)\s+(?:bar|pipe|rod)s?\b"
    r"|\b(?:large|big|long|heavy)\s+(?:stick|pipe|rock|board|branch|rod)s?\b",
    r"\b(?:" + _BLUNT + r")s?\s+in\s+(?:his\s+|her\s+|their\s+|each\s+|both\s+)?hands?\b",
    r"\b(?:reaching|hands?|grabbing|clutching|digging)\s+(?:in|into|at|for|near)\s+"
    r"(?:his\s+|her\s+|the\s+)?waist\s?band\b",
)

# --- violence ----------------------------------------------------------------------------------

_VIOLENCE = _Triggers(
    r"\bviol[ae]n(?:t|ce|tly)\b",
    r"\b(?:assault\w*|assualt\w*|asault\w*|aslt|asslt)\b",
    r"\b(?:assault|aslt)\s+(?:and|&)\s+battery\b|\b(?:agg(?:ravated)?|domestic|simple)\s+battery\b"
    r"|\bbattery\s+on\b",
    r"\b(?:combative|belligerent|hostile|aggress\w*|agress\w*)\b",
    r"(?<!dog\s)\b(?:fight\w*|fought|brawl\w*|scuffl\w*|altercation|wrestl\w*)\b",
    r"\bphysical\b(?!\s+(?:therapy|therapist|health|disab\w*|exam|condition|illness|pain|evid\w*"
    r"|arrest))",
    r"\b(?:punch\w*|slap\w*|headbutt\w*|head\s?butt\w*|strangl\w*|throttl\w*|beaten)\b",
    r"\bshov(?:e|ed|es|ing)\b",
    r"\bbeat\s+up\b|\bbeat(?:s|ing)?\s+(?:up\s+)?" + _PERSON + r"|\bbeating\b(?!\s+heart)"
    r"|\bbeat\s+the\s+\w+\s+out\s+of\b",
    r"\b(?:hit|hits|hitting|kick|kicks|kicked|kicking|smack\w*|grab|grabs|grabbed|grabbing"
    r"|bit|bite|bites|biting|bitten|chok(?:e|es|ed|ing)|push(?:ed|es|ing)?|chas(?:e|es|ed|ing)"
    r"|attack\w*|jump(?:ed|ing)|tackl\w*|stomp\w*|str(?:ike|ikes|uck|iking)|slam(?:s|med|ming)?"
    r"|elbow(?:s|ed|ing)?|shak(?:e|es|ing)|hurt(?:s|ing)?|harm(?:s|ed|ing)?)\s+" + _PERSON,
    r"\b(?:being|was|been|got|getting|is)\s+(?:\w+\s+(?:at\s+)?(?:and|&)\s+)?(?:hit|punched|kicked"
    r"|beaten|beat|attacked|assaulted|choked|slapped|pushed|shoved|struck|stabbed|bitten|bit"
    r"|grabbed|strangled|jumped|abused"
    r"|threatened)\b(?!\s+(?:out|off|by\s+(?:a\s+)?(?:car|vehicle|veh|truck|bus|train|bike))\b)",
    r"\btook\s+a\s+swing\b|\bgunfire\b|\bgun\s?shots?\b|\bshot\s+" + _PERSON,
    r"\b(?:fired|firing|discharg\w*)\s+(?:a\s+|the\s+|his\s+|her\s+|\d+\s+)?(?:gun|shots?|rounds?"
    r"|weapon|firearm|pistol|rifle|shotgun)",
    r"\bbeing\s+pushed\b|\bpush(?:ed|ing)?\s+(?:\w+\s+)?around\b|\bbiting\b",
    r"\bsounds?\s+of\s+(?:hitting|fighting|a\s+fight|a\s+struggle|struggle|slapping|punching)",
    r"\bsp(?:it|at|its|itting)\s+(?:at|on)\b",
    r"\b(?:swing(?:s|ing)?|swung|swang|lung(?:ed|ing)|charg(?:ed|ing))\s+(?:\w+\s+){0,3}?at\b",
    r"\b(?:threw|throw(?:s|ing)?|thrown|tossed|hurl\w*)\s+(?:\w+\s+){0,3}?at\s+"
    r"(?!the\s+(?:wall|floor|ground))",
    r"(?<!heart\s)(?<!panic\s)(?<!anxiety\s)(?<!asthma\s)(?<!heart-)(?<!animal\s)(?<!dog\s)"
    r"\battack(?:s|ed|ing|er)?\b(?!\s+by\s+(?:a\s+)?(?:\w+\s+)?dogs?\b)",
    r"(?<!suicide\s)(?<!suicidal\s)\bthr(?:ea|e)t(?:en(?:ed|ing|s)?|ening|ning|ing|ed|s)?\b"
    r"(?!\s+(?:to\s+)?(?:(?:kill|hurt|harm|cut|shoot|stab|hang|off)\s+" + _SELF + r"|suicide\b"
    r"|jump\b|end\s+(?:his|her|their|my)\s+(?:own\s+)?life|overdose|od\b))",
    r"\b(?:kill|murder|hurt|harm|stab|shoot|beat|fight|strangle|choke|rape)\s+"
    r"(?:the\s+next\s+person|" + _PERSON + r")",
    r"\b(?:kill|hurt|harm|shoot|stab)\s+" + _SELF + r"\s+(?:and|or|&)\s+(?:anyone|anybody|everyone"
    r"|others|other\s+people|whoever|the\s+\w+|" + _PERSON + r")",
    r"\bhomicid\w*|(?<=/)hi\b|\bHI\s+(?=toward|towards|against)|\b(?:endorses?|\+|pos(?:itive)?"
    r"\s+for|reports?)\s*hi\b",
    r"\b(?:robbery|robberies|robbed|robbing|carjack\w*|mugg(?:ed|ing)|strong\s?-?arm\w*)\b",
    r"\bDV\b(?!\s*[-,:]?\s*(?:no\s+(?:aslt|assault|physical|violence)|verbal|hx|history))",
    r"\bdanger(?:ous)?\s+to\s+(?:self\s+(?:or|and|&)\s+)?(?:others|anyone|other\s+people|people"
    r"|the\s+public|staff)\b",
    r"\bsuicide\s+by\s+cop\b",
    r"\bbrandish\w*|\b(?:wav(?:e|es|ed|ing)|swing(?:s|ing)?|swung)\s+"
    r"(?:a\s+|an\s+|the\s+|his\s+|her\s+)?(?:\w+\s+)?(?:gun|knife|pistol|machete|weapon|bat|bar"
    r"|pipe|rifle|blade|hammer|axe|sword|stick|club"
    r"|chain|shovel|bottle)s?\b",
    r"\b(?:held|holding|hold|put|puts|pointed|pointing|point)\s+(?:a\s+|the\s+|his\s+|her\s+)?"
    r"(?:gun|knife|pistol|blade|weapon|machete|rifle)\s+(?:to|at)\b"
    r"(?!\s+(?:his|her|their|my)\s+own)",
    r"\b(?:slit|slash|cut)\w*\s+(?:\w+'?s?\s+){0,2}?throats?\b",
    r"\bpulled\s+(?:out\s+)?(?:a\s+|an\s+|his\s+|her\s+)?(?:gun|knife|pistol|weapon|blade"
    r"|box\s?-?cutter|machete|razor)",
    r"\bstab(?:s|bed|bing|bin)?\b|\bshots?\s+(?:fired|heard|at)\b|\bshooting\b(?!\s+up\s+(?:drugs"
    r"|dope|heroin|meth|in\b))|\bshooter\b|\bGSW\b|\bgun\s?shot|\bgunpoint\b|\bbombs?\b",
    r"\bpull(?:ed|ing)\s+(?:(?:her|his|each\s+others?'?)\s+)?hair\b",
    r"\bgetting\s+in\s+(?:\w+'?s?\s+)faces?\b",
)
# Misspelt weapon words ("machette", "knfe", "pistoll"): one edit away from these. Only words of
# five letters or more, so "gum" never reads as "gun"; real words one edit away are listed apart.
_FUZZY_WEAPONS = (
    "knife", "knives", "pistol", "rifle", "machete", "weapon", "weapons", "firearm", "firearms",
    "handgun", "shotgun", "hatchet", "hammer", "revolver", "switchblade",
)  # fmt: skip
_NOT_WEAPONS = frozenset(
    {"rifled", "trifle", "piston", "pistil", "hatched", "hammed", "revolved", "knaves"}
)


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


_FUZZY_INDEX: dict[str, str] = {}
for _w in _FUZZY_WEAPONS:
    _FUZZY_INDEX.setdefault(_w, _w)
    for _d in _deletes(_w):
        _FUZZY_INDEX.setdefault(_d, _w)
_TOKEN = _re(r"\b[a-z]{4,12}\b")


def _one_edit(a: str, b: str) -> bool:
    """Damerau-Levenshtein distance of at most one."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


_NEAR_CACHE: dict[str, bool] = {}


def _near_weapon(token: str) -> bool:
    known = _NEAR_CACHE.get(token)
    if known is None:
        if len(_NEAR_CACHE) > 100_000:
            _NEAR_CACHE.clear()
        known = _NEAR_CACHE[token] = _edit_weapon(token)
    return known


def _edit_weapon(token: str) -> bool:
    if token in _NOT_WEAPONS:
        return False
    word = _FUZZY_INDEX.get(token)
    if word is None:
        for d in _deletes(token):
            word = _FUZZY_INDEX.get(d)
            if word is not None and _one_edit(token, word):
                return True
        return False
    return _one_edit(token, word)


# An armed person shouting at others is a threat even without a threatening word.
_MENACE = _Triggers(r"\b(?:yell|scream|shout|curs|swear)\w*\s+at\s+" + _PERSON)

# --- medical -----------------------------------------------------------------------------------

_MEDICAL = _Triggers(
    r"\b(?:not|isn'?t|stopped|barely|no\s+longer)\s+breathing\b",
    r"\b(?:trouble|difficulty|difficult|hard\s+time|problems?|labou?red)\s+breathing\b",
    r"\b(?:can'?t|cannot|unable\s+to)\s+breathe?\b|\bshort(?:ness)?\s+of\s+breath\b|\bc/o\s+sob\b",
    r"\brespiratory\s+(?:distress|arrest)\b|\bresp\s+distress\b"
    r"|\bnot\s+breathing\s+(?:well|right)\b",
    r"\bsob\b|\bgasping\b|\bagonal\b|\bturning\s+blue\b|\bblue\s+lips\b"
    r"|\blips\s+(?:are\s+|turning\s+)?blue\b|\bcyanotic\b",
    r"(?:unk|unknown|not\s+sure|unsure)\s+if\s+(?:\w+\s+){0,2}(?:breathing|conscious)\b",
    r"\bun-?\s?con[sc]{0,2}i?[ou]{1,2}s(?:ness)?\b|\bsemi-?\s?conscious\b",
    r"\b(?:aloc|loc)\b(?!\s*(?:[:=#]|\d))|\bloss\s+of\s+consciousness\b",
    r"\bunresp\w*|\bnon-?\s?responsive\b(?!\s+to\s+questions)"
    r"|\bnot\s+respon(?:ding|sive)\b(?!\s+to\s+questions)|\bunarousable\b"
    r"|\b(?:won'?t|wont|will\s+not|isn'?t|doesn'?t|does\s+not)\s+respond(?:ing)?\b"
    r"(?!\s+to\s+(?:questions|staff|texts?|calls?|phone|messages|the\s+door|knocks?))",
    r"\b(?:won'?t|wont|will\s+not|can'?t|cant|cannot|unable\s+to|not|hard\s+to|difficult\s+to"
    r"|could\s+not|couldn'?t)\s+(?:wake|waking|arouse|rouse)\b|\bcan'?t\s+stay\s+awake\b",
    r"\bpassed\s+out\b|\bcollaps(?:e|ed|es|ing)\b|\bfainted\b|\bsyncop\w*",
    r"\bO\.?D(?:'?d|'?ing|s|ed)?\b(?<!\bodd)|\bo/d\b|\boverdos\w*|\bover\s+dos\w*|\bnarcan\b"
    r"|\bnaloxone\b",
    r"\btook\s+(?:too\s+many|(?:a|the|an\s+entire|a\s+whole)\s+(?:whole\s+)?bottle|(?:a\s+)?handful"
    r"|all\s+(?:of\s+)?(?:his|her|their|my|the)|\d{2,}\s+(?:pills|tabs|tablets)|something)\b",
    r"\btook\s+(?:a\s+bunch\s+of|a\s+lot\s+of|lots\s+of|too\s+much|many|several|an?\s+(?:unknown"
    r"|unk)\s+(?:amount|number)\s+of|unk\s+amount\s+of|\d{2,})\s+(?!(?:min|minutes|mins|hours?|hrs?"
    r"|days?|seconds?|secs?|years?|dollars|bucks|people)\b)\w+"
    r"|\b(?:injected|snorted|smoked|shot\s+up|used)\s+(?:something|an?\s+unknown|unk)\b"
    r"|\b(?:unk|unknown|unsure|not\s+sure)\s+(?:if|whether|what|how\s+(?:many|much))\s+"
    r"(?:\w+\s+){0,2}(?:took|ingested|swallowed|used|injected)\b",
    r"\bsuicide\s+attempt|\battempted\s+suicide\b|\b(?:tried|attempted)\s+to\s+(?:kill\s+"
    r"(?:him|her|them)sel(?:f|ves)|overdose|od)\b",
    r"\b(?:hit|struck|banged|bumped|hitting)\s+(?:his\s+|her\s+|their\s+)?head\b"
    r"|\bblood\s+(?:on|from|coming\s+from)\s+(?:his|her|their|the)\s+(?:face|head|mouth|nose"
    r"|ears?|neck|chest)\b",
    r"\b(?:ingest|swallow)(?:ed|ing)\b|\bdrank\s+(?:\w+\s+){0,2}(?:bleach|antifreeze|poison|cleaner)",
    r"(?<!asset\s)\bseiz(?:ure|ures|ing)\b|\bsz\b|\bconvuls\w*|\bpost-?ictal\b",
    r"\bchest\s+(?:pains?|tightness|pressure)\b|\bc/o\s+cp\b|\bcardiac\b|\bheart\s+attack\b|\bcpr\b",
    r"\bstroke\b|\bface\s+droop\w*|\banaphyla\w*|\ballergic\s+reaction\b"
    r"|\bthroat\s+(?:swelling|closing)\b",
    r"(?<!minor\s)(?<!slight\s)(?<!little\s)\bbleed(?:ing|s)?\b|\bvomiting\s+blood\b"
    r"|\bcoughing\s+(?:up\s+)?blood\b|\b(?:lots\s+of|a\s+lot\s+of|losing|pool\s+of)\s+blood\b"
    r"|\bblood\s+everywhere\b",
    r"\bhead\s+(?:injury|trauma|wound)\b|(?<!minor\s)(?<!animal\s)\binjur(?:y|ies|ed)\b"
    r"(?!\s+(?:animal|dog|cat|deer|bird|wildlife)s?\b)|\blacerat\w*"
    r"|\bfractur\w*|\bbroken\s+(?:leg|arm|bone|neck|back|hip|ribs?)\b|\btrapped\b",
    r"\b(?:ped|pedestrian|person|male|female|subj)\s+(?:was\s+)?struck\b"
    r"|\b(?:struck|hit)\s+by\s+(?:a\s+)?(?:car|vehicle|veh|truck|bus|train)\b|\brun\s+over\b",
    r"\bGSW\b|\bgun\s?shot\s+wound|\bstab\s*wounds?\b|\bstabbed\b"
    r"|\bstabbing\b(?!\s+(?:at|him|her))"
    r"|\b(?:was|been|got|person|victim)\s+shot\b|\bpent(?:rating)?\s+wound",
    r"\bfoaming\s+at\s+(?:the\s+)?mouth\b|\bhypotherm\w*|\bfrost\s?bite\b|\bheat\s?stroke\b"
    r"|\bheat\s+exhaustion\b|\bdiabetic\s+(?:emergency|shock|coma)\b|\blow\s+blood\s+sugar\b"
    r"|\bhypoglyc\w*|\b(?:blood\s+sugar|sugar)\s+(?:is\s+|of\s+|at\s+|level\s+)?"
    r"(?:[1-5]?\d|[4-9]\d\d)\b",
    r"\bfell\s+(?:from|off)\s+(?:a\s+|the\s+)?(?:\w+\s+){0,2}?(?:roof|balcony|ladder|floor|story"
    r"|storey|bridge|height|window)\b|\b(?:can'?t|cannot|unable\s+to)\s+(?:move|feel)\s+"
    r"(?:his\s+|her\s+)?(?:legs?|arms?)\b|\bparalyz\w*",
    r"\bin\s+labou?r\b|\bcontractions\b|\bwater\s+broke\b|\bsevere\s+(?:\w+\s+)?pain\b",
    r"\b(?:tried|attempted)\s+to\s+hang\b|\bhung\s+(?:him|her)self\b"
    r"|\bcut\s+(?:him|her|them)\s+down\b"
    r"|\b(?:cut|slit|slashed)\s+(?:(?:his|her|their|my|both)\s+)?wrists?\b",
    r"\bengine\s+running\s+in\s+(?:a\s+|the\s+)?(?:closed\s+)?garage\b|\bcarbon\s+monoxide\b",
    r"\bchok(?:ing|ed)\b(?!\s+" + _PERSON + r")",
)

# --- suicidal with plan or means ---------------------------------------------------------------

# Enough on its own: an attempt, a method stated, or the person in a place to carry it out.
_SUICIDE_ACT = _Triggers(
    r"\b(?:jump|jumping|jumped)\s+(?:off|from|in\s+front\s+of)\b",
    r"\b(?:wants?|wanted|going|threaten\w*|gonna|will|about|plans?|planning|afraid\s+(?:he|she|they)"
    r"\s+(?:will|might))\s+(?:to\s+)?jump\b",
    r"\bhang(?:ing|ed|s)?\s+(?:him|her|them|my)sel(?:f|ves)\b|\bhung\s+(?:him|her)self\b"
    r"|\btried\s+to\s+hang\b|\bnoose\b",
    r"\b(?:cut|cutting|slit\w*|slash\w*)\s+(?:(?:his|her|their|my|both)\s+)?wrists?\b",
    r"\bsuicide\s+attempt|\battempted\s+suicide\b|\b(?:tried|attempted|attempting|trying)\s+to\s+"
    r"(?:kill|hang|shoot|cut|drown|od|overdose)\b",
    r"\bsuicide\s+by\s+cop\b",
    r"\b(?:on|at)\s+(?:the\s+)?(?:edge|ledge|railing|rail)\s+of\s+(?:the\s+|a\s+)?(?:[\w-]+\s+){0,2}?"
    r"(?:roof|bridge"
    r"|building|garage|parking|balcony|overpass)\b|\b(?:on|over)\s+(?:the\s+)?(?:bridge|balcony)"
    r"\s+railing\b|\bon\s+(?:the\s+)?ledge\b",
    r"\b(?:going\s+to|gonna|wants?\s+to|will|threaten\w*\s+to|plans?\s+to|planning\s+to)\s+(?:walk"
    r"|run|step|jump|drive|crash|steer|throw\s+(?:him|her)self)\s+(?:\w+\s+)?(?:into|in\s+front\s+of"
    r"|off)\b",
    r"\b(?:going\s+to|gonna|wants?\s+to|will|threaten\w*\s+to|plans?\s+to|planning\s+to)\s+"
    r"(?:(?:drink|swallow|eat|take)\s+(?:\w+\s+){0,3}?(?:bleach|antifreeze|poison|pills|meds"
    r"|medications?|insulin|all)\b|overdose\b|od\b)",
    r"\b(?:collecting|stockpiling|hoarding|saving\s+up)\s+(?:\w+\s+)?(?:pills|meds|medications?)\b"
    r"|\bwrote\s+(?:a\s+)?(?:suicide\s+|goodbye\s+)?note\b|\bsuicide\s+note\b",
    r"\b(?:use|turn|point|put)\s+(?:(?:a|the|his|her|my)\s+)?(?:\w+\s+)?on\s+(?:him|her|my|them)"
    r"sel(?:f|ves)\b",
    r"\btook\s+(?:\d{2,}\s+(?!(?:min|minutes|mins|hours?|hrs?|days?|seconds?|secs?|years?|dollars"
    r"|bucks|people)\b)\w+|(?:a|the|an\s+entire|a\s+whole)\s+(?:whole\s+)?bottle|a\s+handful)\b",
)
# Suicidal talk ...
_SUICIDE_WORD = _Triggers(r"\bS\.?I\b|\bsuicid\w*|\bsucid\w*|\bsuicdal\b|\bsuicidle\b")
# Self-harm talk counts as suicidal talk unless the note says suicide is denied.
_SELF_HARM = _Triggers(
    r"\b(?:hurt|harm|cut)(?:s|ing|ed)?\s+(?:him|her|them|my|your|one)?sel(?:f|ves)\b|\bself[-\s]?harm\w*"
)
_SUICIDE_TALK = _Triggers(
    r"\bS\.?I\b|\bsuicid\w*|\bsucid\w*|\bsuicdal\b|\bsuicidle\b",
    r"\b(?:kill|hurt|harm|shoot|hang|cut|off|end)(?:s|ing|ed)?\s+(?:him|her|them|my|your|one)?"
    r"sel(?:f|ves)\b",
    r"\b(?:going\s+to|gonna|will|plans?\s+to|wants?\s+to)\s+take\s+(?:them|all|it\s+all)\b",
    r"\bend\s+(?:his|her|their|my)\s+(?:own\s+)?life\b|\bend\s+it(?:\s+all)?\b"
    r"|\btake\s+(?:his|her|their|my)\s+(?:own\s+)?life\b|\b(?:wants?|wanting|wanted)\s+to\s+die\b"
    r"|\bgoodbye\b|\bself[-\s]?harm\w*",
    r"\bdone\s+with\s+(?:life|living|it\s+all)\b|\b(?:don'?t|doesn'?t|does\s+not)\s+want\s+to"
    r"\s+(?:live|be\s+alive)\b|\bbetter\s+off\s+dead\b|\bno\s+reason\s+to\s+live\b"
    r"|\btired\s+of\s+living\b",
)
# ... becomes a plan with a plan or a means named anywhere in the note.
_SUICIDE_MEANS = _Triggers(
    r"\bplan(?:s|ned|ning)?\b|\bpills?\b|\bmeds\b|\bmedications?\b|\btablets\b|\brope\b|\bnoose\b",
    r"\bbridge\b|\boverpass\b|\broof\b|\bledge\b|\brailing\b|\bbalcony\b|\btracks\b|\btrain\b"
    r"|\btraffic\b|\bjump\w*|\bhang\w*|\bbleach\b|\bantifreeze\b|\bgarage\b|\boverdos\w*|\bOD\b",
    r"\brazor\w*|\bknife|\bknives\b|\bknif\b|\bnife\b|\bblades?\b|\bguns?\b|\bgunn\b|\bfirearms?\b"
    r"|\bpistol\b|\brifle\b|\bshotgun\b|\bweapons?\b|\bwpns?\b|\bwrists?\b",
)

# --- children and vulnerable adults ------------------------------------------------------------

_CHILD = _Triggers(
    r"\b(?:child(?:ren)?|kids?|kiddos?|bab(?:y|ies)|infants?|newborns?|toddlers?|juveniles?|juvs?"
    r"|teens?|teenagers?|grand\s?(?:kids?|children)|daycare|day\s+care|school)\b",
    r"\bminors\b|\b(?:a|the)\s+minor\b(?!\s+(?:accident|injur\w*|cut|issue|problem|disturbance))",
    r"\b(?:little|young|small|baby)\s+(?:boys?|girls?|ones?|child|son|daughter)\b",
)
_AGE = _re(r"\b(\d{1,3})\s*(?:yo|y/o|yoa|yrs?\s*old|years?\s*old|years?-old|yr-old)\b")
_ELDER = _Triggers(
    r"\b(?:elderly|elder|senior\s+citizen|grand(?:ma|mother|pa|father)s?|dementia|alzheimer\w*"
    r"|vulnerable\s+(?:adult|person)|disabled\s+(?:adult|person)|dependent\s+adult)\b",
)
_CHILD_RISK = _Triggers(
    r"\balone\b|\bunattended\b|\bleft\s+(?:in|at|behind|with|on|home)\b|\baband\w*|\bneglect\w*"
    r"|\babus\w*|\bno\s+(?:adult|parent|supervision|caregiver)s?\b|\brun\s?-?aways?\b|\bmissing\b"
    r"|\bhot\s+car\b|\b(?:haven'?t|hasn'?t|not)\s+(?:eaten|been\s+fed|fed)\b|\bnot\s+feeding\b"
    r"|\bmolest\w*|\bexploit\w*|\brailing\b|\bbalcony\b|\bcrying\s+for\s+hours\b"
    r"|\bno\s+one\s+(?:is\s+)?(?:answering|home|responding)\b|\bno\s+answer\b",
    r"\bduring\s+(?:the\s+|a\s+)?(?:fight|disturbance|dv|argument|altercation|assault)\b",
    r"\bintox\w*|\bdrunk\b|\bpassed\s+out\b|\bhigh\s+on\b|\bon\s+meth\b|\busing\s+(?:drugs|meth"
    r"|heroin)\b|\bpsychotic\b|\bpsychosis\b|\bin\s+danger\b|\bat\s+risk\b|\bunsafe\b|\bCPS\b",
)
_ELDER_RISK = _Triggers(
    r"\babus\w*|\bneglect\w*|\bexploit\w*|\bleft\s+alone\b|\balone\s+in\b|\bnot\s+feeding\b"
    r"|\bno\s+food\b|\bin\s+danger\b|\bat\s+risk\b",
)
_CHILD_PLACE = _re(r"\b(?:school|daycare|day\s+care)\b")
_CHILD_SAFE = _re(
    r"[^.;!?]{0,30}?\b(?:safe|not\s+present|not\s+home|not\s+in\s+the\s+home)\b"
    r"|\s+(?:are|is)\s+(?:with|at)\s+(?:their|his|her|the)\s+(?:father|mother|dad|mom|grand\w+|aunt"
    r"|uncle|family|school|daycare)\b",
)

# --- crime in progress -------------------------------------------------------------------------

_CRIME = _Triggers(
    r"\bin\s+prog(?:ress)?\b|\bI/?P\b",
    r"\bbreaking\s+in(?:to)?\b|\b(?:trying|attempting)\s+to\s+(?:break|get)\s+in(?:to)?\b",
    r"\bkick(?:ing|s)?\s+(?:in|down)\s+(?:the\s+|a\s+)?(?:\w+\s+)?(?:door|window)s?\b"
    r"|\bkicking\s+(?:the\s+)?door\b",
    r"\bpr(?:y|ying)\s+(?:open|off|at)\b|\bprying\b",
    r"\btrying\s+(?:to\s+(?:open|force|jimmy|pry)\s+)?(?:car\s+)?(?:doors?|door\s+handles|handles"
    r"|windows)\b|\b(?:checking|pulling\s+on)"
    r"\s+(?:car\s+)?door\s+handles\b|\bcar\s+to\s+car\b",
    r"\bstealing\b|\b(?:trying|attempting)\s+to\s+steal\b|\bshoplifting\b"
    r"|\bshoplifter\s+(?:in|inside|still)\b",
    r"\b(?:smashing|breaking|damaging|keying|vandaliz\w*|slashing|hitting|bashing)\s+"
    r"(?:\w+\s+){0,2}?(?:cars?|vehicles?|windows?|windshields?|tires?|doors?|property|mailbox\w*"
    r"|glass)\b",
    r"\bspray[-\s]?painting\b|\btagging\b",
    r"\bcutting\s+(?:a\s+|the\s+)?(?:bike\s+)?lock\b|\bcatalytic\b",
    r"\b(?:selling|dealing)\s+(?:drugs|dope|meth|crack|heroin|fentanyl)\b|\bdrug\s+deal(?:ing|s)?\b",
    r"\bhears?\s+(?:someone|somebody|people|noises?|footsteps)\s+(?:in|inside|downstairs|upstairs)\b",
    r"\b(?:burg\w*|robbery|theft|break-?in)\s+(?:is\s+)?(?:occurring|happening)\b",
    r"\binside\s+(?:a\s+|the\s+)?(?:closed|locked|vacant)\s+\w+|\bsusp(?:ect)?s?\s+still\s+inside\b",
    r"\bload(?:s|ing)?\s+stolen\b|\brobbing\b|\bburglariz\w*|\blooting\b",
    r"\b(?:walking|running|leaving|going)\s+out\s+without\s+paying\b|\b(?:concealing|stuffing)\s+"
    r"(?:\w+\s+)?(?:items|merchandise)\b|\bintruders?\b",
    r"\b(?:someone|somebody|stranger|unknown\s+(?:male|female|person|subj))\s+(?:is\s+)?(?:in|inside)"
    r"\s+(?:her|his|my|their|the|rp'?s)\s+(?:garage|house|home|basement|shed|apt|apartment|car"
    r"|vehicle|backyard|yard)\b",
    r"\b(?:in\s+prog(?:ress)?|occurring|happening)\s+(?:right\s+)?now\b",
    r"\bdriving\s+(?:drunk|intox\w*|impaired|high|under\s+the\s+influence)\b|\b(?:drunk|intox\w*"
    r"|impaired)\s+(?:and\s+)?driv(?:ing|er)\b|\bDUI\b",
    r"\bsiphon\w*|\b(?:stripping|taking|removing|loading|going\s+through|rummaging\s+through)\s+"
    r"(?:\w+\s+){0,2}?(?:cars?|vehicles?|copper|wire|metal|scrap|tools?|bikes?|bicycles?|packages?"
    r"|mail|gas|catalytic|parts|merchandise|items)\b[^.;]{0,40}?\b(?:now|still\s+(?:there|here|on\s+scene"
    r"|inside)|currently|in\s+progress)\b",
)
_CRIME_WORD = _re(
    r"\b(?:burg\w*|robb\w*|theft|steal\w*|assault\w*|aslt|fight\w*|dv|disturbance|break-?ins?"
    r"|prowl\w*|shoplift\w*|vandal\w*|drug|dealing|trespass\w*|larceny|crime|carjack\w*|kidnap\w*"
    r"|b\s?&\s?e|battery|stabbing|shooting|home\s+invasion)\b[^.;]{0,20}$",
)

# --- traffic -----------------------------------------------------------------------------------

_ROADS = (
    r"freeway|fwy|highway|hwy|interstate|i-?\s?\d+|route\s+\d+|rte\s+\d+|us-?\s?\d+|on-?ramp"
    r"|off-?ramp|median|shoulder|train\s+tracks|railroad(?:\s+tracks)?|rail\s?road|(?:light\s+)?rail"
    r"\s+tracks|tracks|overpass|bridge\s+over"
)
_TRAFFIC = _Triggers(
    r"\bin\s+(?:the\s+)?(?:middle\s+of\s+(?:the\s+)?)?(?:road(?:way)?s?|street|lanes?|traffic"
    r"(?:\s+lanes?)?|intersection|crosswalk|bike\s+lane|hwy|highway|freeway|interstate|fwy|median"
    r"|on-?ramp|off-?ramp|travel\s+lanes?|right\s+lane|left\s+lane)\b",
    r"\b(?:on|onto|along|near)\s+(?:the\s+)?(?:(?:center|centre)\s+)?(?:" + _ROADS + r")\b",
    r"\bshoulder\s+of\s+(?:the\s+)?(?:hwy|highway|route|rte|i-?\s?\d+|freeway|interstate|road)\b",
    r"\b(?:down|along)\s+the\s+middle\s+of\b",
    r"\b(?:into|in\s+front\s+of)\s+(?:oncoming\s+(?:traffic|cars|vehicles)|traffic|the\s+road"
    r"|the\s+street|the\s+roadway)\b",
    r"\b(?:step|walk|run|stumbl|dart|wander|jump|lung|ran|fell|weav)\w*\s+(?:off\s+(?:the\s+)?\w+\s+)?"
    r"(?:into|in\s+front\s+of)\s+(?:the\s+)?(?:cars|vehicles)\b",
    r"\bin\s+and\s+out\s+of\s+traffic\b|\bbetween\s+(?:the\s+)?(?:cars|vehicles|traffic)\b",
    r"\bblock(?:ing|s|ed)?\s+(?:the\s+)?(?:road(?:way)?|traffic|lanes?|street|intersection)\b"
    r"|\b(?:freeway|street|road|roadway|lane)\s+blockage\b",
    r"\b(?:ped|pedestrian|person|subj)s?\s+(?:in|on)\s+(?:the\s+)?(?:lanes?|road(?:way)?|freeway"
    r"|hwy|highway)\b",
    r"\bdirecting\s+traffic\b",
    r"\b(?:in|on|down|along|walking)\s+(?:the\s+)?(?:center\s?line|yellow\s+line|(?:left|right|center"
    r"|middle)\s+(?:turn\s+)?lane|turn\s+lane)\b",
    r"\b(?:edge|side|railing)\s+of\s+(?:the\s+)?(?:overpass|freeway|highway|hwy|interstate)\b"
    r"|\blanes?\s+of\s+traffic\b|\b(?:across|blocking)\s+(?:both|all|the|two|\d)\s+lanes\b",
    r"\bin\s+the\s+middle\s+of\s+(?:[\w-]+\s+){0,2}?(?:ave|avenue|st|street|blvd|boulevard|rd|road"
    r"|roadway|dr|hwy|highway|pkwy|parkway|intersection|traffic|lanes?)\b",
    r"\b(?:running|walking|crossing|darting|ran|walked|dashing|dodging)\s+(?:across|through)\s+"
    r"(?:the\s+)?(?:i-?\s?\d+|hwy|highway|freeway|interstate|traffic|lanes)\b",
    r"\btraffic\s+acc\b|\b(?:car|vehicle|auto|traffic|bike|bicycle|motorcycle)\s+crash\b"
    r"|(?:^|(?<=[-|/:])|(?<=[-|/:]\s))crash\b(?!\s+(?:car|into|his|her|my|the\s+car))"
    r"|\bblo?ck(?:ing)?\s?tra?f(?:fic)?\b",
    r"\b(?:MVC|MVA)\b|\b(?:major|minor|traffic|vehicle|car|auto|injury)\s+(?:accident|collision)\b"
    r"|\b(?:ped|pedestrian)\s+(?:struck|hit)\b|\b(?:struck|hit)\s+by\s+(?:a\s+)?(?:car|vehicle|veh"
    r"|truck|bus|train)\b|\bhit\s+and\s+run\b",
)

# --- how a mention is read: negation, history, doubt -------------------------------------------

# Clause ends: a negation or a history never reaches past these.
_HARD_BREAK = _re(
    r"[.;!?\n\r|]|\s[/\\]\s|\s-{1,2}\s|--|\b(?:but|however|though|although|except|yet|whereas)\b",
)
_NEG_CUE = _re(
    r"\b(?:no|not|non|never|neither|neg|negative|denie[sd]|deny(?:ing)?|without|nor|none|nothing"
    r"|nobody|free\s+of|no\s+longer|doesn'?t|does\s+not|don'?t|didn'?t|isn'?t|wasn'?t|hasn'?t|haven'?t"
    r"|hadn'?t|aren'?t|weren'?t|won'?t|cannot|can'?t|couldn'?t|unable\s+to\s+(?:see|find|locate))\b"
    r"|\bw/o\b|\bwo/",
)
_NEG_CUE_TRAFFIC = _re(r"\bout\s+of\b")
# Between a negation and the word: these turn "not ... gun" into doubt ("not sure if he has a gun").
_DOUBT_GAP = _re(
    r"\b(?:sure|know|knows|certain|clear|tell|rule|confirm\w*|if|whether|believe\w*|think\w*"
    r"|able)\b",
)
_WITH_OR = _re(r"with\s+or\s*$")
# A negation does not carry over these ("no weapons and he is threatening people").
_SOFT_BREAK = _re(
    r"\b(?:and|who|which|when|while|because|since|then|now|until|unless|after|before|today"
    r"|tonight|currently)\b",
)
_LIST_OR = _re(r"\b(?:or|nor)\b")
_OR_NEXT = _re(r"\s*,?\s*(?:or|nor)\b")
_POST_NEG = _re(
    r"(?:\s+(?:seen|noted|observed|mentioned|visible|reported|found|involved|present|in\s+(?:the\s+)?"
    r"(?:home|house|residence|apt|hand|hands|car|vehicle|veh)))?\s*(?:[?:=\-]+\s*)?"
    r"(?:none\b|neg(?:ative)?\b|nil\b|denied\b|denies\b|ruled\s+out\b|verbal(?:ly)?\b(?!\s+threat)"
    r"|no(?=\s*(?:$|[.,;/!?)|\-]|per\b|seen\b)))"
    r"|\s+(?:(?:is|was|were|are|has\s+been|have\s+been)\s+)?(?:not|never)\s+(?:seen|observed|noted"
    r"|mentioned|involved|present|found|visible|displayed|reported|on\s+scene|in\s+the\s+home)\b",
)
_RESOLVED = _re(r"[\"']\s*(?:was|is|turned\s+out)\b")
_HIST_BEFORE = _re(
    r"\b(?:hx|h/o|history|prior(?!\s+to\b)|previous(?:ly)?|used\s+to|formerly|in\s+the\s+past|past"
    r"|last\s+(?:week|month|year|night)|earlier\s+this\s+(?:week|month|year))\b",
)
_HIST_AFTER = _re(
    r"\s*(?:hx|h/x|history|past)\b"
    r"|[^,;.]{0,40}?\b(?:last\s+(?:week|month|year|night|summer|winter|spring|fall)|yesterday"
    r"|overnight|earlier\s+this\s+(?:week|month|year)|(?:\d+|a|one|two|three|four|five|few"
    r"|several|couple(?:\s+of)?)\s+(?:days?|weeks?|months?|years?)\s+ago|years\s+ago"
    r"|in\s+(?:19|20)\d\d|\(\s*(?:19|20)\d\d\s*\))",
)
# "plans to overdose", "threatening to OD": intent, not yet a medical emergency.
_INTENT_BEFORE = _re(
    r"\b(?:plan\w*|threat\w*|going|gonna|wants?|wanting|will|about|afraid\s+\w+\s+will)\s+(?:to\s+)?"
    r"(?:take\s+(?:an?\s+)?)?$",
)
_CRIME_OVER = _re(
    r"[^,;.]{0,40}?\b(?:happened|occurred|(?:an?|\d+|few|couple(?:\s+of)?)\s+(?:hours?|hrs?|minutes?"
    r"|mins?)\s+ago)\b",
)
_EARLIER_NOW = _re(
    r"[^.;]{0,25}?\bearlier\b[\s,]*(?:but\s+)?now\b"
    r"|[^.;]{0,40}?\b(?:is\s+)?now\s+(?:back\s+)?(?:on|at|in)\s+(?:the\s+)?(?:sidewalk|bench|curb"
    r"|park|bus\s+stop|bus\s+shelter|shelter|grass|lawn)\b",
)
_DOUBT_AFTER = _re(
    r"\b(?:unk|unknown|not\s+sure|unsure)\s+(?:if|whether)\b|\b(?:may|might)\s+(?:still\s+)?"
    r"(?:have|be)\b|\bposs(?:ibly)?\s+(?:still\s+)?(?:has|have|armed|carrying)\b",
)


_WORD = _re(r"\w+")

_WORD_HITS: dict[str, tuple[tuple[int, int], ...]] = {}


def _word_hits(word: str) -> tuple[tuple[int, int], ...]:
    """(trigger, part) pairs that can start at this word; remembered, as notes reuse words."""
    hits = list(_WHOLE_INDEX.get(word, ()))
    for k in range(1, min(len(word), _ANCHOR_LEN) + 1):
        hits.extend(_ANCHOR_INDEX.get(word[:k], ()))
    if len(_WORD_HITS) > 100_000:
        _WORD_HITS.clear()
    found = _WORD_HITS[word] = tuple(hits)
    return found


class _Note:
    """One note with its clause boundaries and its words, each computed when first needed."""

    __slots__ = ("raw", "text", "_starts", "_ends", "_at")

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self.text = raw.translate(_FOLD)
        self._starts: list[int] | None = None
        self._ends: list[int] = []
        self._at: dict[int, list[tuple[int, int]]] | None = None

    def starts(self, trigger: int) -> list[tuple[int, int]]:
        """(offset, part) for every word of the note that a part of the trigger can start at."""
        if self._at is None:
            at: dict[int, list[tuple[int, int]]] = {}
            for m in _WORD.finditer(self.text):
                word = m.group()
                hits = _WORD_HITS.get(word)
                if hits is None:
                    hits = _word_hits(word)
                for t, n in hits:
                    at.setdefault(t, []).append((m.start(), n))
            self._at = at
        return self._at.get(trigger, [])

    def clause(self, start: int, end: int) -> tuple[int, int]:
        if self._starts is None:
            spans = [(m.start(), m.end()) for m in _HARD_BREAK.finditer(self.text)]
            self._starts = [s for s, _ in spans]
            self._ends = [e for _, e in spans]
        i = bisect_right(self._ends, start)
        begin = self._ends[i - 1] if i else 0
        j = bisect_left(self._starts, end)
        stop = self._starts[j] if j < len(self._starts) else len(self.text)
        return begin, stop


def _last(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    found = None
    for found in pattern.finditer(text):  # noqa: B007 - the last one is wanted
        pass
    return found


def _negated_before(note: _Note, start: int, end: int, begin: int, stop: int, kind: str) -> bool:
    text = note.text
    lo = max(begin, start - 80)
    pre = text[lo:start]
    cue = _last(_NEG_CUE, pre)
    if kind == TRAFFIC:
        for out in _NEG_CUE_TRAFFIC.finditer(pre):
            if cue is None or out.start() > cue.start():
                cue = out
    if cue is None:
        return False
    gap = pre[cue.end() :]
    if cue.group() in ("w/o", "wo/", "without") and _WITH_OR.search(pre[: cue.start()]):
        return False  # "with or w/o weapons": unknown, so present
    if _DOUBT_GAP.search(gap) or _SOFT_BREAK.search(gap) or len(gap.split()) > 6:
        return False
    if "," not in gap:
        return True
    # "No guns, knives or other weapons seen": a negated list runs over its commas.
    items = gap.split(",")
    if any(len(item.split()) > 3 for item in items[:-1]):
        return False
    comma = text.find(",", end, stop)
    seg_end = comma if comma != -1 else stop
    tail = items[-1] + text[start:seg_end]
    if len(tail.split()) > 6:
        return False
    return bool(_LIST_OR.search(tail) or _OR_NEXT.match(text, seg_end, stop))


def _historic(note: _Note, start: int, end: int, begin: int, stop: int, kind: str) -> bool:
    text = note.text
    pre = text[max(begin, start - 60) : start]
    hist = _last(_HIST_BEFORE, pre)
    if hist is not None:
        gap = pre[hist.end() :]
        if "," not in gap and not _SOFT_BREAK.search(gap) and len(gap.split()) <= 6:
            return True
    if _HIST_AFTER.match(text, end, stop):
        return True
    if kind == CRIME and _CRIME_OVER.match(text, end, stop):
        return True
    if kind == TRAFFIC:
        sentence_end = text.find(".", end)
        return bool(
            _EARLIER_NOW.match(text, end, sentence_end if sentence_end != -1 else len(text))
        )
    return False


def _present(note: _Note, start: int, end: int, kind: str) -> bool:
    """Whether a mention still stands once negation, history and doubt are read."""
    text = note.text
    begin, stop = note.clause(start, end)
    if _negated_before(note, start, end, begin, stop, kind):
        return False
    if kind == MEDICAL and _INTENT_BEFORE.search(text, max(begin, start - 40), start):
        return False
    if _POST_NEG.match(text, end, min(len(text), end + 40)):
        return False
    if start and text[start - 1] in "\"'" and _RESOLVED.match(text, end):
        return False  # 'the "gun" was a cell phone'
    if _historic(note, start, end, begin, stop, kind):
        # "hx of carrying knives, unk if has one today": the doubt about today wins.
        sentence_end = text.find(".", end)
        window = text[end : sentence_end if sentence_end != -1 else end + 80]
        return bool(_DOUBT_AFTER.search(window))
    return True


def _first(note: _Note, pattern: _Triggers, kind: str) -> re.Match[str] | None:
    for m in pattern.finditer(note):
        if m.end() > m.start() and _present(note, m.start(), m.end(), kind):
            return m
    return None


def _flag(kind: str, note: _Note, start: int, end: int) -> Flag:
    return Flag(kind=kind, text=note.raw[start:end], start=start, end=end)


def _suicidal(note: _Note) -> Flag | None:
    text = note.text
    act = _first(note, _SUICIDE_ACT, SUICIDAL_PLAN)
    while act is not None and _CHILD.pattern.search(
        text, note.clause(act.start(), act.end())[0], act.start()
    ):
        # "small child on balcony railing" is a child at risk, not a suicide plan.
        nxt = act.end()
        act = None
        for m in _SUICIDE_ACT.finditer(note, nxt):
            if _present(note, m.start(), m.end(), SUICIDAL_PLAN):
                act = m
                break
    if act is not None:
        return _flag(SUICIDAL_PLAN, note, act.start(), act.end())
    talk = _first(note, _SUICIDE_TALK, SUICIDAL_PLAN)
    if talk is None:
        return None
    if _SELF_HARM.pattern.fullmatch(talk.group()) and any(
        not _present(note, m.start(), m.end(), SUICIDAL_PLAN) for m in _SUICIDE_WORD.finditer(note)
    ):
        return None  # "cut himself, denies SI": self-harm, and suicide is denied
    means = None
    for m in _SUICIDE_MEANS.finditer(note):
        if m.start() >= talk.start() and m.end() <= talk.end():
            continue
        if _present(note, m.start(), m.end(), SUICIDAL_PLAN):
            means = m
            break
    if means is None:
        return None
    lo, hi = min(talk.start(), means.start()), max(talk.end(), means.end())
    if hi - lo <= 60 and _HARD_BREAK.search(text, lo, hi) is None:
        return _flag(SUICIDAL_PLAN, note, lo, hi)
    return _flag(SUICIDAL_PLAN, note, talk.start(), talk.end())


def _child_term(note: _Note) -> tuple[re.Match[str] | None, re.Match[str] | None]:
    """The first child and the first older or vulnerable adult the note mentions."""
    text = note.text
    child: re.Match[str] | None = None
    elder: re.Match[str] | None = None
    for m in _CHILD.finditer(note):
        if _present(note, m.start(), m.end(), CHILDREN) and not _CHILD_SAFE.match(text, m.end()):
            child = m
            break
    for m in _AGE.finditer(text):
        age = int(m.group(1))
        if age < 18 and (child is None or m.start() < child.start()):
            child = m
        elif age >= 65 and elder is None:
            elder = m
    if elder is None:
        elder = _first(note, _ELDER, CHILDREN)
    return child, elder


def _children(note: _Note, danger: bool, armed_or_violent: bool) -> Flag | None:
    child, elder = _child_term(note)
    if child is not None:
        place = _CHILD_PLACE.fullmatch(child.group())
        if armed_or_violent or (
            not place and (danger or _first(note, _CHILD_RISK, CHILDREN) is not None)
        ):
            return _flag(CHILDREN, note, child.start(), child.end())
    if elder is not None and (armed_or_violent or _first(note, _ELDER_RISK, CHILDREN) is not None):
        return _flag(CHILDREN, note, elder.start(), elder.end())
    return None


def _crime(note: _Note) -> Flag | None:
    text = note.text
    for m in _CRIME.finditer(note):
        word = m.group()
        if word.startswith("in prog") or word.replace("/", "") == "ip":
            # "in progress" is a crime only after a crime: "CPR in progress" is not.
            if not _CRIME_WORD.search(text, max(0, m.start() - 40), m.start()):
                continue
        if _present(note, m.start(), m.end(), CRIME):
            return _flag(CRIME, note, m.start(), m.end())
    return None


def detect_flags(text: str) -> list[Flag]:
    """Safety flags raised by a call-taker's note, at most one per kind, in the note's order."""
    if not text or not text.strip():
        return []
    note = _Note(text)
    found: dict[str, Flag] = {}
    for kind, pattern in ((WEAPON, _WEAPON), (MEDICAL, _MEDICAL), (TRAFFIC, _TRAFFIC)):
        m = _first(note, pattern, kind)
        if m is not None:
            found[kind] = _flag(kind, note, m.start(), m.end())
    if WEAPON not in found:
        for m in _TOKEN.finditer(note.text):
            if _near_weapon(m.group()) and _present(note, m.start(), m.end(), WEAPON):
                found[WEAPON] = _flag(WEAPON, note, m.start(), m.end())
                break
    m = _first(note, _VIOLENCE, VIOLENCE)
    if m is None and WEAPON in found:
        m = _first(note, _MENACE, VIOLENCE)
    if m is not None:
        found[VIOLENCE] = _flag(VIOLENCE, note, m.start(), m.end())
    suicidal = _suicidal(note)
    if suicidal is not None:
        found[SUICIDAL_PLAN] = suicidal
    crime = _crime(note)
    if crime is not None:
        found[CRIME] = crime
    armed_or_violent = WEAPON in found or VIOLENCE in found
    danger = armed_or_violent or MEDICAL in found or TRAFFIC in found
    children = _children(note, danger, armed_or_violent)
    if children is not None:
        found[CHILDREN] = children
    return sorted(found.values(), key=lambda f: (f.start, FLAG_KINDS.index(f.kind)))


def flag_kinds(text: str) -> set[str]:
    """The kinds of flag a note raises, for callers that only need yes or no per question."""
    return {f.kind for f in detect_flags(text)}
