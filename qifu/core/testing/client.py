"""The JSON test client every test speaks to /api/v1/ with (``api(user)`` in the root conftest)."""

from __future__ import annotations

from django.test import Client


class ApiClient(Client):
    """A Django test client that speaks JSON to /api/v1/ as a given user."""

    def __init__(self, user=None, host: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.host = host
        if user is not None:
            self.force_login(user)

    def _call(self, method, path, data=None, **extra):
        url = path if path.startswith("/") else "/api/v1/" + path
        if self.host:
            extra.setdefault("HTTP_HOST", self.host)
        fn = getattr(super(), method)
        if method in ("get", "delete") and not isinstance(data, (str, bytes)):
            return fn(url, data, **extra)
        return fn(url, data, content_type=extra.pop("content_type", "application/json"), **extra)

    def get(self, path, data=None, **extra):
        return self._call("get", path, data, **extra)

    def post(self, path, data=None, **extra):
        return self._call("post", path, data, **extra)

    def put(self, path, data=None, **extra):
        return self._call("put", path, data, **extra)

    def patch(self, path, data=None, **extra):
        return self._call("patch", path, data, **extra)

    def delete(self, path, data=None, **extra):
        return self._call("delete", path, data, **extra)
