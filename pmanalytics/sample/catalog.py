"""The event vocabulary shared by the simulator and the renderer.

Events travel through the simulation as small integer codes (cheap numpy arrays); these
tables give each code its Segment call type and name.
"""

# Event codes. Track events first (their index is their name in TRACK_NAMES).
(
    SESSION,
    DASH,
    SEARCH,
    COMMENT,
    EXPORT,
    EXPORT_FAILED,
    ALERT,
    INTEGRATION,
    CRASH,
    SIGNED_UP,
    PROJECT,
    DASH_CREATED,
    INVITED,
) = range(13)
TRACK_NAMES = (
    "Session Started",
    "Dashboard Loaded",
    "Search Performed",
    "Comment Added",
    "Report Exported",
    "Export Failed",
    "Alert Created",
    "Integration Connected",
    "App Crashed",
    "Signed Up",
    "Project Created",
    "Dashboard Created",
    "Teammate Invited",
)
IDENTIFY, ALIAS, PAGE = 13, 14, 20  # page codes are PAGE + index into PAGES
PAGES = ("Home", "Features", "Pricing", "Docs", "Blog", "Integrations", "Changelog")
P_HOME, P_FEATURES, P_PRICING, P_DOCS, P_BLOG, P_INTEGRATIONS, P_CHANGELOG = range(7)
SERVER_SIDE = (EXPORT, EXPORT_FAILED, ALERT, INTEGRATION)  # sent without anonymousId
# Identity modes: which ids an event carries.
BOTH, ANON, USER, ANON2, VISITOR = range(5)

DAY_MS = 86_400_000
