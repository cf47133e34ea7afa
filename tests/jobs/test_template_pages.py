"""Mail template pages and API (spec §8): who may edit, the preview, refusals that save nothing, reset."""
import pytest
from sqlalchemy import func, select

from campaigns.mail_templates import MailTemplate
from portal.mail.templates import KINDS, check_templates, defaults_of
from portal.errors import RuleViolation
from tests.factories import Tenant
from tests.functional.conftest import api, login, tenant  # noqa: F401


def stored(dbsession):
    return dbsession.execute(select(func.count()).select_from(MailTemplate)).scalar()


@pytest.mark.parametrize("source, field", [
    ("{{ agent ", "it.body"),  # syntax error
    ("{{ nobody }}", "it.body"),  # unknown variable
    ("{{ agent.__class__ }}", "it.body"),  # the sandbox
    ("{{ ''.join(appointments) }}", "it.body"),  # no calls
])
def test_a_bad_template_is_refused_with_its_field(source, field):
    texts = defaults_of("agenda")
    texts["it"]["body"] = source
    with pytest.raises(RuleViolation) as refused:
        check_templates("agenda", texts)
    assert (refused.value.code, refused.value.status, refused.value.field) == ("template_invalid", 422, field)


def test_every_default_renders_with_its_sample_in_both_languages():
    for kind in KINDS:
        previews = check_templates(kind, defaults_of(kind))
        assert set(previews) == {"it", "en"} and all(subject and body for subject, body in previews.values())


@pytest.mark.parametrize("role, status", [("account_manager", 200), ("admin", 200), ("client", 403),
                                          ("zone_manager", 403), ("agent", 403), ("operator", 403)])
def test_who_may_see_the_template_pages(testapp, tenant, role, status):  # noqa: F811
    login(testapp, tenant.user(role))
    testapp.get(f"/clients/{tenant.client.slug}/mail-templates/", status=status)
    testapp.get(f"/clients/{tenant.client.slug}/campaigns/{tenant.campaign.slug}/mail-templates/agenda",
                status=status)


def test_another_clients_account_manager_may_not_and_unknown_kinds_are_404(testapp, dbsession, tenant, api):  # noqa: F811
    other = Tenant(dbsession)
    login(testapp, other.account_manager)
    testapp.get(f"/clients/{tenant.client.slug}/mail-templates/", status=403)
    testapp.reset()
    login(testapp, tenant.account_manager)
    testapp.get(f"/clients/{tenant.client.slug}/mail-templates/nothing", status=404)
    answer = api(other.account_manager).testapp.put_json(
        f"/api/v1/clients/{tenant.client.slug}/mail-templates/agenda", defaults_of("agenda"),
        headers=api(other.account_manager).headers, status=403)
    assert answer.json["error"]["code"] == "forbidden"
    client_api = api(tenant.client_user)
    client_api.get(f"/clients/{tenant.client.slug}/mail-templates/agenda", status=403)


def test_the_client_folder_links_the_templates_for_who_may_edit_them(testapp, tenant):  # noqa: F811
    login(testapp, tenant.account_manager)
    assert testapp.get(f"/clients/{tenant.client.slug}/").html.select_one("#mail-templates-link") is not None
    testapp.reset()
    login(testapp, tenant.client_user)
    assert testapp.get(f"/clients/{tenant.client.slug}/").html.select_one("#mail-templates-link") is None


def test_edit_preview_save_and_reset_a_template(testapp, dbsession, tenant):  # noqa: F811
    login(testapp, tenant.account_manager)
    url = f"/clients/{tenant.client.slug}/mail-templates/agenda"
    page = testapp.get(url)
    assert page.html.select_one("#template-source")["data-source"] == "default"
    names = [node.text for node in page.html.select("#template-variables dt code")]
    assert names == ["{{ client }}", "{{ agent }}", "{{ day }}", "{{ count }}", "{{ appointments }}"]

    form = page.forms["template-form"]
    form["subject_it"] = "Giornata di {{ agent }}"
    form["body_it"] = "{% for a in appointments %}{{ a.time }} {{ a.prospect }}\n{% endfor %}"
    preview = form.submit("preview")
    subjects = [node.text for node in preview.html.select(".preview-subject")]
    assert subjects[0] == "Giornata di Mario Rossi" and "10:00 Giovanni Galli" in preview.html.select(".preview-body")[0].text
    assert stored(dbsession) == 0  # a preview saves nothing

    form = preview.forms["template-form"]
    form["body_en"] = "{{ agent.name() }} {% endfor %}"
    refused = form.submit("save", status=422)
    assert "not valid" in refused.html.select_one("#template-form").text.lower() or refused.html.select(".invalid-feedback")
    assert stored(dbsession) == 0

    form = refused.forms["template-form"]
    form["body_en"] = "{{ count }} appointments"
    saved = form.submit("save", status=302).follow()
    assert saved.html.select_one("#template-source")["data-source"] == "client"
    row = dbsession.execute(select(MailTemplate)).scalar_one()
    assert (row.subject_it, row.body_en, row.campaign_id) == ("Giornata di {{ agent }}", "{{ count }} appointments",
                                                             None)

    campaign_page = testapp.get(f"/clients/{tenant.client.slug}/campaigns/{tenant.campaign.slug}/mail-templates/")
    sources = {row["data-kind"]: row["data-source"] for row in campaign_page.html.select("#mail-kinds tr[data-kind]")}
    assert sources == {"quota_alert": "default", "agenda": "client", "reminder": "default",
                       "cancellation_requested": "default", "cancellation_decided": "default"}

    saved.forms["reset-form"].submit("reset", status=302)
    assert stored(dbsession) == 0
    assert testapp.get(url).html.select_one("#template-source")["data-source"] == "default"


def test_the_pages_are_in_italian(testapp, tenant):  # noqa: F811
    login(testapp, tenant.admin)
    page = testapp.get(f"/clients/{tenant.client.slug}/mail-templates/", headers={"Accept-Language": "it"})
    assert "Modelli di e-mail" in page.text and "Avviso di quota" in page.text
