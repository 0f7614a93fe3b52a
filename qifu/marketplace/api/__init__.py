"""The marketplace API (tag ``marketplace``), mounted at /api/v1/marketplace/."""

from qifu.marketplace.api import applications, catalogue, subsidies  # noqa: F401
from qifu.marketplace.api.base import router  # noqa: F401

PREFIX = "/marketplace"
