"""Links the service hands out start with the operator's public URL, whatever `Host` the
caller sent (an attacker must not pick the host in a link a coach will share)."""

from __future__ import annotations

from coach.settings import Settings
from tests.support.live import LiveServer, live_server
from tests.support.tenants import Tenant, make_tenant


def _feed_url(server: LiveServer, key: str, **headers: str) -> str:
    with server.client(key, **headers) as http:
        athlete = http.post("/v1/athletes", json={"name": "Ada"})
        user_id = athlete.json()["user_id"]
        connection = http.post(f"/v1/athletes/{user_id}/connections", json={"provider": "ics"})
    assert connection.status_code == 200, connection.text
    url: str = connection.json()["feed_url"]
    return url


def test_the_host_header_does_not_choose_the_link(server: LiveServer, tenant: Tenant) -> None:
    url = _feed_url(server, tenant.coach_key, Host="evil.example")
    assert url.startswith(f"{server.settings.public_url}/v1/feeds/")
    assert "evil" not in url
    with server.client() as anonymous:
        assert anonymous.get(url).status_code == 200


def test_links_start_with_the_configured_public_url(database_url: str) -> None:
    settings = Settings(database_url=database_url, public_url="https://coach.example.org/api/")
    with live_server(settings) as live:
        tenant = make_tenant(live.db)
        url = _feed_url(live, tenant.coach_key)
    assert url.startswith("https://coach.example.org/api/v1/feeds/")
    assert url.endswith(".ics")
