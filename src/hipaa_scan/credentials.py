"""Where credentials sit in free text: commands, URLs, headers, DSNs, heredoc bodies, label and healthcheck strings.

`spans(text)` finds the character spans of credential values written inline in a piece of text, whatever the
surrounding syntax: an HTTP header value (`-H "PRIVATE-TOKEN: ..."`), curl's `-u user:password`, a URL's userinfo
(`https://user:pw@host`, `https://token@host`), a `password=` / `token=` parameter of a URL or a keyword DSN, a
secret-named `NAME=value` or `name: value` pair, a secret flag (`--requirepass X`, `--ServerApp.token=X`), a
client's password switch (`redis-cli -a X`, `mysql -pX`, `sshpass -p X`), and every secret shape (`secrets.SECRET_SHAPES`).

Each span is the value only (never the name or the flag), so a masked text still says *what* was there. The same
spans serve detection (rules report them) and redaction (output masks them): one definition of where a credential
sits. Every pattern here is linear: no nested quantifiers, every repetition bounded by a character class that the
next token cannot match.
"""

from __future__ import annotations

import re

from hipaa_scan import secrets
from hipaa_scan.lazyre import lazy

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterable, List, Optional, Tuple

# Kinds of span. "shape" spans carry a visible prefix length (a token type such as `ghp_`, public by design).
HEADER = "credential in an HTTP header"
USER_OPTION = "password in a user option"
USERINFO = "credentials in a URL"
PARAMETER = "credential parameter"
ASSIGNMENT = "secret-named assignment"
FLAG = "secret command-line flag"
CLIENT_PASSWORD = "client password switch"

# Values are matched in a lookahead, so that a quoted value (`sh -c "... --token X"`) does not hide what it holds.
# A value: up to the end of a quoted run, or up to white space / a separator.
_VALUE = r"""(?:"[^"\n]*"|'[^'\n]*'|[^\s"'&;,)\]}]+)"""
# A command-line word (a flag's or a client switch's value): commas, brackets and braces are part of it.
_WORD = r"""(?:"[^"\n]*"|'[^'\n]*'|[^\s"'&;|]+)"""

# Header names that carry credentials: Authorization, Proxy-Authorization, Cookie, X-Api-Key, PRIVATE-TOKEN, ...
_HEADER = lazy(
    r"""(?i)(?:^|[\s"'=])((?:proxy-)?authorization|cookie|set-cookie|[a-z0-9-]*(?:token|api-?key|secret|password|auth)"""
    r"""[a-z0-9-]*)\s*:\s*(?:(?:bearer|basic|token|digest|bot)\s+)?([^\s"'\\]+(?:[ \t]+[^\s"'\\]+)*)""")
# curl/wget-style user options: -u user:pw, --user user:pw, --user=user:pw, -uuser:pw, --password=pw, --http-password
_USER_OPTION = lazy(r"""(?:^|\s)(?:-u\s*|--user[\s=]|--proxy-user[\s=])\s*["']?([^\s"':]*):([^\s"']+)""")
# scheme://userinfo@host: the password after the colon, or a whole userinfo that is a token (no colon)
_USERINFO = lazy(r"""\b[a-zA-Z][a-zA-Z0-9+.\-]*://([^:/?#@\s"'<>]*)(?::([^/?#@\s"'<>]*))?@""")
# The same, for a password written with `@` or `/` in it (not percent-encoded, as people do write them): the userinfo
# runs to the last `@` that a host name follows.
_USERINFO_LOOSE = lazy(r"""\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/?#@\s"'<>]*:([^\s"'<>]*)@(?=[A-Za-z0-9\[][A-Za-z0-9.\-\]]*"""
                       r"""(?::[0-9]+)?(?:[/?#\s"'<>]|$))""")
# URLs that are credentials by themselves: whoever has the path can post (Slack and Discord webhooks)
WEBHOOK = "webhook URL"
_WEBHOOK = lazy(r"""\b(?:hooks\.slack\.com/(?:services|workflows|triggers)/|(?:discord(?:app)?\.com)/api/webhooks/)"""
                r"""([A-Za-z0-9_/\-]{8,})""")
# key=value or key: value pairs whose key names a credential (query strings, DSNs, .npmrc, YAML, JSON, env lines)
_PAIR = lazy(r"""(?:^|(?<=[\s?&;,{(\["'/:]))["']?([A-Za-z_][A-Za-z0-9_.\-]{0,80})["']?(\s*=\s*|\s*:\s+|":\s*)(?=(""" +
             _VALUE + r"))")
# --flag value or --flag=value, flag names that carry a secret (including dotted ones: --ServerApp.token=...)
_FLAG = lazy(r"""(?:^|(?<=[\s"']))(--?[A-Za-z][A-Za-z0-9_.\-]{0,80})(=|\s+)(?=(""" + _WORD + r"))")
# client switches that take a password: redis-cli -a X, mysql -pX / --password X, sshpass -p X, mongo -p X
_CLIENT = lazy(r"""\b(redis-cli|keydb-cli|sshpass|mysql|mysqladmin|mysqldump|mariadb|mongo|mongosh)\b""")
_CLIENT_SWITCH = {
    "redis-cli": lazy(r"""(?:^|\s)-a\s+(""" + _WORD + r")"),
    "keydb-cli": lazy(r"""(?:^|\s)-a\s+(""" + _WORD + r")"),
    "sshpass": lazy(r"""(?:^|\s)-p\s*(""" + _WORD + r")"),
    "mysql": lazy(r"""(?:^|\s)-p([^\s"'&;|-][^\s"'&;|]*)"""),
    "mysqladmin": lazy(r"""(?:^|\s)-p([^\s"'&;|-][^\s"'&;|]*)"""),
    "mysqldump": lazy(r"""(?:^|\s)-p([^\s"'&;|-][^\s"'&;|]*)"""),
    "mariadb": lazy(r"""(?:^|\s)-p([^\s"'&;|-][^\s"'&;|]*)"""),
    "mongo": lazy(r"""(?:^|\s)-p\s+(""" + _WORD + r")"),
    "mongosh": lazy(r"""(?:^|\s)-p\s+(""" + _WORD + r")"),
}
# Parameter names of DSNs and URLs that are credentials even though secrets.secret_name does not say so.
_EXTRA_SECRET_KEYS = lazy(r"(?i)^(pwd|pass|passwd|sig|signature|accountkey|sharedaccesskey|x-amz-signature|"
                          r"x-goog-signature|auth|_auth|_authtoken|_password|client_secret|apikey|key)$")
# Flag names: the last dotted/dashed segment says secret
_SECRET_FLAG_NAME = lazy(r"(?i)(requirepass|masterauth|password|passwd|passphrase|pass|token|secret|api-?key|apikey|"
                         r"auth-?token|access-?key|secret-?key|private-?key|credentials?|client-?secret)$")
_NAME = lazy(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,80}$")  # a key a message may name
_NOT_VALUE = lazy(r"^(-|\$|<|\{\{|%)")  # another flag, a variable, a placeholder

# Credentials written in a tool's own syntax, where no `name=value` or `--flag` says so. Each is found only when its
# literal is in the text (`_WRITTEN_LITERALS`), and each pattern is linear. (literal, kind, name, pattern, group)
WRITTEN = "credential in a tool's syntax"
_WRITTEN = (
    # .netrc: `machine host login user password pw`, on one line or several
    ("password", "netrc password", lazy(r"\blogin\s+[^\s\"']+\s+password\s+(" + _VALUE + ")")),
    # `npm config set //registry/:_authToken X`, `yarn config set npmAuthToken X`, `aws configure set ... X`
    ("config", "config set", lazy(r"\bconfig(?:ure)?\s+set\s+(?:--[a-z\-]+\s+)?([^\s=\"']+)\s+(" + _VALUE + ")")),
    # poetry / composer: `config http-basic.repo user password`, `poetry config pypi-token.pypi TOKEN`
    ("http-basic", "http-basic password",
     lazy(r"\bconfig\s+(?:--?[a-z\-]+\s+)?http-basic\.[^\s]+\s+[^\s]+\s+(" + _VALUE + ")")),
    ("pypi-token", "pypi-token", lazy(r"\bconfig\s+pypi-token\.[^\s]+\s+(" + _VALUE + ")")),
    # `echo 'root:pw' | chpasswd`
    ("chpasswd", "chpasswd password",
     lazy(r"""\becho\s+(?:-[a-z]+\s+)?["']?[^\s:"'|]+:([^\s"'|]+)["']?\s*\|\s*(?:sudo\s+)?chpasswd""")),
    # `docker login -u user -p pw registry`, and the other CLIs' `login ... -p pw` (podman, helm registry, az, cf)
    ("login", "login password", lazy(r"\blogin\b[^\n|;&]{0,200}?\s-p\s*(" + _VALUE + ")")),
    # `htpasswd -b(c) file user pw`, `htpasswd -nb user pw`
    ("htpasswd", "htpasswd password",
     lazy(r"\bhtpasswd\s+-[A-Za-mo-z]*b[A-Za-mo-z]*(?:\s+-[A-Za-z]+)?\s+[^\s]+\s+[^\s]+\s+(" + _VALUE + ")")),
    ("htpasswd", "htpasswd password",
     lazy(r"\bhtpasswd\s+-[A-Za-z]*(?:nb|bn)[A-Za-z]*\s+[^\s]+\s+(" + _VALUE + ")")),
    # openssl `-passin pass:X`, `-passout pass:X`, `-pass pass:X`; keytool `-storepass X`, `-keypass X`
    ("pass", "openssl pass phrase", lazy(r"\s-pass(?:in|out)?\s+pass:(" + _VALUE + ")")),
    ("pass", "keytool password", lazy(r"\s-(?:src|dest)?(?:store|key)pass\s+(" + _VALUE + ")")),
    # MinIO client: `mc alias set NAME URL ACCESS SECRET`, `mc config host add NAME URL ACCESS SECRET`
    ("mc ", "MinIO client secret key",
     lazy(r"\bmc\s+(?:alias\s+set|config\s+host\s+add)\s+[^\s]+\s+[^\s]+\s+[^\s]+\s+(" + _VALUE + ")")),
    # `rabbitmqctl add_user NAME PW`, `change_password NAME PW`
    ("rabbitmqctl", "rabbitmqctl password",
     lazy(r"\brabbitmqctl\s+(?:add_user|change_password)\s+[^\s]+\s+(" + _VALUE + ")")),
    # `sqlcmd -U sa -P pw`
    ("sqlcmd", "sqlcmd password switch", lazy(r"\bsqlcmd\b[^\n|;&]{0,200}?\s-P\s*(" + _VALUE + ")")),
)


def _written_forms(text: str, lowered: str) -> List[Span]:
    out = []
    for literal, name, pattern in _WRITTEN:
        if literal not in lowered:
            continue
        for m in pattern.finditer(text):
            group = m.lastindex or 1
            if name == "config set":  # `config set KEY VALUE`: only keys that name a credential
                key = m.group(1)
                if not _secret_key(re.split(r"[:.]", key)[-1]) and not _secret_key(key):
                    continue
                name_here = key.rsplit(":", 1)[-1]
                if not _NAME.match(name_here):  # a name that is not a plain key is not repeated in messages
                    name_here = "config set value"
            else:
                name_here = name
            start, end = _unquoted(text, m.start(group), m.end(group))
            if end > start and not _NOT_VALUE.match(text[start:end]):
                out.append(Span(start, end, WRITTEN, 0, name_here, m.start()))
    return out


class Span:
    """A credential value at text[start:end]; `visible` leading characters are public (a token type's prefix).

    For detection, `name` says what holds the value, in words a message may quote (a header name, a flag, a
    parameter's key, a shape's label: never the value), and `at` is where that name is written (the flag of
    `--token X`), which may be before `start`. Neither takes part in equality."""

    __slots__ = ("start", "end", "label", "visible", "name", "at")

    def __init__(self, start: int, end: int, label: str, visible: int = 0, name: str = "",
                 at: Optional[int] = None) -> None:
        self.start = start
        self.end = end
        self.label = label
        self.visible = visible
        self.name = name or label
        self.at = start if at is None else at

    def __repr__(self) -> str:
        return f"Span({self.start}, {self.end}, {self.label!r}, {self.visible})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Span) and (self.start, self.end, self.label, self.visible) == \
            (other.start, other.end, other.label, other.visible)

    def __hash__(self) -> int:
        return hash((self.start, self.end, self.label, self.visible))


def _unquoted(text: str, start: int, end: int) -> Tuple[int, int]:
    """A quoted value's span without its quotes."""
    if end - start >= 2 and text[start] in "\"'" and text[end - 1] == text[start]:
        return start + 1, end - 1
    return start, end


def _secret_key(name: str) -> bool:
    bare = name.strip("-_.\"'")
    if bare.upper() == "DSN":  # an ODBC connection string's `DSN=name` names a data source, not a credential
        return False
    return secrets.secret_name(bare) or bool(_EXTRA_SECRET_KEYS.match(bare)) or \
        bool(_EXTRA_SECRET_KEYS.match(name.strip("\"'")))


# Credentials are looked for in the first MAX_TEXT characters of a text: every pattern is linear, but forty-odd of
# them over a hostile multi-megabyte line would take seconds. Output never shows more than a snippet's length of a
# line, and redact.py masks whatever lies past this bound as a whole.
MAX_TEXT = 65536


def spans(text: str) -> List[Span]:
    """Every credential value written inline in `text` (its first MAX_TEXT characters), sorted by position,
    overlapping spans merged."""
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT]
    if not text or not secrets.may_hold_credential(text):  # rules out most text before the patterns run
        return []
    found: List[Span] = []
    lowered = text.lower()
    if ":" in text:
        for m in _HEADER.finditer(text):
            found.append(Span(m.start(2), m.end(2), HEADER, 0, f"{m.group(1)} header", m.start(1)))
    if "-u" in text or "--user" in text or "--proxy-user" in text:
        for m in _USER_OPTION.finditer(text):
            found.append(Span(m.start(2), m.end(2), USER_OPTION, 0, "password of -u/--user", m.start()))
    if "://" in text and "@" in text:
        for m in _USERINFO.finditer(text):
            if m.group(2) is not None:
                if m.group(2):
                    found.append(Span(m.start(2), m.end(2), USERINFO, 0, "URL password", m.start()))
            elif m.group(1) and len(m.group(1)) >= 8:  # https://<token>@host; `git@`, `user@` are names
                found.append(Span(m.start(1), m.end(1), USERINFO, 0, "URL user token", m.start()))
        for m in _USERINFO_LOOSE.finditer(text):
            if m.group(1):
                found.append(Span(m.start(1), m.end(1), USERINFO, 0, "URL password", m.start()))
    if "hooks" in text:
        for m in _WEBHOOK.finditer(text):
            found.append(Span(m.start(1), m.end(1), WEBHOOK, 0, "webhook URL", m.start()))
    if "=" in text or ":" in text:
        for m in _PAIR.finditer(text):
            if _secret_key(m.group(1)):
                start, end = _unquoted(text, m.start(3), m.end(3))
                if end > start and not _NOT_VALUE.match(text[start:end]):
                    found.append(Span(start, end, PARAMETER if m.group(2).strip() == "=" else ASSIGNMENT, 0,
                                      m.group(1).strip("\"'"), m.start(1)))
    if "-" in text:
        for m in _FLAG.finditer(text):
            name = m.group(1).lstrip("-")
            last = re.split(r"[.\-_]", name)[-1] if name else name
            if _SECRET_FLAG_NAME.search(name) and (_SECRET_FLAG_NAME.match(last) or _SECRET_FLAG_NAME.match(name)):
                start, end = _unquoted(text, m.start(3), m.end(3))
                value = text[start:end]
                if end > start and not _NOT_VALUE.match(value):
                    found.append(Span(start, end, FLAG, 0, m.group(1), m.start(1)))
        client = _CLIENT.search(lowered)
        if client:
            pattern = _CLIENT_SWITCH[client.group(1)]
            for m in pattern.finditer(text, client.end()):
                start, end = _unquoted(text, m.start(1), m.end(1))
                if end > start and not _NOT_VALUE.match(text[start:end]):
                    found.append(Span(start, end, CLIENT_PASSWORD, 0, f"{client.group(1)} password switch",
                                      m.start()))
    found.extend(_written_forms(text, lowered))
    if secrets.may_hold_secret_shape(text):
        for label, pattern, visible in secrets.SECRET_SHAPES:
            for m in pattern.finditer(text):
                found.append(Span(m.start(), m.end(), label, visible))
        found.extend(_pem_blocks(text))
    return _merged(found)


_PEM_END = lazy(r"-----END [A-Z0-9 ]*-----")


def _pem_blocks(text: str) -> List[Span]:
    """A private key's whole block (BEGIN to END, or to the end of the text when it is cut), not only its header."""
    out: List[Span] = []
    covered = 0  # a header inside the block before it is part of that block: each END is looked for once
    for m in secrets.PEM_BEGIN.finditer(text):
        if m.start() < covered:
            continue
        end = _PEM_END.search(text, m.end())
        covered = end.end() if end else len(text)
        out.append(Span(m.start(), covered, "private key"))  # label names the kind
        if end is None:
            break
    return out


def _merged(found: List[Span]) -> List[Span]:
    if not found:
        return found
    found.sort(key=lambda s: (s.start, -s.end))
    out = [found[0]]
    for span in found[1:]:
        last = out[-1]
        if span.start < last.end:
            if span.end > last.end:
                out[-1] = Span(last.start, span.end, last.label, last.visible, last.name, last.at)
            continue
        out.append(span)
    return out


DEFAULT_PAIRS = secrets.DEFAULT_PAIRS  # `curl -u elastic:changeme`: HS402's, not HS401's
_SHAPE_LABELS = frozenset(label for label, _p, _v in secrets.SECRET_SHAPES) | {"private key"}
_WORD_CHARS = lazy(r"[A-Za-z0-9]")
_CODE_REFERENCE = lazy(r"^(?:process\.env\.|os\.environ|os\.getenv|env\.|ENV\[|System\.getenv|import\.meta\.env|"
                       r"settings\.|config\.|secrets\.)")
_MOUNT_SPEC = lazy(r"^(?:id|src|source|env|type|target|required)=")
_HAS_DIGIT = lazy(r"[0-9]")
_HAS_LETTER = lazy(r"[A-Za-z]")
_USER_BEFORE = lazy(r"""([^\s"'=:/@]*)$""")


def _user_of(text: str, span: Span) -> str:
    """The account name written just before a `user:password` value (curl -u, URL userinfo, chpasswd)."""
    before = text[span.at:span.start].rstrip(":")
    match = _USER_BEFORE.search(before)
    return match.group(1).lower() if match else ""


def detect(text: str, extra: Iterable["re.Pattern[str]"] = ()) -> List[Tuple[Span, Optional[str]]]:
    """The credential values of `spans(text)` that are literal secrets, each with the product whose vendor default
    it is (or None). Left out: placeholders (`<token>`, `changeme`, `your-...`, and `extra`), references and
    command substitutions (`$VAR`, `${VAR}`, `\\$VAR`, `$(cat ...)`), code (`os.environ[...]`), file paths,
    token shapes filled with filler, a user option whose password is its user name (`-u app:app`, a user and group),
    and a URL user that is a plain name rather than a token. Used by detection only: redaction masks every span."""
    out: List[Tuple[Span, Optional[str]]] = []
    for span in spans(text):
        value = text[span.start:span.end]
        if span.label in _SHAPE_LABELS:
            if not secrets.is_filler(value, span.visible):
                out.append((span, None))
            continue
        v = value.strip().lstrip("\\")
        product = None
        if span.label in (USER_OPTION, USERINFO, WRITTEN) and span.name in (
                "password of -u/--user", "URL password", "chpasswd password"):
            user = _user_of(text, span)
            product = DEFAULT_PAIRS.get((user, v.lower()))
            if product is None and user and user == v.lower():
                continue  # `-u app:app`: a user and its group, not a password
        if product is not None:
            out.append((span, product))
            continue
        if len(v) < 4 or secrets.is_placeholder(v, extra) or v[:1] in "$`" or "$(" in v or "${" in v:
            continue
        if any(c in v for c in "([{") or v.startswith(("/", "./", "../", "~/")) and " " not in v:
            continue
        if v[:1] in "!*" or _CODE_REFERENCE.match(v):  # a YAML tag or alias; a program reading its environment
            continue
        if span.label in (PARAMETER, ASSIGNMENT) and span.name.lower() == "key":
            continue  # a bare `key=`: a GPG fingerprint in a shell script far more often than a secret
        if span.label == FLAG and _MOUNT_SPEC.match(v):  # `--secret id=npm,src=.npmrc`: where a secret comes from
            continue
        if span.name == "URL user token":  # https://<token>@host: a token, not a user name like `deploy`
            scheme = text[span.at:span.start].lower()
            if not scheme.startswith(("http", "git+http")) or len(v) < 16 or not _HAS_DIGIT.search(v) \
                    or not _HAS_LETTER.search(v):
                continue
        if not _WORD_CHARS.search(v):
            continue
        out.append((span, None))
    return out
