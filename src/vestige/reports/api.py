from ninja import Router

from vestige.accounts.roles import Cap
from vestige.accounts.services import require
from vestige.registry.stats import dashboard_stats

router = Router(tags=["statistics"])


@router.get("", url_name="stats")
def stats(request):
    """Counts over all sites, computed from the records (withdrawn records are not counted)."""
    require(request.user, Cap.REGISTRY_READ)
    return dashboard_stats(request.user)[0].as_dict()  # the sites of the user's cases


@router.get("/sites", url_name="stats-sites")
def stats_sites(request):
    """The same counts for each site."""
    require(request.user, Cap.REGISTRY_READ)
    return [{"site": s.site.ref, **s.as_dict()} for s in dashboard_stats(request.user)[1]]
