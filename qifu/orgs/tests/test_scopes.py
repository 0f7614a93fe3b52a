"""The foundation's data-scope behaviour on the enterprises list (the access capability extends this)."""


def _names(response):
    assert response.status_code == 200, response.content
    return {item["name"] for item in response.json()["items"]}


def test_town_staff_see_only_their_town(cast, api):
    assert _names(api(cast.staff_a).get("access/enterprises")) == {cast.enterprise_a.name}
    assert _names(api(cast.staff_b).get("access/enterprises")) == {cast.enterprise_b.name}


def test_other_town_object_is_404_not_403(cast, api):
    response = api(cast.staff_a).get(f"access/enterprises/{cast.enterprise_b.id}")
    assert response.status_code == 404
    assert api(cast.staff_a).get(f"access/enterprises/{cast.enterprise_a.id}").status_code == 200


def test_tenant_admin_sees_the_whole_tenant_only(cast, api):
    names = _names(api(cast.tenant_admin).get("access/enterprises"))
    assert names == {cast.enterprise_a.name, cast.enterprise_b.name}
    assert api(cast.tenant_admin).get(f"access/enterprises/{cast.other_enterprise.id}").status_code == 404


def test_login_me_and_menu(cast, api):
    client = api(None)
    ok = client.post("auth/login", {"username": "staff-a", "password": cast.password})
    assert ok.status_code == 200
    me = client.get("auth/me").json()
    assert me["organisation"]["name"] == "A 街道" and "district_staff" in me["roles"]
    titles = [child["title"] for group in client.get("auth/menu").json() for child in group["children"]]
    assert "企业库" in titles
    assert client.post("auth/logout").status_code == 204
    assert client.get("auth/me").status_code == 401
    bad = api(None).post("auth/login", {"username": "staff-a", "password": "wrong"})
    assert bad.status_code == 400 and bad.json()["message"] == "账号或密码错误"
