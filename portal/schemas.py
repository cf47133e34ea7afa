"""Forms of the web shell: login and password change."""
import colander
import deform
from pyramid.csrf import get_csrf_token

from portal.i18n import _

MIN_PASSWORD_LENGTH = 10


@colander.deferred
def deferred_csrf_token(node, kw):
    return get_csrf_token(kw["request"])


class CSRFSchema(colander.MappingSchema):
    """Every browser form carries the session's CSRF token (checked by Pyramid before the view)."""

    csrf_token = colander.SchemaNode(
        colander.String(), widget=deform.widget.HiddenWidget(), default=deferred_csrf_token, missing=None
    )


class LoginSchema(CSRFSchema):
    email = colander.SchemaNode(
        colander.String(), title=_("E-mail"), validator=colander.Email(), widget=deform.widget.TextInputWidget(
            attributes={"type": "email", "autocomplete": "username"}
        )
    )
    password = colander.SchemaNode(
        colander.String(), title=_("Password"), widget=deform.widget.PasswordWidget(
            attributes={"autocomplete": "current-password"}
        )
    )


def new_password_validator(node, value):
    if value["new_password"] != value["confirm_password"]:
        error = colander.Invalid(node)  # a child error, so the form shows it next to the field
        error["confirm_password"] = _("passwords_differ", default="The two passwords differ.")
        raise error


class PasswordChangeSchema(CSRFSchema):
    current_password = colander.SchemaNode(
        colander.String(), title=_("Current password"), widget=deform.widget.PasswordWidget()
    )
    new_password = colander.SchemaNode(
        colander.String(),
        title=_("New password"),
        validator=colander.Length(
            min=MIN_PASSWORD_LENGTH,
            min_err=_("password_too_short", default="At least ${min} characters."),
        ),
        widget=deform.widget.PasswordWidget(attributes={"autocomplete": "new-password"}),
    )
    confirm_password = colander.SchemaNode(
        colander.String(), title=_("Repeat the new password"), widget=deform.widget.PasswordWidget()
    )

    def validator(self, node, value):
        new_password_validator(node, value)
