"""deform forms rendered with Bootstrap 5 and translated by the request's localizer, each with its CSRF token."""
from importlib.resources import files

import colander
import deform
from pyramid.csrf import get_csrf_token
from pyramid.threadlocal import get_current_request


def _translate(term):
    request = get_current_request()
    return request.localizer.translate(term) if request is not None else term


@colander.deferred
def deferred_csrf_token(node, kw):
    return get_csrf_token(kw["request"])


class CSRFSchema(colander.MappingSchema):
    """Every browser form carries the session's CSRF token (checked by Pyramid before the view)."""

    csrf_token = colander.SchemaNode(
        colander.String(), widget=deform.widget.HiddenWidget(), default=deferred_csrf_token, missing=None
    )


def make_form(request, schema, buttons, **kw):
    # deform titles a button given as a string with ``name.capitalize()``, a plain str that
    # loses the translation; passing the title explicitly keeps the TranslationString.
    buttons = [deform.Button(button, title=button) if isinstance(button, str) else button for button in buttons]
    return deform.Form(schema.bind(request=request, **kw), buttons=buttons)


def validate(form, request):
    """The appstruct, or None with the errors placed on the form (it re-renders with them)."""
    try:
        return form.validate(request.POST.items())
    except deform.ValidationFailure:
        return None


def set_field_error(form, field_name, message):
    """Show a service's refusal next to the field it names, or at the top of the form."""
    target = form
    if field_name:
        for child in form.children:
            if child.name == field_name.split(".")[0]:
                target = child
                break
    error = colander.Invalid(target.schema, message)
    target.error = error
    if target is not form:
        form.error = colander.Invalid(form.schema, message)


def includeme(config):
    config.add_translation_dirs("colander:locale", "deform:locale")
    # The portal's own templates first (form.pt announces errors), then deform's.
    renderer = deform.ZPTRendererFactory([str(files("portal") / "deform_templates"), str(files("deform") / "templates")],
                                         translator=_translate)
    deform.Form.set_default_renderer(renderer)
