"""WSGI entry point (gunicorn wennuan.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wennuan.settings")
application = get_wsgi_application()
