"""Mail templates (spec §8): each kind of mail has a built-in subject and body in Italian and English,
which a client (or one of its campaigns) may replace. Templates are Jinja2 run in a *sandbox*: whoever
edits them cannot reach Python objects, only the documented variables of the kind.

Everything here is pure: the variables of a kind, the defaults, checking and rendering a template.
"""
from dataclasses import dataclass, field

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from portal.errors import RuleViolation
from portal.i18n import LOCALES, _

LANGUAGES = LOCALES  # ("it", "en"): Italian first
SUBJECT_MAX = 300
BODY_MAX = 20000
# A template that loops for ever or builds a huge text is refused, not run.
RENDER_LIMIT = 200_000


@dataclass(frozen=True)
class Variable:
    name: str
    description: object  # a TranslationString, shown on the edit page


@dataclass(frozen=True)
class MailKind:
    name: str
    title: object
    description: object
    variables: tuple
    sample: dict  # the Italian sample; ``sample_for`` writes it in English
    defaults: dict = field(default_factory=dict)  # language -> (subject, body)


SAMPLE_APPOINTMENT = {
    "number": 128, "date": "gio 26 nov 2026", "time": "10:00", "end": "11:00", "prospect": "Giovanni Galli",
    "company": "Bar Centrale", "phone": "+39 02 1234567", "address": "Via Roma 1, Milano, 20121 MI",
    "postal_code": "20121", "campaign": "Serramenti 2026",
    "state": "confermato", "notes": "Suonare due volte",
}
APPOINTMENT_FIELDS = "number, date, time, end, prospect, company, phone, address, postal_code, campaign, state, notes"
# The sample data in English: dates and states are written in the mail's language.
ENGLISH_SAMPLE = {"date": "Thu 26 Nov 2026", "day": "Thursday 26 November 2026", "state": "Confirmed",
                  "notes": "Ring twice", "reason": "Wrong target", "decision": "approved",
                  "decision_notes": "A recovery will follow"}

QUOTA_ALERT = MailKind(
    name="quota_alert",
    title=_("mail_kind_quota_alert", default="Quota alert"),
    description=_("mail_kind_quota_alert_help", default="To the client's users and its account manager when "
                  "taken crosses a threshold of purchased (80, 90 and 100 percent by default)."),
    variables=(
        Variable("client", _("mail_var_client", default="The client's name")),
        Variable("campaign", _("mail_var_campaign", default="The campaign's name")),
        Variable("threshold", _("mail_var_threshold", default="The threshold crossed, in percent")),
        Variable("taken", _("mail_var_taken", default="Appointments taken")),
        Variable("purchased", _("mail_var_purchased", default="Appointments purchased")),
        Variable("remaining", _("mail_var_remaining", default="Places left")),
    ),
    sample={"client": "Demo Serramenti", "campaign": "Serramenti 2026", "threshold": 80, "taken": 160,
            "purchased": 200, "remaining": 40},
    defaults={
        "it": ("[{{ client }}] {{ campaign }}: {{ threshold }}% ({{ taken }}/{{ purchased }})",
               "Campagna {{ campaign }}: presi {{ taken }} appuntamenti su {{ purchased }} acquistati "
               "({{ threshold }}%).\n"
               "Contattateci prima del raggiungimento del totale per rinnovare senza interruzioni.\n"),
        "en": ("[{{ client }}] {{ campaign }}: {{ threshold }}% ({{ taken }}/{{ purchased }})",
               "Campaign {{ campaign }}: {{ taken }} appointments taken of {{ purchased }} purchased "
               "({{ threshold }}%).\n"
               "Contact us before the total is reached, to renew without a pause.\n"),
    },
)

AGENDA = MailKind(
    name="agenda",
    title=_("mail_kind_agenda", default="Agent's daily agenda"),
    description=_("mail_kind_agenda_help", default="Each morning, to every agent with appointments that day: "
                  "the list of the day's meetings."),
    variables=(
        Variable("client", _("mail_var_client", default="The client's name")),
        Variable("agent", _("mail_var_agent", default="The agent's name")),
        Variable("day", _("mail_var_day", default="The day, written out")),
        Variable("count", _("mail_var_count", default="How many appointments")),
        Variable("appointments", _("mail_var_appointments", default="The list of appointments; each has: ${fields}",
                                   mapping={"fields": APPOINTMENT_FIELDS})),
    ),
    sample={"client": "Demo Serramenti", "agent": "Mario Rossi", "day": "giovedì 26 novembre 2026", "count": 2,
            "appointments": [SAMPLE_APPOINTMENT, dict(SAMPLE_APPOINTMENT, number=131, time="14:30", end="15:30",
                                                      prospect="Laura Bianchi", company="Ferramenta Bianchi",
                                                      phone="+39 02 7654321", address="Corso Como 5, Milano, 20154 MI",
                                                      state="da confermare", notes="")]},
    defaults={
        "it": ("Appuntamenti di {{ day }} ({{ count }})",
               "Buongiorno {{ agent }},\n\necco gli appuntamenti di {{ day }}:\n\n"
               "{% for a in appointments %}{{ a.time }}-{{ a.end }}  n. {{ a.number }}  {{ a.prospect }}"
               "{% if a.company %} ({{ a.company }}){% endif %}\n"
               "    {{ a.address }} · tel. {{ a.phone }}\n    {{ a.campaign }} · {{ a.state }}"
               "{% if a.notes %}\n    Note: {{ a.notes }}{% endif %}\n\n{% endfor %}"
               "Buon lavoro.\n"),
        "en": ("Appointments of {{ day }} ({{ count }})",
               "Good morning {{ agent }},\n\nhere are the appointments of {{ day }}:\n\n"
               "{% for a in appointments %}{{ a.time }}-{{ a.end }}  no. {{ a.number }}  {{ a.prospect }}"
               "{% if a.company %} ({{ a.company }}){% endif %}\n"
               "    {{ a.address }} · phone {{ a.phone }}\n    {{ a.campaign }} · {{ a.state }}"
               "{% if a.notes %}\n    Notes: {{ a.notes }}{% endif %}\n\n{% endfor %}"
               "Have a good day.\n"),
    },
)

REMINDER = MailKind(
    name="reminder",
    title=_("mail_kind_reminder", default="Reminder before a meeting"),
    description=_("mail_kind_reminder_help", default="To the agent, the campaign's number of hours before each "
                  "meeting (campaign setting reminder_hours; empty: no reminders)."),
    variables=(
        Variable("client", _("mail_var_client", default="The client's name")),
        Variable("agent", _("mail_var_agent", default="The agent's name")),
        Variable("hours", _("mail_var_hours", default="Hours before the meeting the reminder is sent")),
        Variable("appointment", _("mail_var_appointment", default="The appointment; it has: ${fields}",
                                  mapping={"fields": APPOINTMENT_FIELDS})),
    ),
    sample={"client": "Demo Serramenti", "agent": "Mario Rossi", "hours": 24, "appointment": SAMPLE_APPOINTMENT},
    defaults={
        "it": ("Promemoria: {{ appointment.prospect }}, {{ appointment.date }} {{ appointment.time }}",
               "Buongiorno {{ agent }},\n\nle ricordiamo l'appuntamento n. {{ appointment.number }}:\n\n"
               "{{ appointment.date }}, {{ appointment.time }}-{{ appointment.end }}\n"
               "{{ appointment.prospect }}{% if appointment.company %} ({{ appointment.company }}){% endif %}\n"
               "{{ appointment.address }} · tel. {{ appointment.phone }}\n"
               "{{ appointment.campaign }} · {{ appointment.state }}\n"
               "{% if appointment.notes %}Note: {{ appointment.notes }}\n{% endif %}"),
        "en": ("Reminder: {{ appointment.prospect }}, {{ appointment.date }} {{ appointment.time }}",
               "Good morning {{ agent }},\n\na reminder of appointment no. {{ appointment.number }}:\n\n"
               "{{ appointment.date }}, {{ appointment.time }}-{{ appointment.end }}\n"
               "{{ appointment.prospect }}{% if appointment.company %} ({{ appointment.company }}){% endif %}\n"
               "{{ appointment.address }} · phone {{ appointment.phone }}\n"
               "{{ appointment.campaign }} · {{ appointment.state }}\n"
               "{% if appointment.notes %}Notes: {{ appointment.notes }}\n{% endif %}"),
    },
)

CANCELLATION_VARIABLES = (
    Variable("client", _("mail_var_client", default="The client's name")),
    Variable("appointment", _("mail_var_appointment", default="The appointment; it has: ${fields}",
                              mapping={"fields": APPOINTMENT_FIELDS})),
    Variable("reason", _("mail_var_reason", default="The reason given for the cancellation")),
    Variable("notes", _("mail_var_request_notes", default="The requester's notes")),
    Variable("requested_by", _("mail_var_requested_by", default="Who asked for the cancellation")),
)
CANCELLATION_SAMPLE = {"client": "Demo Serramenti", "appointment": SAMPLE_APPOINTMENT,
                       "reason": "Target sbagliato", "notes": "Non è il titolare", "requested_by": "Laura Verdi"}

CANCELLATION_REQUESTED = MailKind(
    name="cancellation_requested",
    title=_("mail_kind_cancellation_requested", default="Cancellation request to decide"),
    description=_("mail_kind_cancellation_requested_help", default="To the client's account manager when a client "
                  "user or a zone manager asks to cancel an appointment (rule 5)."),
    variables=CANCELLATION_VARIABLES,
    sample=CANCELLATION_SAMPLE,
    defaults={
        "it": ("[{{ client }}] Richiesta di annullamento: appuntamento n. {{ appointment.number }}",
               "{{ requested_by }} chiede di annullare l'appuntamento n. {{ appointment.number }} "
               "({{ appointment.campaign }}):\n\n"
               "{{ appointment.date }}, {{ appointment.time }}-{{ appointment.end }} · {{ appointment.prospect }}\n"
               "Motivo: {{ reason }}\n{% if notes %}Note: {{ notes }}\n{% endif %}\n"
               "La richiesta attende la sua decisione nel portale (Cruscotto, richieste di annullamento).\n"),
        "en": ("[{{ client }}] Cancellation request: appointment no. {{ appointment.number }}",
               "{{ requested_by }} asks to cancel appointment no. {{ appointment.number }} "
               "({{ appointment.campaign }}):\n\n"
               "{{ appointment.date }}, {{ appointment.time }}-{{ appointment.end }} · {{ appointment.prospect }}\n"
               "Reason: {{ reason }}\n{% if notes %}Notes: {{ notes }}\n{% endif %}\n"
               "The request waits for your decision in the portal (Dashboard, cancellation requests).\n"),
    },
)
CANCELLATION_DECIDED = MailKind(
    name="cancellation_decided",
    title=_("mail_kind_cancellation_decided", default="Cancellation request decided"),
    description=_("mail_kind_cancellation_decided_help", default="To whoever asked for a cancellation when the "
                  "account manager approves or rejects it (rule 5)."),
    variables=CANCELLATION_VARIABLES + (
        Variable("approved", _("mail_var_approved", default="Whether the cancellation is approved (true or false)")),
        Variable("decision", _("mail_var_decision", default="The decision, written out")),
        Variable("decision_notes", _("mail_var_decision_notes", default="The account manager's notes")),
    ),
    sample=dict(CANCELLATION_SAMPLE, approved=True, decision="approvato", decision_notes="Recupero in arrivo"),
    defaults={
        "it": ("[{{ client }}] Annullamento {{ decision }}: appuntamento n. {{ appointment.number }}",
               "La richiesta di annullamento dell'appuntamento n. {{ appointment.number }} "
               "({{ appointment.date }}, {{ appointment.time }} · {{ appointment.prospect }}) è stata: "
               "{{ decision }}.\n"
               "{% if decision_notes %}Note: {{ decision_notes }}\n{% endif %}"
               "{% if approved %}Il posto torna disponibile e vi è dovuto un recupero.\n{% endif %}"),
        "en": ("[{{ client }}] Cancellation {{ decision }}: appointment no. {{ appointment.number }}",
               "The request to cancel appointment no. {{ appointment.number }} "
               "({{ appointment.date }}, {{ appointment.time }} · {{ appointment.prospect }}) was "
               "{{ decision }}.\n"
               "{% if decision_notes %}Notes: {{ decision_notes }}\n{% endif %}"
               "{% if approved %}The place is free again and a recovery is owed to you.\n{% endif %}"),
    },
)


def sample_for(kind, language):
    """The kind's sample data written in ``language``."""
    if language == "it":
        return kind.sample

    def english(value):
        if isinstance(value, dict):
            return {key: english(item) for key, item in value.items()} | {
                key: ENGLISH_SAMPLE[key] for key in value if key in ENGLISH_SAMPLE and isinstance(value[key], str)
                and value[key]}
        if isinstance(value, list):
            return [english(item) for item in value]
        return value

    return english(kind.sample)


KINDS = {kind.name: kind for kind in (QUOTA_ALERT, AGENDA, REMINDER, CANCELLATION_REQUESTED, CANCELLATION_DECIDED)}


class _LimitedSandbox(SandboxedEnvironment):
    """No attribute starting with an underscore, no method calls on objects: only the data given."""

    def is_safe_callable(self, obj):
        return False


_environment = _LimitedSandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


def template_invalid(field, detail):
    return RuleViolation("template_invalid", _("template_invalid_detail", default="The template is not valid: "
                                               "${detail}", mapping={"detail": detail}), field)


def render_text(source, variables, field="body"):
    """Render one template with ``variables``; a syntax error, an unknown variable or a forbidden
    access is refused with ``template_invalid`` naming ``field``."""
    try:
        text = _environment.from_string(source).render(variables)
    except TemplateError as error:
        line = getattr(error, "lineno", None)
        detail = f"{error.message or error.__class__.__name__}" + (f" (line {line})" if line else "")
        raise template_invalid(field, detail)
    except (TypeError, ValueError, ArithmeticError, LookupError, RecursionError) as error:
        raise template_invalid(field, str(error) or error.__class__.__name__)
    if len(text) > RENDER_LIMIT:
        raise template_invalid(field, "too long")
    return text


def render(kind, language, subject, body, variables):
    """(subject, body) of a mail; the subject is one line."""
    subject = " ".join(render_text(subject, variables, f"{language}.subject").split())
    return subject, render_text(body, variables, f"{language}.body")


def check_templates(kind, texts):
    """Refuse what would not render with the kind's sample data: ``texts`` is
    {language: {"subject", "body"}}. Returns the previews {language: (subject, body)}."""
    kind = KINDS[kind]
    previews = {}
    for language in LANGUAGES:
        subject, body = texts[language]["subject"], texts[language]["body"]
        if not subject.strip():
            raise RuleViolation("template_invalid", _("template_subject_required", default="The subject is "
                                                      "required."), f"{language}.subject")
        if len(subject) > SUBJECT_MAX or len(body) > BODY_MAX:
            raise RuleViolation("template_invalid", _("template_too_long", default="The template is too long."),
                                f"{language}.body" if len(body) > BODY_MAX else f"{language}.subject")
        previews[language] = render(kind, language, subject, body, sample_for(kind, language))
    return previews


def defaults_of(kind):
    return {language: {"subject": subject, "body": body}
            for language, (subject, body) in KINDS[kind].defaults.items()}


def mail_language(preferred):
    """The language a recipient reads: his/her own choice, else Italian (spec §2)."""
    return preferred if preferred in LANGUAGES else LANGUAGES[0]
