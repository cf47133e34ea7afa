"""Personal API tokens: created once, shown once, revoked by their owner only."""
from tests.functional.conftest import login


def create_token(testapp, label="dialer"):
    page = testapp.get("/tokens")
    form = page.forms["deform"]
    form["label"] = label
    return form.submit().html.select_one("[data-token]").text.strip()


def test_a_created_token_opens_the_api_until_revoked(testapp, tenant):
    login(testapp, tenant.client_user)
    secret = create_token(testapp)
    headers = {"Authorization": f"Bearer {secret}"}
    testapp.get(f"/api/v1/clients/{tenant.client.slug}", headers=headers, status=200)

    page = testapp.get("/tokens")
    revoke = next(form for form in page.forms.values() if "token" in form.fields)
    revoke.submit(status=302)
    refused = testapp.get(f"/api/v1/clients/{tenant.client.slug}", headers=headers, status=401)
    assert refused.json["error"]["code"] == "unauthenticated"


def test_the_secret_is_not_stored_nor_shown_again(testapp, tenant, dbsession):
    from portal.accounts.models import ApiToken

    login(testapp, tenant.client_user)
    secret = create_token(testapp)
    assert secret not in testapp.get("/tokens").text
    stored = dbsession.query(ApiToken).filter_by(user_id=tenant.client_user.id).one()
    assert stored.digest == ApiToken.digest_of(secret) and secret not in (stored.digest, stored.prefix)


def test_nobody_revokes_another_users_token(testapp, tenant, dbsession):
    from portal.accounts.models import ApiToken
    from tests.factories import make_token

    make_token(dbsession, tenant.operator)
    theirs = dbsession.query(ApiToken).filter_by(user_id=tenant.operator.id).one()
    login(testapp, tenant.client_user)
    page = testapp.get("/tokens")
    testapp.post("/revoke-token", {"token": str(theirs.id), "csrf_token": page.forms["deform"]["csrf_token"].value},
                 status=302)
    dbsession.refresh(theirs)
    assert theirs.revoked_at is None


def test_an_empty_label_is_refused_next_to_the_field(testapp, tenant):
    login(testapp, tenant.client_user)
    form = testapp.get("/tokens").forms["deform"]
    form["label"] = ""
    page = form.submit(status=400)
    assert page.html.select(".invalid-feedback, .help-block, .error")


def test_revoking_a_token_number_that_is_not_one_is_a_redirect_not_a_500(testapp, tenant):
    login(testapp, tenant.client_user)
    page = testapp.get("/tokens")
    csrf = page.forms["deform"]["csrf_token"].value
    for bad in ("²", "١٢", "12a", "9" * 20, ""):
        testapp.post("/revoke-token", {"token": bad, "csrf_token": csrf}, status=302)
