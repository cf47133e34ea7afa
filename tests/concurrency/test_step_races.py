"""Renewals drafted at once get distinct numbers, committing for real from parallel requests."""
from sqlalchemy import delete, select
from sqlalchemy.orm import sessionmaker

from campaigns.models import Client, Step
from portal.accounts.models import User
from tests.factories import Tenant, make_token


def test_renewals_drafted_at_once_are_numbered_one_after_the_other(engine, wsgi_app, fixed_clock):
    from tests.concurrency.test_booking_races import fire

    factory = sessionmaker(bind=engine)
    with factory() as session:
        tenant = Tenant(session, purchased=5)
        token = make_token(session, tenant.account_manager)
        session.commit()
        client_id, campaign_id = tenant.client.id, tenant.campaign.id
        users = [tenant.user(role).id for role in
                 ("client", "zone_manager", "agent", "operator", "account_manager", "admin")]
        path = f"/api/v1/clients/{tenant.client.slug}/campaigns/{tenant.campaign.slug}/steps"
    try:
        answers = fire(wsgi_app, [(path, {"quantity": 10}, {"Authorization": f"Bearer {token}"})] * 6)
        assert [answer.status_int for answer in answers] == [201] * 6
        assert sorted(answer.json["number"] for answer in answers) == [2, 3, 4, 5, 6, 7]
        with factory() as session:
            numbers = session.execute(select(Step.number).where(Step.campaign_id == campaign_id)).scalars()
            assert sorted(numbers) == [1, 2, 3, 4, 5, 6, 7]
    finally:
        with factory() as session:
            session.execute(delete(Client).where(Client.id == client_id))
            session.execute(delete(User).where(User.id.in_(users)))
            session.commit()
