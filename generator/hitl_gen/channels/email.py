"""Alert channel `email`: an e-mail to the agents, sent one of three ways (`via`):
`smtp` (nodemailer in the action), `http_api` (any JSON e-mail API through axios) or
`skill` (Botpress's SendEmail skill in the generated flow, SMTP set in basic-skills)."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Mapping, NamedTuple

from hitl_gen.channels.base import AlertChannel, EnvVar
from hitl_gen.texts import PLACEHOLDERS, Text, placeholder_problems, text_of, walk_strings

API_PLACEHOLDERS = ("from", "to", "subject", "text")  # the e-mail's own fields, for an API body
DEFAULT_API_BODY = MappingProxyType({"from": "{{from}}", "to": "{{to}}", "subject": "{{subject}}", "text": "{{text}}"})
SECRET_HOME = "headers with {env: EXPOSED_...}"
# A header is one line: a CR or LF in a value ends it early and makes the rest another
# header (or the body), and Node's HTTP client then refuses every request.
_ONE_LINE = {"pattern": "^[^\\r\\n]*$(?!\\n)", "x-hint": "a header value is one line: remove the line break"}
_HEADER_NAME = {"pattern": "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$(?!\\n)",
                "x-hint": "is not a header name; write one word of letters, digits and '-', e.g. X-Api-Key"}


class HeaderValue(NamedTuple):
    literal: str | None = None
    env: str | None = None
    prefix: str = ""


class EmailApi(NamedTuple):
    url: str | None
    url_env: str | None
    method: str
    headers: Mapping[str, HeaderValue]
    body: Mapping[str, Any]


class Email(NamedTuple):
    sender: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: Text
    body: Text
    via: str = "smtp"
    smtp_url_env: str = "EXPOSED_SMTP_URL"
    api: EmailApi | None = None
    kind = "email"


_SMTP = {
    "description": "SMTP settings for `via: smtp`.", "type": "object", "additionalProperties": False,
    "x-secret-keys": {"password": "url_env", "pass": "url_env", "user": "url_env", "url": "url_env", "host": "url_env"},
    "properties": {"url_env": {"$ref": "#/$defs/env_name", "examples": ["EXPOSED_SMTP_URL"],
                               "description": "Variable holding the SMTP connection string, e.g. smtps://user:password@smtp.example.com:465."}},
    "examples": [{"url_env": "EXPOSED_SMTP_URL"}],
}
_HTTP_API = {
    "description": "An HTTP e-mail API for `via: http_api`; provider-neutral.", "type": "object", "additionalProperties": False,
    "x-secret-keys": {"api_key": SECRET_HOME, "token": SECRET_HOME, "password": SECRET_HOME}, "minProperties": 1,
    "properties": {
        "url": {"type": "string", "pattern": "^https?://[^\\s]+$(?!\\n)", "description": "Endpoint URL (not secret).",
                "x-hint": "give a full http(s) URL, or use url_env", "examples": ["https://api.mail.example.com/v1/send"]},
        "url_env": {"$ref": "#/$defs/env_name", "description": "Variable holding the endpoint URL.", "examples": ["EXPOSED_MAIL_API_URL"]},
        "method": {"enum": ["POST", "PUT"], "default": "POST", "description": "HTTP method.", "examples": ["POST"]},
        "headers": {"description": "Request headers. A secret header takes its value from a variable: `{env: EXPOSED_MAIL_KEY, prefix: \"Bearer \"}`.",
                    "type": "object", "additionalProperties": {"$ref": "#/$defs/header_value"}, "propertyNames": _HEADER_NAME,
                    "examples": [{"Authorization": {"env": "EXPOSED_MAIL_API_KEY", "prefix": "Bearer "}}]},
        "body": {"description": "JSON body. String values may use {{from}}, {{to}}, {{subject}}, {{text}} and the message placeholders. Default: {from, to, subject, text}.",
                 "type": "object", "examples": [dict(DEFAULT_API_BODY)]},
    },
    "examples": [{"url": "https://api.mail.example.com/v1/send", "headers": {"Authorization": {"env": "EXPOSED_MAIL_API_KEY", "prefix": "Bearer "}}}],
}
_ADDRESS_PATTERN = "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$(?!\\n)"


class EmailChannel(AlertChannel):
    kind = "email"
    sender = "sendEmail"
    agent_texts = ("subject", "body")
    schema = {
        "description": "An e-mail to the agents.", "type": "object", "additionalProperties": False,
        "required": ["from", "to", "subject", "body"],
        "x-secret-keys": {"password": "smtp.url_env", "pass": "smtp.url_env", "smtp_password": "smtp.url_env", "api_key": "http_api." + SECRET_HOME},
        "properties": {
            "from": {"$ref": "#/$defs/email_address", "description": "Sender address.", "examples": ["bot@example.com"]},
            "to": {"$ref": "#/$defs/email_list", "description": "Recipients.", "examples": [["support@example.com"]]},
            "cc": {"$ref": "#/$defs/email_list", "description": "Copy recipients.", "examples": [["lead@example.com"]]},
            "subject": {"$ref": "#/$defs/text", "description": "Subject line.", "examples": [{"en": "{{full_name}} needs an agent"}]},
            "body": {"$ref": "#/$defs/text", "description": "Plain-text body.", "examples": [{"en": "Open {{hitl_url}} to answer {{full_name}}."}]},
            "via": {"description": "How the e-mail is sent: `smtp` (nodemailer in the action), `http_api` (an HTTP e-mail API through axios) "
                                   "or `skill` (Botpress's SendEmail skill in the generated flow).",
                    "enum": ["smtp", "http_api", "skill"], "default": "smtp", "examples": ["smtp"]},
            "smtp": _SMTP,
            "http_api": _HTTP_API,
        },
        "examples": [{"from": "bot@example.com", "to": "support@example.com", "subject": {"en": "Handoff"},
                      "body": {"en": "{{full_name}} waits at {{hitl_url}}"}}],
    }
    schema_defs = {
        "email_address": {"type": "string", "pattern": _ADDRESS_PATTERN,
                          "x-hint": "write an e-mail address such as support@example.com", "examples": ["support@example.com"]},
        "email_list": {"description": "One address or a list of addresses.", "type": ["array", "string"], "pattern": _ADDRESS_PATTERN,
                       "minItems": 1, "items": {"$ref": "#/$defs/email_address"},
                       "x-hint": "write an e-mail address such as support@example.com, or a list of them", "examples": [["support@example.com"]]},
        "header_value": {
            "description": "A literal value (non-secret headers only) or {env, prefix} for a value read from an EXPOSED_ variable.",
            "type": ["string", "object"], "additionalProperties": False, "required": ["env"], **_ONE_LINE,
            "properties": {"env": {"$ref": "#/$defs/env_name", "description": "Variable holding the value.", "examples": ["EXPOSED_MAIL_API_KEY"]},
                           "prefix": {"type": "string", "description": "Text put before the value, e.g. `Bearer `.", **_ONE_LINE,
                                      "examples": ["Bearer "]}},
            "examples": [{"env": "EXPOSED_MAIL_API_KEY", "prefix": "Bearer "}],
        },
    }

    def build(self, body, languages):
        return Email(sender=body["from"], to=_addresses(body["to"]), cc=_addresses(body.get("cc", ())),
                     subject=text_of(body["subject"], languages), body=text_of(body["body"], languages),
                     via=body.get("via", "smtp"), smtp_url_env=body.get("smtp", {}).get("url_env", "EXPOSED_SMTP_URL"),
                     api=_email_api(body["http_api"]) if "http_api" in body else None)

    def problems(self, doc, path, body, target):
        via = body.get("via", "smtp")
        for other in ("smtp", "http_api"):
            if other in body and other != via:
                yield doc.problem(path + (other,), f"{other!r} settings are given but via is {via!r}; "
                                  f"set via: {other} or remove them", at_key=True)
        if via != "http_api":
            return
        api = body.get("http_api")
        if api is None:
            yield doc.problem(path, "via: http_api needs an 'http_api' block with the endpoint's url or url_env")
        elif ("url" in api) == ("url_env" in api):
            yield doc.problem(path + ("http_api",), "give exactly one of 'url' or 'url_env' for the e-mail API endpoint")
        else:
            for where, value in walk_strings(api.get("body", {}), path + ("http_api", "body")):
                yield from placeholder_problems(doc, where, value, PLACEHOLDERS + API_PLACEHOLDERS, allow_user=True)

    def skill_only(self, alert) -> bool:
        return alert.via == "skill"

    def config(self, alert):
        api = alert.api
        return {
            "kind": "email", "via": alert.via, "from": alert.sender, "to": list(alert.to), "cc": list(alert.cc),
            "subject": dict(alert.subject), "body": dict(alert.body), "smtpUrlEnv": alert.smtp_url_env,
            "api": None if api is None else {
                "url": api.url, "urlEnv": api.url_env, "method": api.method, "body": dict(api.body),
                "headers": {name: {"literal": h.literal, "env": h.env, "prefix": h.prefix} for name, h in api.headers.items()},
            },
        }

    def env(self, alert, handoff_id):
        if alert.via == "smtp":
            return [EnvVar(alert.smtp_url_env, "SMTP connection string, e.g. smtps://user:password@smtp.example.com:465")]
        if alert.via != "http_api" or not alert.api:
            return []
        found = [EnvVar(alert.api.url_env, "e-mail API endpoint URL")] if alert.api.url_env else []
        return found + [EnvVar(h.env, f"value of the {name} header of the e-mail API") for name, h in alert.api.headers.items() if h.env]

    def npm_packages(self, alert):
        return ("nodemailer",) if alert.via == "smtp" else ()

    def install_note(self, alert):
        if alert.via != "skill":
            return None
        return ("E-mails sent with the **SendEmail skill** use the SMTP connection of the basic-skills\n"
                "module: set `transportConnectionString` in `data/global/config/basic-skills.json`\n"
                "(keep the file out of version control, since it holds the SMTP password).")

    def element_texts(self, alert):
        return [alert.subject, alert.body] if alert.via == "skill" else []

    def flow_step(self, alert, index, flow):
        if alert.via != "skill":
            return None
        subject = flow.label_element(f"email{index}/subject", alert.subject)
        body = flow.label_element(f"email{index}/body", alert.body)
        data = {"fromAddress": alert.sender, "toAddress": ", ".join(alert.to), "ccAddress": ", ".join(alert.cc),
                "bccAddress": "", "subjectElement": subject, "contentElement": body}
        return flow.send_email(f"email_{index}", f"email{index}", data)


def _addresses(value: str | list) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _email_api(raw: dict) -> EmailApi:
    headers = {name: HeaderValue(literal=value) if isinstance(value, str) else HeaderValue(env=value["env"], prefix=value.get("prefix", ""))
               for name, value in raw.get("headers", {}).items()}
    return EmailApi(url=raw.get("url"), url_env=raw.get("url_env"), method=raw.get("method", "POST"),
                    headers=MappingProxyType(headers), body=raw.get("body", DEFAULT_API_BODY))
