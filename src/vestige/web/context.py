from django.conf import settings
from django.utils.translation import gettext_lazy as _

from vestige.accounts.roles import Cap

# The first segment of a page's address → its section in the menu (label, list address).
SECTIONS = {
    "sites": (_("Sites"), "/sites/"), "graves": (_("Graves"), "/graves/"),
    "exhumations": (_("Exhumations"), "/exhumations/"), "remains": (_("Remains"), "/remains/"),
    "missing": (_("Missing"), "/missing/"), "families": (_("Missing"), "/missing/"),
    "donors": (_("Missing"), "/missing/"), "identification": (_("Identification"), "/identification/"),
    "dvi": (_("DVI"), "/dvi/"), "evidence": (_("Evidence"), "/evidence/"), "claims": (_("Claims"), "/claims/"),
    "incidents": (_("Incidents"), "/incidents/"), "witnesses": (_("Witnesses"), "/witnesses/"),
    "import": (_("Import"), "/import/"), "audit": (_("Audit"), "/audit/"), "search": (_("Search"), "/search/"),
    "map": (_("Map"), "/map/"), "accounts": (_("Profile"), "/accounts/profile/"),
    "lists": (_("Lists of people"), "/lists/"),
}
# Words of an address that name an action or a sub-page, shown translated.
STEPS = {"new": _("New"), "edit": _("Edit"), "check": _("Pedigree check"), "runs": _("Matching runs"),
         "candidates": _("Candidates"), "board": _("Board"), "jobs": _("Jobs"), "upload": _("Upload"),
         "history": _("History"), "merge": _("Merge"), "persons": _("Missing persons"),
         "families": _("Families"), "export": _("Export"), "databases": _("Population databases"), "profile": _("Profile")}


def breadcrumbs(path: str) -> list[tuple[str, str]]:
    """(label, address) from the dashboard down to the page's parent, from the page's address:
    its section, then each record or sub-page on the way (the page itself is its heading)."""
    parts = [p for p in path.split("/") if p]
    if not parts or parts[0] not in SECTIONS:
        return []
    label, url = SECTIONS[parts[0]]
    crumbs = [(str(_("Dashboard")), "/"), (str(label), url)]
    for k in range(1, len(parts) - 1):  # the last part is the page itself
        part = parts[k]
        if "." in part:  # an export or a file, not a page
            break
        crumbs.append((str(STEPS.get(part, part)), "/" + "/".join(parts[: k + 1]) + "/"))
    if len(parts) == 1:
        crumbs = crumbs[:1]  # a section's own list: its heading says where we are
    return crumbs


def vestige(request):
    user = getattr(request, "user", None)
    caps = set()
    if user is not None and user.is_authenticated:
        caps = {c.value for c in Cap if user.can(c)}
    return {"caps": caps, "tile_url": settings.VESTIGE_TILE_URL,
            "tile_attribution": settings.VESTIGE_TILE_ATTRIBUTION,
            "breadcrumbs": breadcrumbs(request.path) if user is not None and user.is_authenticated else []}
