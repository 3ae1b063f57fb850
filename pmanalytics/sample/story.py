"""What respondents say: scores and comment text for the planted pain points.

Each pain point has its own vocabulary, spread over many templates, synonyms, typos,
casing and a few other languages, so that a clustering stage has real work to do but the
signal is still there to recover. Scores depend on the pain the respondent actually lived
through (the simulator decides that from behaviour), so complaints and low scores line up.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

PAINS = ("export", "slow", "pricing", "integration", "crash", "onboarding")
#: What the other comments are about: the ground truth a clustering benchmark scores against.
OTHER_TOPICS = (
    "praise",
    "suggestion",
    "support_praise",
    "support_complaint",
    "easy_start",
    "no_content",
)
# How likely a pain is to be the one a respondent with several pains writes about.
_SEVERITY = {
    "export": 3.0,
    "slow": 3.0,
    "crash": 3.0,
    "onboarding": 2.0,
    "integration": 1.5,
    "pricing": 1.0,
}

_EN: dict[str, tuple[str, ...]] = {
    "export": (
        "PDF export keeps failing",
        "exports fail half the time, {fmt} never downloads",
        "The {fmt} export is broken. I get an error every time I try to download a report.",
        "Can't export reports to {fmt}, it just spins and then says something went wrong",
        "export to {fmt} times out for anything bigger than a few pages",
        "Every monthly report I have to export {n} times before it works",
        "I need to send reports to my boss and the export is unreliable",
        "Download as {fmt} fails constantly. Had to screenshot the dashboard instead",
        "exporting is a nightmare",
        "reports won't export, error 500",
        "The export button does nothing half the time",
        "{fmt} exports come out blank or fail entirely",
        "failed export again... third time this week",
        "Please fix the exports, {fmt} fails every single time",
        "Exported file is empty or I get 'Export failed'. Embarrassing when a client is waiting.",
        "I rely on scheduled {fmt} exports and they keep breaking",
        "export feature unreliable",
        "cant download my report as {fmt}",
        "Report export to {fmt} is flaky at best",
    ),
    "slow": (
        "Dashboards are so slow to load",
        "takes {secs} for a dashboard to load, sometimes it just times out",
        "Performance is terrible. Any dashboard with more than a few charts takes forever",
        "slow slow slow",
        "the app got really sluggish, dashboards take ages to load",
        "Loading spinner forever on our main dashboard",
        "Speed. Our team dashboard needs {secs} to render",
        "Great idea but way too slow for daily use",
        "charts load slowly and the page freezes",
        "dashboard keeps timing out when I filter by date",
        "It's laggy. Switching between dashboards takes {secs}",
        "Please improve load times, we have big dashboards and it is painful",
        "performance issues on large dashboards",
        "Waiting {secs} for every dashboard is killing us in standups",
        "very slow loading times",
        "Dashboards load slower every week",
    ),
    "pricing": (
        "Too expensive for a small team",
        "Pricing is steep compared to alternatives",
        "The team plan is overpriced for what you get",
        "would upgrade but the price jump from free to team is too big",
        "costs too much per seat",
        "Love it but can't justify the price",
        "per-user price is too high for a startup like ours",
        "Pricing page is confusing and the business plan is way too expensive",
        "We're a nonprofit, please offer a discount",
        "a bit pricey",
        "Good product, bad pricing. Seat-based pricing hurts as we grow",
        "cheaper competitors do 80% of this",
        "Expensive. We might downgrade at renewal",
        "price went up and the value didn't",
        "too expensive",
    ),
    "integration": (
        "Need a HubSpot integration",
        "Please add a {crm} integration, we can't get our CRM data in",
        "Missing integration with {crm}",
        "No {crm} connector is a dealbreaker for our sales team",
        "would love to sync deals from {crm}",
        "We export CSVs from {crm} by hand every week. Please add a native integration",
        "integrations are limited, especially CRM",
        "if it connected to {crm} I'd give 10",
        "The {crm} sync only pulls contacts, we need opportunities and pipeline too",
        "Still waiting for the hubspot integration you promised",
        "need to connect our CRM ({crm})",
        "Integrate with {crm} please!!",
    ),
    "crash": (
        "The iOS app crashes every time I open a dashboard",
        "app keeps crashing on my {device}",
        "Mobile app is unusable, crashes on launch",
        "Android app force closes constantly",
        "crashes crashes crashes",
        "the app crashed {n} times during a client meeting",
        "Mobile app freezes and then quits when I open reports",
        "After the last update the app crashes on my {device}",
        "please fix the mobile app, it closes by itself",
        "App is crashing whenever I switch to the alerts tab",
        "mobile version crashes a lot",
        "The app on my {device} just shuts down randomly",
    ),
    "onboarding": (
        "I don't understand how to create a dashboard",
        "Setup was confusing, couldn't figure out where to start",
        "onboarding is confusing. too many steps",
        "No idea how to connect my data, the getting started guide didn't help",
        "Got lost after creating a project",
        "Not intuitive at all for a first time user",
        "took me ages to figure out how to add a chart",
        "Where do I even start?? The empty project screen is confusing",
        "the tutorial skipped the important part (making a dashboard)",
        "Hard to get started without a template",
        "confusing UI for beginners",
        "I signed up but still haven't managed to build a single dashboard",
    ),
}
_FOREIGN: dict[str, dict[str, tuple[str, ...]]] = {
    "DE": {
        "export": (
            "Der PDF-Export funktioniert nicht, bekomme jedes Mal einen Fehler.",
            "Export nach {fmt} schlägt ständig fehl",
        ),
        "slow": (
            "Dashboards laden extrem langsam.",
            "Viel zu langsam, jedes Dashboard dauert ewig",
        ),
        "pricing": ("Zu teuer für ein kleines Team.", "Der Preis pro Nutzer ist viel zu hoch"),
        "integration": (
            "Uns fehlt eine HubSpot-Integration.",
            "Bitte eine Salesforce Integration anbieten",
        ),
        "crash": ("Die App stürzt auf meinem {device} ständig ab.",),
        "onboarding": (
            "Der Einstieg ist verwirrend, ich weiß nicht wie ich ein Dashboard erstelle.",
        ),
        "praise": ("Super einfach zu bedienen!", "Tolle Dashboards, danke!"),
    },
    "ES": {
        "export": (
            "La exportación a PDF falla siempre.",
            "No puedo exportar informes a {fmt}, da error",
        ),
        "slow": ("Los paneles tardan muchísimo en cargar.",),
        "pricing": ("Es demasiado caro para nosotros.", "El precio por usuario es muy alto"),
        "integration": ("Falta la integración con Salesforce.",),
        "crash": ("La app se cierra sola en mi {device}.",),
        "onboarding": ("No entiendo cómo crear un panel, la configuración es confusa.",),
        "praise": ("Muy fácil de usar, me encanta.",),
    },
    "BR": {
        "export": ("A exportação para PDF falha toda vez.",),
        "slow": ("Os dashboards demoram demais para carregar.",),
        "pricing": ("Muito caro para uma equipe pequena.",),
        "praise": ("Ótima ferramenta, muito fácil de usar!",),
    },
    "FR": {
        "export": ("L'export PDF ne marche jamais.",),
        "slow": ("Les tableaux de bord sont beaucoup trop lents.",),
        "praise": ("Très simple à utiliser, bravo !",),
    },
}
_PRAISE = (
    "Easy to use and the dashboards look great",
    "Love it!",
    "Great dashboards, our whole team uses them daily",
    "Support was super helpful",
    "Very intuitive, set up in minutes",
    "best analytics tool we've used",
    "Clean UI, does exactly what we need",
    "The alerts save me hours every week",
    "Slack alerts are a game changer",
    "Really easy to share dashboards with the team",
    "Support answered within an hour, amazing",
    "Simple and powerful",
    "Great product 👍",
    "Fantastic, keep it up",
    "my team loves the dashboards",
    "does the job well",
    "easy to use",
    "Great dashboards!",
    "support team is very helpful and responsive",
)
_SUGGEST = (
    "It's ok",
    "Good but could use more chart types",
    "dark mode please",
    "Would like more templates",
    "fine for now",
    "Decent tool, a few rough edges",
    "more customization options for charts",
    "keyboard shortcuts would be nice",
    "Solid, but the UI feels a bit dated",
    "Works. Nothing special",
)
_EMPTYISH = ("n/a", "N/A", "nothing", "-", ".", "no", "none", "no comment", "👍", "🙂", "😐", "🔥")
_SUPPORT_GOOD = (
    "Quick response, thanks!",
    "{agent} was really helpful",
    "Solved my issue in minutes",
    "great support",
    "Friendly and fast",
    "{agent} fixed it straight away, thank you",
)
_SUPPORT_BAD = (
    "Took 3 days to get an answer",
    "The bot was useless, I wanted a human",
    "Issue still not fixed",
    "support closed my ticket without solving it",
    "slow replies from support",
)
_CES_GOOD = (
    "Setup was quick",
    "Easy to get started",
    "the templates helped a lot",
    "Took 5 minutes to get my first dashboard",
    "smooth onboarding",
)
_PREFIX = {
    "neg": (
        "Honestly, ",
        "tbh ",
        "Hi, ",
        "Well... ",
        "As a team lead: ",
        "Overall OK but ",
        "ugh. ",
        "Main issue: ",
    ),
    "pos": ("Honestly, ", "tbh ", "Hi, ", "As a team lead: ", "Overall "),
}
_SUFFIX = {
    "neg": (
        ". Please fix.",
        "!!",
        ". Thanks",
        ". Otherwise great.",
        " 😡",
        " 🙏",
        "...",
        " fix this pls",
        ". Otherwise I like the product.",
        " :(",
        ". Very frustrating.",
        " - otherwise ok",
    ),
    "pos": ("!", "!!", ". Thanks!", " 👍", ". Keep it up.", " ❤️", " :)", "...", " keep it up"),
}
_JOIN = (". Also ", "; ", " and also ", ". Plus ")
_SLOTS = {
    "fmt": ("PDF", "pdf", "CSV", "csv", "Excel", "xlsx"),
    "secs": ("10 seconds", "15s", "like 20 sec", "almost a minute", "8-10 s", "forever"),
    "crm": ("HubSpot", "Salesforce", "hubspot", "salesforce", "Pipedrive"),
    "n": ("3", "4", "five", "two"),
    "agent": ("Anna", "Tom", "the support guy", "Priya"),
}
_DEVICE = {"ios": ("iPhone", "iPad", "iphone 15"), "android": ("Pixel", "Samsung", "android phone")}

# Score weights by the respondent's main pain (index = score - scale minimum).
_NPS = {
    "export": (3, 3, 5, 7, 8, 8, 7, 3, 1, 0, 0),
    "slow": (1, 2, 3, 5, 7, 8, 8, 5, 2, 1, 0),
    "crash": (3, 4, 5, 6, 7, 6, 5, 3, 1, 0, 0),
    "pricing": (0, 0, 1, 2, 3, 5, 8, 10, 7, 2, 1),
    "integration": (0, 0, 0, 1, 2, 4, 7, 10, 8, 3, 1),
    "onboarding": (1, 2, 3, 4, 6, 7, 7, 5, 3, 1, 0),
    "": (0, 0, 0, 0, 0, 1, 1, 4, 9, 16, 16),
}
_CSAT_PAIN, _CSAT_OK = (3, 4, 4, 2, 1), (0.3, 0.5, 1, 4, 7)
_CES_PAIN, _CES_OK = (4, 5, 4, 2, 1, 0.5, 0.3), (0.2, 0.3, 0.7, 1.5, 3, 5, 4)
_PII = (
    ". You can reach me at {email}",
    " - call me on +44 20 7946 0958",
    ". My number is +44 20 7946 0{n3}",
    ", email {email} if you need details",
    " (contact: {email})",
)


@dataclass(frozen=True)
class Respondent:
    """What the comment writer knows about the person answering."""

    country: str
    platform: str
    email: str


def _fill(rnd: random.Random, text: str, who: Respondent) -> str:
    for slot, values in _SLOTS.items():
        if "{" + slot + "}" in text:
            text = text.replace("{" + slot + "}", rnd.choice(values))
    if "{device}" in text:
        text = text.replace("{device}", rnd.choice(_DEVICE.get(who.platform, ("phone",))))
    return text


def _typo(rnd: random.Random, text: str) -> str:
    """One realistic slip: swapped, dropped or doubled letter inside a longer word."""
    words = text.split(" ")
    idx = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
    if not idx:
        return text
    i = rnd.choice(idx)
    w, j = words[i], rnd.randrange(1, len(words[i]) - 2)
    kind = rnd.randrange(3)
    if kind == 0:
        w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    elif kind == 1:
        w = w[:j] + w[j + 1 :]
    else:
        w = w[:j] + w[j] + w[j:]
    words[i] = w
    return " ".join(words)


def _lower_first(text: str) -> str:
    return text if text[:2] in ("I ", "I'") else text[:1].lower() + text[1:]


def _vary(rnd: random.Random, text: str, mood: str = "neg") -> str:
    """Make a template sound like one person typed it: casing, typos, fillers."""
    if rnd.random() < 0.15:
        text = _typo(rnd, text)
    if rnd.random() < 0.15:
        text = rnd.choice(_PREFIX[mood]) + _lower_first(text)
    if rnd.random() < 0.2:
        text = text.rstrip(".!") + rnd.choice(_SUFFIX[mood])
    r = rnd.random()
    if r < 0.15:
        text = text.lower()
    elif r < 0.18:
        text = text.upper()
    elif r < 0.3:
        text = text.rstrip(".")
    return text


def _light_vary(rnd: random.Random, text: str) -> str:
    """Casing and punctuation only: for non-English text, where our fillers would not fit."""
    r = rnd.random()
    if r < 0.2:
        return text.lower()
    if r < 0.4:
        return text.rstrip(".")
    if r < 0.5:
        return text.rstrip(".") + "!!"
    return text


def _pain_text(rnd: random.Random, pain: str, who: Respondent) -> str:
    foreign = _FOREIGN.get(who.country, {}).get(pain)
    if foreign and rnd.random() < 0.3:
        return _light_vary(rnd, _fill(rnd, rnd.choice(foreign), who))
    return _vary(rnd, _fill(rnd, rnd.choice(_EN[pain]), who))


def add_pii(text: str, who: Respondent, kind: int) -> str:
    """Append contact details (an email or a phone number) for the redaction stage to find."""
    return text + _PII[kind % len(_PII)].format(email=who.email, n3=f"{len(text) * 37 % 1000:03d}")


def _weighted(rnd: random.Random, weights: tuple[float, ...], low: int) -> int:
    return low + rnd.choices(range(len(weights)), weights=weights)[0]


def nps_response(rnd: random.Random, pains: list[str], who: Respondent) -> tuple[int, str, str]:
    """An in-app NPS answer: the main pain sets the score; most detractors say why.

    Returns ``(score, comment, topic)``: the topic is what the comment is about (a pain in
    :data:`PAINS` — the main one when two are joined — or one of :data:`OTHER_TOPICS`).
    """
    main = rnd.choices(pains, weights=[_SEVERITY[p] for p in pains])[0] if pains else ""
    score = _weighted(rnd, _NPS[main], 0)
    r = rnd.random() * (2.0 if main else 1.0)  # people with a grievance rarely leave it blank
    if r < 0.14:
        return score, "", ""
    if r < 0.24:
        return score, rnd.choice(_EMPTYISH), "no_content"
    if main and rnd.random() < 0.9:
        text = _pain_text(rnd, main, who)
        others = [p for p in pains if p != main]
        if others and rnd.random() < 0.3:
            other = _pain_text(rnd, rnd.choice(others), who)
            text = text.rstrip(".") + rnd.choice(_JOIN) + _lower_first(other)
        return score, text, main
    if score >= 9:
        foreign = _FOREIGN.get(who.country, {}).get("praise")
        text = (
            _light_vary(rnd, rnd.choice(foreign))
            if foreign and rnd.random() < 0.2
            else (_vary(rnd, rnd.choice(_PRAISE), "pos"))
        )
        return score, text, "praise"
    return score, _vary(rnd, rnd.choice(_SUGGEST), "pos"), "suggestion"


def csat_response(rnd: random.Random, pains: list[str], who: Respondent) -> tuple[int, str, str]:
    """A support-ticket CSAT answer: unresolved product pain drags support scores down."""
    score = _weighted(rnd, _CSAT_PAIN if pains else _CSAT_OK, 1)
    if rnd.random() < 0.3:
        return score, "", ""
    if pains and rnd.random() < 0.6:
        pain = rnd.choice(pains)
        return score, _pain_text(rnd, pain, who), pain
    good = score >= 4
    text = _fill(rnd, rnd.choice(_SUPPORT_GOOD if good else _SUPPORT_BAD), who)
    return score, text, "support_praise" if good else "support_complaint"


def ces_response(rnd: random.Random, is_stuck: bool, who: Respondent) -> tuple[int, str, str]:
    """An onboarding CES answer (1-7, higher = easier): stuck users say it was confusing."""
    score = _weighted(rnd, _CES_PAIN if is_stuck else _CES_OK, 1)
    if rnd.random() < 0.35:
        return score, "", ""
    if is_stuck:
        return score, _pain_text(rnd, "onboarding", who), "onboarding"
    return score, _vary(rnd, rnd.choice(_CES_GOOD), "pos"), "easy_start"
