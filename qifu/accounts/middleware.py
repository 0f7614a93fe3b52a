"""Session security, after AuthenticationMiddleware in settings.MIDDLEWARE:

- idle timeout (SESSION_IDLE_MINUTES) and absolute timeout (SESSION_ABSOLUTE_HOURS),
  checked against the UserSession registry, and sessions ended elsewhere ("log out
  everywhere", an admin's forced logout) stop working on the next request;
- an account that must change its password (first login of an admin-created account,
  or rotation due) may only reach the endpoints needed to change it.
"""

from __future__ import annotations

from django.contrib.auth import logout
from django.utils import timezone

from qifu.accounts import sessions
from qifu.accounts.models import UserSession
from qifu.core.errors import error_response

API_PREFIX = "/api/v1/"
# What an account with a pending password change may still call.
PASSWORD_CHANGE_ALLOWED = (
    "/api/v1/auth/me",
    "/api/v1/auth/csrf",
    "/api/v1/auth/logout",
    "/api/v1/auth/password",
    "/api/v1/auth/menu",
    "/api/v1/auth/policy",
)


class SessionSecurityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and request.session.session_key:
            now = timezone.now()
            row = UserSession.objects.filter(session_key=request.session.session_key).first()
            if row is None or row.user_id != user.pk:
                # A session started outside qifu.accounts.services (test clients, management
                # commands): adopt it so it is listed, timed out and revocable like any other.
                sessions.register(request, user, method="other")
            else:
                reason = sessions.expiry_reason(row, now)
                if reason is not None:
                    sessions.mark_ended(row, reason)
                    logout(request)
                    request.session_end_reason = reason
                else:
                    sessions.touch(row, now)
            if (
                request.user.is_authenticated
                and request.user.must_change_password
                and request.path.startswith(API_PREFIX)
                and not request.path.startswith(PASSWORD_CHANGE_ALLOWED)
            ):
                return error_response(
                    403, "identity.password_change_required", "请先修改初始密码后再继续操作", {"change_password": True}
                )
        response = self.get_response(request)
        reason = getattr(request, "session_end_reason", None)
        if reason:
            response["X-Session-Ended"] = reason
        return response
