"""Is a container a one-shot job rather than a service? HS303 (missing-healthcheck) asks: a health check tells
the engine when a long-running service is broken, and means nothing for a container that does its work and exits,
nor for an image that never runs as a service.

Signals of a Compose service (`service_signal`):
- its Compose file is in a development-environment folder (`.devcontainer/`...);
- `restart: "no"`, or `restart: on-failure[:N]` with a `command` or `entrypoint` of its own, on a service that
  publishes and exposes no port (a server restarted on failure is still a server): it is meant to finish;
- a `profiles:` entry naming a job (tools, test, setup, init, migrate, seed, cli, benchmark...);
- another service `depends_on` it with `condition: service_completed_successfully`;
- its name, or its image's name, has a job word as a word of its own: migrate/migration, init, setup, seed,
  populate, bootstrap, provision, test/tests/e2e, benchmark, loadtest, batch, tools/toolbox/cli; or its image is a load-test or migration
  tool (k6, locust, jmeter, artillery, gatling, flyway, liquibase, dbmate) or certbot.
Signals of a Dockerfile (`dockerfile_signal`):
- it is in a development-environment folder (`.devcontainer/`, `.gitpod`, `.cursor/`...), or its final stage
  starts from a devcontainer image;
- its final stage is `FROM scratch` with no CMD or ENTRYPOINT (a data-only image: nothing runs);
- its own folder or file name has a job word (`migrations/Dockerfile`, `Dockerfile.test`, `e2e/Dockerfile`), or
  its final stage starts from one of the tools above;
- its command runs a test runner (pytest, `npm test`, `go test`, `mvn test`...) or only idles (`sleep infinity`,
  `tail -f /dev/null`: a sandbox that is exec'd into).
Words are matched whole, between `-`, `_`, `.`, `/` or `:`, so `infinity` is not `init`; `under-test` (the
system under test) and `auto-setup` (a server that sets itself up as it starts) are no job names.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

JOB_WORDS = frozenset((
    "migrate", "migrates", "migration", "migrations", "migrator", "init", "initdb", "initializer", "setup", "seed",
    "seeder", "seeding", "populate", "populator", "bootstrap", "provision", "provisioner", "createbuckets",
    "test", "tests", "tester", "testing", "e2e", "integration-tests", "benchmark", "benchmarks", "bench",
    "loadtest", "load-test", "batch", "oneshot", "one-shot", "tools", "toolbox", "cli",
))
TOOL_WORDS = frozenset(("k6", "locust", "jmeter", "artillery", "gatling", "vegeta", "flyway", "liquibase", "dbmate",
                        "certbot"))
JOB_PROFILES = frozenset(("tools", "tool", "test", "tests", "testing", "e2e", "setup", "init", "migrate",
                          "migration", "migrations", "seed", "cli", "jobs", "job", "benchmark", "bench", "loadtest",
                          "load-test", "maintenance", "backup", "restore"))
DEV_FOLDERS = frozenset((".devcontainer", ".gitpod", ".cursor", ".vscode", ".codespaces", ".coder", ".idx"))
_SPLIT = re.compile(r"[-_./:@\s]+")
_RUNNER = re.compile(r"(^|[\s;&|/])(pytest|py\.test|tox|nox|jest|vitest|mocha|phpunit|rspec|playwright\s+test|"
                     r"cypress\s+run|(npm|yarn|pnpm)\s+(run\s+)?test|go\s+test|mvn\S*\s+(\S+\s+)*(test|verify)|"
                     r"gradle\S*\s+(\S+\s+)*test|dotnet\s+test)(\s|$|[;&|])")
_IDLE = re.compile(r"^\s*(sleep\s+(infinity|inf)|tail\s+-f\s+/dev/null)\s*$")


def _words(text: str) -> Set[str]:
    return {w for w in _SPLIT.split(text.lower()) if w}


# Names that carry a job word but name a long-running service: the system under test, a server that sets itself
# up when it starts (Temporal's auto-setup).
NOT_JOBS = re.compile(r"under[-_.]?tests?|auto[-_.]?setup")


def job_word(text: str) -> Optional[str]:
    """The job or tool word `text` (a name, an image, a folder) has, if any."""
    low = NOT_JOBS.sub(" ", text.lower())
    words = _words(low)
    found = words & (JOB_WORDS | TOOL_WORDS)
    if found:
        return min(found)
    for phrase in ("integration-tests", "load-test", "one-shot"):
        if phrase in low:
            return phrase
    return None


def image_word(image: str) -> Optional[str]:
    """A tool or job word in an image's repository path (not its tag: `alpine:3-test` is not a test runner)."""
    ref = image.split("@", 1)[0]
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    name = ref[:colon] if colon > slash else ref
    return job_word(name)


_WAITED: List[Any] = [None, {}]  # the last `services` mapping seen, and what _waited_for found in it


def _waited_for(services: Any) -> Dict[str, Any]:
    """service name -> a service that waits for it with `condition: service_completed_successfully`. Worked out
    once per `services` mapping (every service of a file asks), so a file of many services stays linear."""
    if _WAITED[0] is services:
        waited: Dict[str, Any] = _WAITED[1]
        return waited
    found: Dict[str, Any] = {}
    for other_name, other in (services.items() if hasattr(services, "items") else ()):
        deps = other.get("depends_on") if hasattr(other, "get") else None
        for dep, spec in (deps.items() if isinstance(deps, dict) else ()):
            if hasattr(spec, "get") and str(spec.get("condition", "")).strip() == "service_completed_successfully":
                found.setdefault(str(dep), str(other_name))
    _WAITED[0], _WAITED[1] = services, found
    return found


def service_signal(name: str, svc: Any, services: Any, path: str = "") -> Optional[Tuple[str, Any]]:
    """(why, where) when a Compose service is a one-shot job or a development environment (its Compose file is
    in a `.devcontainer/`-like folder); `where` is a key of `svc` (or None: the service)."""
    if any(p.lower() in DEV_FOLDERS for p in re.split(r"[\\/]+", path)[:-1]):
        return "it is a development-environment service", None
    restart = svc.get("restart")
    restart = "no" if restart is False else str(restart).strip() if isinstance(restart, str) else ""
    if not svc.get("ports") and not svc.get("expose"):  # a service that publishes a port is a server
        if restart == "no" or (restart.startswith("on-failure") and (svc.get("command") or svc.get("entrypoint"))):
            return f'restart: "{restart}"', "restart"
    profiles = svc.get("profiles")
    for profile in profiles if isinstance(profiles, list) else ():
        if str(profile).strip().lower() in JOB_PROFILES:
            return f"profile {str(profile).strip()!r}", "profiles"
    waiter = _waited_for(services).get(name)
    if waiter is not None:
        return f'service "{waiter}" waits for it to complete', None
    word = job_word(name)
    if word:
        return f"its name says {word!r}", None
    image = svc.get("image")
    if isinstance(image, str):
        word = image_word(image)
        if word:
            return f"its image says {word!r}", "image"
    return None


def dockerfile_signal(path: str, final_image: str, command: Iterable[str]) -> Optional[str]:
    """Why a Dockerfile's image is not a long-running service, if it is not."""
    parts = [p for p in re.split(r"[\\/]+", path) if p]
    if any(p.lower() in DEV_FOLDERS for p in parts[:-1]):
        return "it is a development-environment image"
    low = (final_image or "").lower()
    command = list(command)
    if low == "scratch" and not command:
        return "its final stage is FROM scratch with no command (nothing runs)"
    if "devcontainers/" in low or "/devcontainer" in low:
        return "it starts from a devcontainer image"
    word = image_word(final_image or "")
    if word in TOOL_WORDS:
        return f"it starts from the {word} image"
    name = parts[-1] if parts else ""
    folder = parts[-2] if len(parts) > 1 else ""
    stem = re.sub(r"(?i)\.?dockerfile\.?", ".", name).strip(".")
    word = (job_word(stem) if stem else None) or (job_word(folder) if folder else None)
    if word:
        return f"its name says {word!r}"
    line = " ".join(command)
    if _RUNNER.search(line):
        return "its command runs tests"
    if _IDLE.match(line):
        return "its command only idles"
    return None
