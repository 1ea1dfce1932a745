from django.conf import settings

from vestige.accounts.roles import Cap


def vestige(request):
    user = getattr(request, "user", None)
    caps = set()
    if user is not None and user.is_authenticated:
        caps = {c.value for c in Cap if user.can(c)}
    return {"caps": caps, "tile_url": settings.VESTIGE_TILE_URL,
            "tile_attribution": settings.VESTIGE_TILE_ATTRIBUTION}
