"""Mail settings: SITE_URL is required in production, ports follow the security setting."""

import pytest

from app.config import ConfigError, Settings

STRONG = "kQ8vz2LpR7wXm3Nc9Bt5Yh1Jd6Fg4Ks0Ae8Ui2Oo7Pq"


def test_production_refuses_to_start_without_site_url():
    with pytest.raises(ConfigError, match="SITE_URL is not set"):
        Settings(_env_file=None, env="production", secret_key=STRONG)
    ok = Settings(_env_file=None, env="production", secret_key=STRONG, site_url="https://a.test/")
    assert ok.base_url == "https://a.test"


def test_development_links_point_at_the_address_it_listens_on():
    settings = Settings(_env_file=None, host="127.0.0.1", port=8123)
    assert settings.base_url == "http://127.0.0.1:8123"
    assert settings.mail_sender == "Agora <noreply@127.0.0.1>"


@pytest.mark.parametrize(("security", "port"), [("starttls", 587), ("tls", 465), ("none", 25)])
def test_smtp_port_defaults_by_security(security, port):
    assert Settings(_env_file=None, smtp_security=security).smtp_port_effective == port
    assert (
        Settings(_env_file=None, smtp_security=security, smtp_port=2525).smtp_port_effective == 2525
    )


@pytest.mark.parametrize(
    "url", ["agora.example", "ftp://a.test", "https://a.test/?x=1", "javascript:x"]
)
def test_site_url_must_be_an_absolute_http_url(url):
    with pytest.raises(ValueError, match="absolute http"):
        Settings(_env_file=None, site_url=url)
