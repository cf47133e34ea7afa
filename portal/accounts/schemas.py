"""The accounts' forms: login, two-factor code, password change, forgotten password."""
import colander
import deform

from portal.accounts.passwords import MIN_PASSWORD_LENGTH
from portal.forms import CSRFSchema
from portal.i18n import _


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


def new_password_node(title=_("New password")):
    return colander.SchemaNode(
        colander.String(),
        title=title,
        description=_("password_rule_help", default="At least 12 characters, not one of the most common passwords."),
        validator=colander.Length(
            min=MIN_PASSWORD_LENGTH,
            min_err=_("password_too_short", default="At least ${min} characters."),
        ),
        widget=deform.widget.PasswordWidget(attributes={"autocomplete": "new-password"}),
    )


class PasswordChangeSchema(CSRFSchema):
    current_password = colander.SchemaNode(
        colander.String(), title=_("Current password"), widget=deform.widget.PasswordWidget()
    )
    new_password = new_password_node()
    confirm_password = colander.SchemaNode(
        colander.String(), title=_("Repeat the new password"), widget=deform.widget.PasswordWidget()
    )

    def validator(self, node, value):
        new_password_validator(node, value)


class ForgottenPasswordSchema(CSRFSchema):
    email = colander.SchemaNode(
        colander.String(), title=_("E-mail"), validator=colander.Email(), widget=deform.widget.TextInputWidget(
            attributes={"type": "email", "autocomplete": "username"}))


class PasswordResetSchema(CSRFSchema):
    token = colander.SchemaNode(colander.String(), widget=deform.widget.HiddenWidget(), missing="")
    new_password = new_password_node()
    confirm_password = colander.SchemaNode(
        colander.String(), title=_("Repeat the new password"), widget=deform.widget.PasswordWidget())

    def validator(self, node, value):
        new_password_validator(node, value)


class CodeSchema(CSRFSchema):
    code = colander.SchemaNode(
        colander.String(), title=_("Code"),
        description=_("code_help", default="The 6 digits your authenticator app shows, or one of your recovery codes."),
        validator=colander.Length(max=40),
        widget=deform.widget.TextInputWidget(attributes={"autocomplete": "one-time-code", "inputmode": "numeric"}))
