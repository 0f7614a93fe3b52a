"""Sessions: idle and absolute timeouts, my sessions, log out everywhere, forced logout,
must-change-password gate."""

from __future__ import annotations

from qifu.accounts.models import UserSession


def signed_in(client, cast, username="ent-owner", ip="10.0.0.1"):
    c = client(ip=ip)
    assert c.post("auth/login", {"username": username, "password": cast.password}).status_code == 200
    return c


def test_idle_timeout(cast, client, clock, settings):
    c = signed_in(client, cast)
    clock.advance(minutes=29)
    assert c.get("auth/me").status_code == 200  # activity resets the idle clock
    clock.advance(minutes=29)
    assert c.get("auth/me").status_code == 200
    clock.advance(minutes=31)
    response = c.get("auth/me")
    assert response.status_code == 401 and response["X-Session-Ended"] == "idle"
    assert UserSession.objects.get().end_reason == "idle"
    assert c.get("auth/me").status_code == 401  # the session is gone, not just refused once


def test_absolute_timeout(cast, client, clock, settings):
    settings.QIFU_SESSION_ABSOLUTE_HOURS = 2
    c = signed_in(client, cast)
    for _ in range(4):
        clock.advance(minutes=25)
        assert c.get("auth/me").status_code == 200
    clock.advance(minutes=25)  # 2 h 5 min after sign-in, never idle
    assert c.get("auth/me").status_code == 401
    assert UserSession.objects.get().end_reason == "absolute"


def test_my_sessions_and_revoking_one(cast, client, clock):
    phone = signed_in(client, cast, ip="10.0.0.1")
    laptop = signed_in(client, cast, ip="10.0.0.2")
    listed = laptop.get("auth/sessions").json()
    assert len(listed) == 2 and sum(s["current"] for s in listed) == 1
    other = next(s for s in listed if not s["current"])
    assert other["ip"] == "10.0.0.1"
    assert laptop.post(f"auth/sessions/{other['id']}/revoke").status_code == 204
    assert phone.get("auth/me").status_code == 401
    assert laptop.get("auth/me").status_code == 200


def test_cannot_revoke_someone_elses_session(cast, client, clock):
    victim = signed_in(client, cast, "staff-a")
    victim_session = victim.get("auth/sessions").json()[0]["id"]
    attacker = signed_in(client, cast, "ent-owner", ip="10.0.0.9")
    assert attacker.post(f"auth/sessions/{victim_session}/revoke").status_code == 404
    assert victim.get("auth/me").status_code == 200


def test_logout_everywhere(cast, client, clock):
    a = signed_in(client, cast, ip="10.0.0.1")
    b = signed_in(client, cast, ip="10.0.0.2")
    assert b.post("auth/logout-everywhere").json() == {"count": 2}
    assert a.get("auth/me").status_code == 401
    assert b.get("auth/me").status_code == 401


def test_admin_forces_a_logout(cast, client, api, clock):
    victim = signed_in(client, cast, "staff-b")
    admin = api(cast.tenant_admin)
    assert admin.post(f"auth/users/{cast.staff_b.id}/force-logout").json() == {"count": 1}
    assert victim.get("auth/me").status_code == 401
    assert UserSession.objects.get(user=cast.staff_b).end_reason == "forced"


def test_force_logout_is_refused_across_tenants_and_without_permission(cast, client, api, clock):
    victim = signed_in(client, cast, "staff-b")
    assert api(cast.outsider).post(f"auth/users/{cast.staff_b.id}/force-logout").status_code in (403, 404)
    assert api(cast.staff_a).post(f"auth/users/{cast.staff_b.id}/force-logout").status_code == 403
    assert victim.get("auth/me").status_code == 200


def test_logout_ends_the_registry_row(cast, client, clock):
    c = signed_in(client, cast)
    assert c.post("auth/logout").status_code == 204
    assert UserSession.objects.get().end_reason == "logout"


def test_must_change_password_gate(cast, client, clock):
    user = cast.staff_a
    user.must_change_password = True
    user.save()
    c = signed_in(client, cast, "staff-a")
    assert c.get("auth/me").json()["must_change_password"] is True
    blocked = c.get("access/enterprises")
    assert blocked.status_code == 403 and blocked.json()["code"] == "identity.password_change_required"
    changed = c.post("auth/password", {"old_password": cast.password, "new_password": "Brand#New-Pass-77"})
    assert changed.status_code == 200 and changed.json()["must_change_password"] is False
    assert c.get("access/enterprises").status_code == 200
