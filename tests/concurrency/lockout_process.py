"""One web process of the lockout test: ``python -m tests.concurrency.lockout_process INI EMAIL ADDRESS
PASSWORD...`` builds the app from the ini (as gunicorn's worker would), tries each password at the
login form from ADDRESS, and prints the statuses as JSON."""
import json
import sys

import webtest
from pyramid.paster import get_appsettings

from portal import make_app


def main(ini, email, address, *passwords):
    app = webtest.TestApp(make_app(get_appsettings(ini)), extra_environ={
        "HTTP_HOST": "localhost", "REMOTE_ADDR": address, "HTTP_ACCEPT_LANGUAGE": "it"})
    statuses = []
    for password in passwords:
        form = app.get("/login").forms["deform"]
        form["email"], form["password"] = email, password
        response = form.submit(status="*")
        statuses.append([response.status_int, response.headers.get("Retry-After")])
    print(json.dumps(statuses))


if __name__ == "__main__":
    main(*sys.argv[1:])
