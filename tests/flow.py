"""Walk through the site as a person would: read the page, fill the form, press the button."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.security import check_password_hash

from app.assessment.bank import DONT_KNOW, Bank, Item, load_bank
from app.extensions import db
from app.models import ContactRequest, Organisation, StaffUser
from app.staff import accounts, lifecycle
from app.times import utcnow

Strategy = Callable[[Item], str]


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def item_on_page(html: str) -> str:
    match = re.search(r'name="item_id" type="hidden" value="([^"]+)"', html)
    assert match, "no question on the page"
    return match.group(1)


def path_of(location: str) -> str:
    return urlsplit(location).path


def start_test(client: FlaskClient) -> str:
    """Press "Commencer le test"; return the first question's path."""
    token = csrf_token(client.get("/test").get_data(as_text=True))
    response = client.post("/test", data={"csrf_token": token})
    assert response.status_code == 303, response.status_code
    return path_of(response.headers["Location"])


def post_answer(client: FlaskClient, path: str, response: str) -> tuple[int, str, str]:
    """Answer the question at ``path``; return (status, where it leads, the item id)."""
    html = client.get(path).get_data(as_text=True)
    item_id = item_on_page(html)
    data: dict[str, object] = {"csrf_token": csrf_token(html), "item_id": item_id}
    if response == DONT_KNOW:
        data["je_ne_sais_pas"] = "1"
    else:
        data["choice"] = response
        data["text"] = response
    posted = client.post(path, data=data)
    return posted.status_code, path_of(posted.headers.get("Location", path)), item_id


def right_answer(item: Item) -> str:
    if item.kind == "text":
        return item.accepted[0]
    return str(next(iter(item.answer)))


def wrong_answer(item: Item) -> str:
    if item.kind == "text":
        return "zzz"
    return next(str(n) for n in range(1, len(item.options) + 1) if n not in item.answer)


def take_test(
    client: FlaskClient, bank: Bank, strategy: Strategy = right_answer, path: str | None = None
) -> list[str]:
    """Answer every question until the results; return the item ids in the order asked.
    ``path``: the first question, when the test was started another way (with a mediator)."""
    path = path or start_test(client)
    asked: list[str] = []
    for _step in range(40):
        if path == "/resultats":
            return asked
        if path == "/test/pause":
            page = client.get(path).get_data(as_text=True)
            path = re.search(r'href="(/test/question/\d+)"', page).group(1)  # type: ignore[union-attr]
            continue
        html = client.get(path).get_data(as_text=True)
        item = bank.get(item_on_page(html))
        assert item is not None
        status, path, item_id = post_answer(client, path, strategy(item))
        assert status == 303, f"answering {item_id} gave {status}"
        asked.append(item_id)
    raise AssertionError("the test did not end after 40 questions")


STAFF_PASSWORD = "un mot de passe assez long"


def make_organisation(
    app: Flask, name: str = "France Services de Saint-Denis", place_id: str | None = None
) -> Organisation:
    with app.app_context():
        organisation = accounts.create_organisation(
            db.session, name=name, kind="france-services", postcode="93200", place_id=place_id
        )
        db.session.expunge(organisation)
        return organisation


def make_staff(app: Flask, organisation_id: int | None, role: str = "mediator") -> str:
    """A staff account; returns its e-mail."""
    email = f"{role}-{secrets.token_hex(4)}@repere.example"
    with app.app_context():
        accounts.create_staff(
            db.session,
            email=email,
            name=f"Camille ({role})",
            password=STAFF_PASSWORD,
            role=role,
            organisation_id=organisation_id,
        )
    return email


def reset_password(app: Flask, email: str) -> str:
    """The account's password is reset from the command line; returns the one-time code."""
    with app.app_context():
        account = lifecycle.find_account(db.session, email)
        return lifecycle.reset_password(db.session, account, by=None, now=utcnow())


def signed_in_with_one_time_code(client: FlaskClient) -> dict[str, int]:
    """A mediator whose password was reset, signed in in ``client`` with the one-time code."""
    app = client.application
    email = make_staff(app, make_organisation(app).id)
    assert sign_in(client, email, reset_password(app, email)) == 303
    return {}


def sign_in(client: FlaskClient, email: str, password: str = STAFF_PASSWORD) -> int:
    html = client.get("/pro/connexion").get_data(as_text=True)
    data = {"csrf_token": csrf_token(html), "email": email, "password": password}
    return client.post("/pro/connexion", data=data).status_code


def share_results(client: FlaskClient, organisation: Organisation | None = None) -> int:
    """The person in ``client`` shares their results for 6 months; returns their person id."""
    app = client.application
    organisation = organisation or make_organisation(app)
    html = client.get("/partager").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(html),
        "code": organisation.share_code,
        "months": "6",
        "display_name": "A. B.",
    }
    response = client.post("/partager", data=data)
    assert response.status_code == 303, response.status_code
    return person_id_in(client)


def person_ref_in(client: FlaskClient) -> str:
    """The ``ref`` of the person that the browser's session holds."""
    with client.session_transaction() as session:
        return str(session["person"]["ref"])


def person_id_in(client: FlaskClient) -> int:
    """The id of the person that the browser's session holds."""
    return person_id_of_ref(client.application, person_ref_in(client))


def person_id_of_ref(app: Flask, ref: str) -> int:
    from app.models import Person

    with app.app_context():
        return db.session.scalars(select(Person.id).where(Person.ref == ref)).one()


def post_form(client: FlaskClient, path: str, data: dict[str, object]) -> tuple[int, str]:
    """Fill the form of the page at ``path`` with ``data`` and press its button, as a browser
    does (its hidden fields go too); return the status and where it leads (the page's own
    path when it comes back with errors)."""
    html = client.get(path).get_data(as_text=True)
    hidden = dict(re.findall(r'<input name="([^"]+)" type="hidden" value="([^"]*)"', html))
    action = urlsplit(path).path
    response = client.post(action, data={**hidden, **data})
    return response.status_code, path_of(response.headers.get("Location", action))


#: The questions of a request to be contacted, in order, with what a person answers.
def contact_answers(
    organisation: Organisation,
    channel: str = "phone",
    phone: str = "06 12 34 56 78",
    email: str = "",
) -> dict[str, dict[str, object]]:
    return {
        "/etre-contacte": {"code": organisation.share_code},
        "/etre-contacte/comment": {"channel": channel},
        "/etre-contacte/quand": {"slots": ["mon-am", "thu-pm"]},
        "/etre-contacte/coordonnees": {"phone": phone, "email": email},
    }


def ask_to_be_contacted(
    client: FlaskClient,
    organisation: Organisation,
    channel: str = "phone",
    until: str = "/etre-contacte/envoyee",
    start: str = "/etre-contacte",
    phone: str = "06 12 34 56 78",
    email: str = "",
) -> str:
    """Answer each question of a request to be contacted, then send it; stop on reaching
    ``until``. Returns the page reached."""
    answers = contact_answers(organisation, channel, phone, email)
    path = start
    for _step in range(8):
        if path == until:
            return path
        status, path = post_form(client, path, answers.get(urlsplit(path).path, {}))
        assert status == 303, f"{path}: {status}"
    raise AssertionError(f"never reached {until}")


def staff_signed_in(client: FlaskClient, role: str = "mediator") -> dict[str, int]:
    """A staff member signed in in ``client``, whose organisation follows one person
    (results shared, and a request to be contacted). Returns their ids."""
    app = client.application
    organisation = make_organisation(app)
    person = app.test_client()
    take_test(person, load_bank())
    person_id = share_results(person, organisation)
    ask_to_be_contacted(person, organisation)
    with app.app_context():
        request_id = db.session.scalars(
            select(ContactRequest.id).where(ContactRequest.person_id == person_id)
        ).one()
    email = make_staff(app, organisation.id, role)
    if role == "admin":  # someone else's account, for the buttons of the list of accounts
        make_staff(app, organisation.id)
    assert sign_in(client, email) == 303
    return {"person": person_id, "request": request_id}


def demo(app: Flask) -> dict[str, object]:
    """Run ``flask demo`` in this app once; return what it printed, read: the accounts
    (role → (e-mail, password)) and the ids of its people and requests."""
    known = app.extensions.get("tests-demo")
    if known is not None:
        return known
    output = app.test_cli_runner().invoke(args=["demo"]).output
    found = re.findall(r"^(\w+): (\S+@\S+)  mot de passe : (\S+)$", output, re.M)
    assert len(found) == 3, output
    from app.demo import DEMO_ORGANISATION
    from app.models import Consent, Person

    with app.app_context():
        organisation_id = db.session.scalar(
            select(Organisation.id).where(Organisation.name == DEMO_ORGANISATION)
        )
        people = db.session.scalars(
            select(Person.id)
            .join(Consent, Consent.person_id == Person.id)
            .where(Consent.organisation_id == organisation_id)
            .distinct()
            .order_by(Person.id)
        ).all()
        requests = dict(
            db.session.execute(
                select(ContactRequest.status, ContactRequest.id)
                .where(ContactRequest.organisation_id == organisation_id)
                .order_by(ContactRequest.id.desc())
            ).all()
        )
    known = {
        "output": output,
        "accounts": {role: (email, password) for role, email, password in found},
        "people": list(people),
        "requests": requests,
    }
    app.extensions["tests-demo"] = known
    return known


def restore_demo_account(app: Flask, email: str, password: str) -> None:
    """The demo account as ``flask demo`` left it: another test (the administrator's
    buttons, posted by the security tests) may have deactivated it or reset its password."""
    with app.app_context():
        account = db.session.scalars(select(StaffUser).where(StaffUser.email == email)).one()
        if not check_password_hash(account.password_hash, password):
            account.password_hash = accounts.hash_password(password)
        account.active = True
        account.must_set_password = False
        account.password_expires_at = None
        account.failed_sign_ins = 0
        account.locked_until = None
        db.session.commit()


def restore_open_requests(app: Flask, requests: dict[str, int]) -> None:
    """The demo's new and in-progress requests open again: a test that answered one (the
    security tests press every button) leaves the next visitor a request to answer."""
    with app.app_context():
        for status in ("new", "in-progress"):
            request = db.session.get(ContactRequest, requests[status])
            if request is not None and request.status != status:
                request.status = status
                request.closed_at = None
                if status == "new":
                    request.answered_at = None
        db.session.commit()


def demo_signed_in(client: FlaskClient, role: str = "mediator") -> dict[str, int]:
    """A demo account (``flask demo``) signed in in ``client``; the ids its pages show:
    the first demo person, and a request of each status (``request-done``…)."""
    loaded = demo(client.application)
    for account in loaded["accounts"].values():  # type: ignore[union-attr]
        restore_demo_account(client.application, *account)
    restore_open_requests(client.application, loaded["requests"])  # type: ignore[arg-type]
    email, password = loaded["accounts"][role]  # type: ignore[index]
    assert sign_in(client, email, password) == 303
    ids = {"person": loaded["people"][1]}  # type: ignore[index]
    for status, request_id in loaded["requests"].items():  # type: ignore[union-attr]
        ids["request" if status == "new" else f"request-{status}"] = request_id
    return ids


def assisted_started(client: FlaskClient) -> dict[str, int]:
    """A demo mediator signed in in ``client`` starts a test with someone (« Nouvelle
    personne accompagnée »), who gives initials; returns the ids of ``demo_signed_in``."""
    ids = demo_signed_in(client)
    html = client.get("/pro/accompagnement").get_data(as_text=True)
    data = {"csrf_token": csrf_token(html), "months": "6", "display_name": "C. D."}
    response = client.post("/pro/accompagnement", data=data)
    assert response.status_code == 303, response.status_code
    return ids


def mark_step_done(client: FlaskClient, job_journey: str, step_id: str) -> None:
    """The person in ``client`` marks a step of a job journey as done."""
    html = client.get(f"/parcours/{job_journey}/{step_id}").get_data(as_text=True)
    data = {"csrf_token": csrf_token(html), "fait": "oui"}
    response = client.post(f"/parcours/{job_journey}/{step_id}/fait", data=data)
    assert response.status_code == 303, response.status_code


def record_everything(staff: FlaskClient, person_id: int, place_id: str, note: str) -> None:
    """A signed-in staff member opens the person's page (written in the access journal) and
    records chèques, an orientation and a note."""
    html = staff.get(f"/pro/personnes/{person_id}").get_data(as_text=True)
    token = csrf_token(html)
    for path, data in (
        ("cheques", {"booklet_number": "AB-123", "count": "4", "expires_on": "2099-06-30"}),
        ("orientation", {"place_id": place_id}),
        ("note", {"note": note}),
    ):
        data |= {"csrf_token": token, "form_key": secrets.token_hex(8)}
        response = staff.post(f"/pro/personnes/{person_id}/{path}", data=data)
        assert response.status_code == 303, (path, response.get_data(as_text=True)[:2000])


def a_person_with_everything(
    app: Flask, note: str = "Note pour effacement 7f3a"
) -> dict[str, object]:
    """A person who took the test, marked a step done, shared their results, asked to be
    contacted; staff opened their page and request, and recorded chèques, an orientation
    and a note. Returns the person's client, person id, and the staff client."""
    from app.journeys import load_journeys
    from app.models import Place

    organisation = make_organisation(app)
    person = app.test_client()
    take_test(person, load_bank())
    job = next(iter(load_journeys().values()))
    mark_step_done(person, job.id, job.steps[0].id)
    person_id = share_results(person, organisation)
    ask_to_be_contacted(person, organisation)
    staff = app.test_client()
    assert sign_in(staff, make_staff(app, organisation.id)) == 303
    with app.app_context():
        place_id = db.session.scalars(select(Place.id).limit(1)).one()
        request_id = db.session.scalars(
            select(ContactRequest.id).where(ContactRequest.person_id == person_id)
        ).one()
    record_everything(staff, person_id, place_id, note)
    assert staff.get(f"/pro/demandes/{request_id}").status_code == 200
    return {"person": person, "person_id": person_id, "staff": staff, "note": note}


def assisted_test(client: FlaskClient) -> int:
    """The staff member signed in in ``client`` runs a test with a new person on this
    computer (« Nouvelle personne accompagnée »), to the results; returns the person's id."""
    html = client.get("/pro/accompagnement").get_data(as_text=True)
    response = client.post(
        "/pro/accompagnement", data={"csrf_token": csrf_token(html), "months": "6"}
    )
    assert response.status_code == 303, response.status_code
    take_test(client, load_bank(), path=path_of(response.headers["Location"]))
    return person_id_in(client)
