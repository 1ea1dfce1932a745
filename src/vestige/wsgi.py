import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vestige.settings")
application = get_wsgi_application()
# Everything loaded so far (Django, the URL conf, the views) lives as long as the process: out of
# the cyclic collector's scans (gc.freeze). A worker's full collection then walks only what its
# requests made — 0.1 s pauses on a national register's candidate pages before — and gunicorn's
# preloaded app, forked into its workers, keeps these pages shared (the Python docs' advice for a
# parent that forks without exec).
from django.urls import get_resolver  # noqa: E402  (after the app: the URL conf imports every view)

get_resolver().url_patterns  # noqa: B018  (loads the URL conf and with it every view)
gc.freeze()
