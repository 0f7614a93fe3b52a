from django.urls import path, re_path

from qifu.api import api
from qifu.core import health, spa

urlpatterns = [
    path("healthz", health.healthz),
    path("readyz", health.readyz),
    path("metrics", health.metrics_view),
    path("api/v1/", api.urls),
    re_path(r"^api(?:/(?P<rest>.*))?$", spa.api_not_found),  # /api and anything under it: JSON 404
    re_path(r"^console(?:/(?P<rest>.*))?$", spa.console),
    re_path(r"^h5(?:/(?P<rest>.*))?$", spa.h5),
    re_path(r"^(?P<rest>(?!static/|media/).*)$", spa.portal),
]
