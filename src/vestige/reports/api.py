from ninja import Router

from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.reports.services import overall_stats, stats_by_site

router = Router(tags=["statistics"])


@router.get("", url_name="stats")
def stats(request):
    """Counts over all sites, computed from the records (withdrawn records are not counted)."""
    require(request.user, Cap.REGISTRY_READ)
    return overall_stats().as_dict()


@router.get("/sites", url_name="stats-sites")
def stats_sites(request):
    """The same counts for each site."""
    require(request.user, Cap.REGISTRY_READ)
    return [{"site": s.site.ref, **s.as_dict()} for s in stats_by_site()]
