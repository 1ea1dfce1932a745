"""Pages that read across the apps: the search over the whole register."""

from __future__ import annotations

from django.shortcuts import render

from vestige.reports.search import PER_KIND, global_search


def search(request):
    """``/search/?q=``: people, bodies, graves, sites, families, evidence, claims and witnesses the
    user may read, by code, name or number. Searching is not recorded as viewing: the results link
    to the records, whose pages record what they show."""
    text = request.GET.get("q", "").strip()
    found = global_search(request.user, text)
    return render(request, "reports/search.html", {"q": text, "found": found, "per_kind": PER_KIND,
                                                   "too_short": 0 < len(text) < 2})
