"""The HIPAA provisions findings relate to, and the CIS Docker Benchmark recommendations rules name: one table that
the rule pages, docs/hipaa-mapping.md, the reports and the citation test read. A finding *relates to* a safeguard;
it is never a legal verdict.

Each provision of 45 CFR Part 164 that a rule cites, and every standard and implementation specification of the
Security Rule's safeguards (164.308, 164.310, 164.312, 164.314, 164.316) whether cited or not, is one `Provision`:
its short text (our own words), the standard it belongs to, whether it is a standard or an implementation
specification, required or addressable, the rule of Part 164 it belongs to, and, where no configuration a container
scanner reads can show it, why not. Plain data: importing this module costs nothing (the text report reads it).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, Iterable, List, Optional, Sequence, Tuple

    from hipaa_scan.rules.base import RuleMeta

SOURCE = "45 CFR Part 164 (eCFR, current text: Subpart C as amended 2013-01-25, 78 FR 5566; Subpart E 164.502(e))"
RETRIEVED = "2026-12-03"

SECURITY, PRIVACY, BREACH = "Security Rule", "Privacy Rule", "Breach Notification Rule"
STANDARD, SPECIFICATION, GENERAL = "standard", "implementation specification", "general requirement"
REQUIRED, ADDRESSABLE = "required", "addressable"

# Why a provision cannot be judged from Dockerfiles, Compose files, env files or a Docker engine
POLICY = "a policy or procedure of the organisation, not a setting in container configuration"
PHYSICAL = "a physical safeguard: facilities, workstations and media lie outside container configuration"
PEOPLE = "concerns the workforce and its training, which no configuration file records"
CONTRACT = "a written contract or arrangement, which no configuration file records"


class Provision:
    """One paragraph of 45 CFR Part 164."""

    __slots__ = ("cite", "title", "text", "standard", "kind", "requirement", "rule", "section", "not_assessable",
                 "cited")

    def __init__(self, cite: str, title: str, text: str, standard: str, kind: str, requirement: Optional[str],
                 rule: str, section: str, not_assessable: str = "", cited: bool = False) -> None:
        self.cite = cite
        self.title = title  # the heading of the paragraph
        self.text = text  # what it asks, in our own words
        self.standard = standard  # the citation of the standard it belongs to (itself for a standard)
        self.kind = kind  # standard | implementation specification | general requirement
        self.requirement = requirement  # required | addressable, for implementation specifications
        self.rule = rule  # Security Rule | Privacy Rule | Breach Notification Rule
        self.section = section  # e.g. "164.312 Technical safeguards"
        self.not_assessable = not_assessable  # why this tool cannot assess it ("" when some rule can)
        self.cited = cited  # whether a built-in rule cites it (the citation test holds this to the rules)

    def label(self) -> str:
        """How a report names what kind of paragraph it is: `required`, `addressable`, `standard`."""
        return self.requirement or self.kind


def _p(cite: str, title: str, text: str, kind: str, requirement: Optional[str] = None, standard: str = "",
       section: str = "", why: str = "", cited: bool = False, rule: str = SECURITY) -> Provision:
    return Provision(cite, title, text, standard or cite, kind, requirement, rule, section, why, cited)


_ADMIN = "164.308 Administrative safeguards"
_PHYS = "164.310 Physical safeguards"
_TECH = "164.312 Technical safeguards"
_ORG = "164.314 Organizational requirements"
_DOCS = "164.316 Policies and procedures and documentation requirements"
_GEN = "164.306 Security standards: general rules"
_PRIV = "164.502 Uses and disclosures of protected health information: general rules"

S, IS, R, A = STANDARD, SPECIFICATION, REQUIRED, ADDRESSABLE

PROVISIONS: Tuple[Provision, ...] = (
    _p("164.306(a)(1)", "General requirements: confidentiality, integrity and availability",
       "Protect the confidentiality, integrity and availability of all ePHI the organisation creates, receives, "
       "keeps or sends.", GENERAL, section=_GEN, cited=True),

    # 164.308 Administrative safeguards
    _p("164.308(a)(1)(i)", "Security management process",
       "Have policies and procedures that prevent, detect, contain and correct security violations.", S,
       section=_ADMIN, why=POLICY),
    _p("164.308(a)(1)(ii)(A)", "Risk analysis", "Assess, accurately and thoroughly, the risks and vulnerabilities "
       "to ePHI.", IS, R, "164.308(a)(1)(i)", _ADMIN, why=POLICY),
    _p("164.308(a)(1)(ii)(B)", "Risk management", "Put in place security measures that reduce those risks to a "
       "reasonable and appropriate level.", IS, R, "164.308(a)(1)(i)", _ADMIN, why=POLICY),
    _p("164.308(a)(1)(ii)(C)", "Sanction policy", "Apply sanctions to workforce members who break the security "
       "policies.", IS, R, "164.308(a)(1)(i)", _ADMIN, why=PEOPLE),
    _p("164.308(a)(1)(ii)(D)", "Information system activity review", "Regularly review records of system activity "
       "such as audit logs, access reports and security incident tracking reports.", IS, R, "164.308(a)(1)(i)",
       _ADMIN, cited=True),
    _p("164.308(a)(2)", "Assigned security responsibility", "Name the security official responsible for the "
       "security policies and procedures.", S, section=_ADMIN, why=POLICY),
    _p("164.308(a)(3)(i)", "Workforce security", "Ensure that workforce members have appropriate access to ePHI "
       "and that those who should not have it do not.", S, section=_ADMIN, why=PEOPLE),
    _p("164.308(a)(3)(ii)(A)", "Authorization and/or supervision", "Authorise or supervise workforce members who "
       "work with ePHI or where it can be reached.", IS, A, "164.308(a)(3)(i)", _ADMIN, why=PEOPLE),
    _p("164.308(a)(3)(ii)(B)", "Workforce clearance procedure", "Decide whether a workforce member's access to "
       "ePHI is appropriate.", IS, A, "164.308(a)(3)(i)", _ADMIN, why=PEOPLE),
    _p("164.308(a)(3)(ii)(C)", "Termination procedures", "End a workforce member's access to ePHI when their "
       "employment or need ends.", IS, A, "164.308(a)(3)(i)", _ADMIN, why=PEOPLE),
    _p("164.308(a)(4)(i)", "Information access management", "Have policies and procedures for authorising "
       "access to ePHI.", S, section=_ADMIN, why=POLICY),
    _p("164.308(a)(4)(ii)(A)", "Isolating health care clearinghouse functions", "A clearinghouse that is part of "
       "a larger organisation protects its ePHI from the rest of it.", IS, R, "164.308(a)(4)(i)", _ADMIN,
       why=POLICY),
    _p("164.308(a)(4)(ii)(B)", "Access authorization", "Have policies and procedures for granting access to ePHI.",
       IS, A, "164.308(a)(4)(i)", _ADMIN, why=POLICY),
    _p("164.308(a)(4)(ii)(C)", "Access establishment and modification", "Have policies and procedures for "
       "establishing, documenting, reviewing and changing a user's right of access.", IS, A, "164.308(a)(4)(i)",
       _ADMIN, why=POLICY),
    _p("164.308(a)(5)(i)", "Security awareness and training", "Run a security awareness and training programme "
       "for the whole workforce.", S, section=_ADMIN, why=PEOPLE),
    _p("164.308(a)(5)(ii)(A)", "Security reminders", "Send periodic security updates.", IS, A, "164.308(a)(5)(i)",
       _ADMIN, why=PEOPLE),
    _p("164.308(a)(5)(ii)(B)", "Protection from malicious software", "Have procedures for guarding against, "
       "detecting and reporting malicious software.", IS, A, "164.308(a)(5)(i)", _ADMIN, cited=True),
    _p("164.308(a)(5)(ii)(C)", "Log-in monitoring", "Have procedures for monitoring log-in attempts and reporting "
       "discrepancies.", IS, A, "164.308(a)(5)(i)", _ADMIN,
       why="log-in attempts are recorded by applications and identity providers at run time, not in container "
           "configuration"),
    _p("164.308(a)(5)(ii)(D)", "Password management", "Have procedures for creating, changing and safeguarding "
       "passwords.", IS, A, "164.308(a)(5)(i)", _ADMIN, cited=True),
    _p("164.308(a)(6)(i)", "Security incident procedures", "Have policies and procedures to address security "
       "incidents.", S, section=_ADMIN, why=POLICY),
    _p("164.308(a)(6)(ii)", "Response and reporting", "Identify and respond to suspected or known security "
       "incidents, mitigate their harmful effects where practicable, and document them and their outcomes.", IS,
       R, "164.308(a)(6)(i)", _ADMIN, why=POLICY),
    _p("164.308(a)(7)(i)", "Contingency plan", "Have policies and procedures for responding to an emergency or "
       "other occurrence that damages systems holding ePHI.", S, section=_ADMIN, why=POLICY),
    _p("164.308(a)(7)(ii)(A)", "Data backup plan", "Create and keep retrievable exact copies of ePHI.", IS, R,
       "164.308(a)(7)(i)", _ADMIN, why=POLICY),
    _p("164.308(a)(7)(ii)(B)", "Disaster recovery plan", "Have procedures to restore any loss of data.", IS, R,
       "164.308(a)(7)(i)", _ADMIN, why=POLICY),
    _p("164.308(a)(7)(ii)(C)", "Emergency mode operation plan", "Have procedures that keep critical business "
       "processes protecting ePHI running during an emergency.", IS, R, "164.308(a)(7)(i)", _ADMIN, why=POLICY),
    _p("164.308(a)(7)(ii)(D)", "Testing and revision procedures", "Periodically test and revise the contingency "
       "plans.", IS, A, "164.308(a)(7)(i)", _ADMIN, why=POLICY),
    _p("164.308(a)(7)(ii)(E)", "Applications and data criticality analysis", "Assess how critical particular "
       "applications and data are to the contingency plans.", IS, A, "164.308(a)(7)(i)", _ADMIN, why=POLICY),
    _p("164.308(a)(8)", "Evaluation", "Periodically evaluate, technically and non-technically, how well the "
       "security policies and procedures meet the rule.", S, section=_ADMIN,
       why="an evaluation of the whole programme; a scan can be one input to it, not the evaluation itself"),
    _p("164.308(b)(1)", "Business associate contracts and other arrangements", "A business associate may create, "
       "receive, keep or send ePHI for the organisation only under satisfactory written assurances that it will "
       "safeguard it.", S, section=_ADMIN, cited=True),
    _p("164.308(b)(3)", "Written contract or other arrangement", "Document those assurances in a written contract "
       "or other arrangement that meets 164.314(a).", IS, R, "164.308(b)(1)", _ADMIN, cited=True),

    # 164.310 Physical safeguards
    _p("164.310(a)(1)", "Facility access controls", "Limit physical access to systems holding ePHI and the "
       "facilities that house them.", S, section=_PHYS, why=PHYSICAL),
    _p("164.310(a)(2)(i)", "Contingency operations", "Allow facility access in support of restoring lost data "
       "during an emergency.", IS, A, "164.310(a)(1)", _PHYS, why=PHYSICAL),
    _p("164.310(a)(2)(ii)", "Facility security plan", "Protect the facility and its equipment from unauthorised "
       "physical access, tampering and theft.", IS, A, "164.310(a)(1)", _PHYS, why=PHYSICAL),
    _p("164.310(a)(2)(iii)", "Access control and validation procedures", "Control and validate a person's access "
       "to facilities by role or function.", IS, A, "164.310(a)(1)", _PHYS, why=PHYSICAL),
    _p("164.310(a)(2)(iv)", "Maintenance records", "Document repairs and changes to the physical security "
       "components of a facility.", IS, A, "164.310(a)(1)", _PHYS, why=PHYSICAL),
    _p("164.310(b)", "Workstation use", "Specify how workstations that reach ePHI are used and where.", S,
       section=_PHYS, why=PHYSICAL),
    _p("164.310(c)", "Workstation security", "Physically safeguard workstations that reach ePHI.", S,
       section=_PHYS, why=PHYSICAL),
    _p("164.310(d)(1)", "Device and media controls", "Govern the receipt and removal of hardware and electronic "
       "media holding ePHI.", S, section=_PHYS, why=PHYSICAL),
    _p("164.310(d)(2)(i)", "Disposal", "Dispose of ePHI and the media holding it properly.", IS, R, "164.310(d)(1)",
       _PHYS, why=PHYSICAL),
    _p("164.310(d)(2)(ii)", "Media re-use", "Remove ePHI from media before re-use.", IS, R, "164.310(d)(1)", _PHYS,
       why=PHYSICAL),
    _p("164.310(d)(2)(iii)", "Accountability", "Record the movements of hardware and media and who is "
       "responsible.", IS, A, "164.310(d)(1)", _PHYS, why=PHYSICAL),
    _p("164.310(d)(2)(iv)", "Data backup and storage", "Make a retrievable exact copy of ePHI before moving "
       "equipment.", IS, A, "164.310(d)(1)", _PHYS, why=PHYSICAL),

    # 164.312 Technical safeguards
    _p("164.312(a)(1)", "Access control", "Allow access to systems holding ePHI only to the persons or programs "
       "granted access rights.", S, section=_TECH, cited=True),
    _p("164.312(a)(2)(i)", "Unique user identification", "Give each user a unique name or number to identify and "
       "track them.", IS, R, "164.312(a)(1)", _TECH,
       why="user accounts live in applications and identity providers, not in container configuration"),
    _p("164.312(a)(2)(ii)", "Emergency access procedure", "Have procedures for reaching necessary ePHI during an "
       "emergency.", IS, R, "164.312(a)(1)", _TECH, why=POLICY),
    _p("164.312(a)(2)(iii)", "Automatic logoff", "End an electronic session after a set time of inactivity.", IS, A,
       "164.312(a)(1)", _TECH, why="session timeouts are application behaviour, not container configuration"),
    _p("164.312(a)(2)(iv)", "Encryption and decryption", "Have a mechanism to encrypt and decrypt ePHI.", IS, A,
       "164.312(a)(1)", _TECH,
       why="encryption of stored ePHI is a property of volumes, disks and databases that container configuration "
           "does not show"),
    _p("164.312(b)", "Audit controls", "Have hardware, software or procedural mechanisms that record and examine "
       "activity in systems holding ePHI. It sets no retention period.", S, section=_TECH, cited=True),
    _p("164.312(c)(1)", "Integrity", "Protect ePHI from improper alteration or destruction.", S, section=_TECH,
       cited=True),
    _p("164.312(c)(2)", "Mechanism to authenticate electronic protected health information", "Corroborate that "
       "ePHI has not been altered or destroyed in an unauthorised manner.", IS, A, "164.312(c)(1)", _TECH,
       why="checksums or signatures over the data itself are application behaviour"),
    _p("164.312(d)", "Person or entity authentication", "Verify that a person or entity seeking access to ePHI "
       "is the one claimed.", S, section=_TECH, cited=True),
    _p("164.312(e)(1)", "Transmission security", "Guard against unauthorised access to ePHI sent over an "
       "electronic communications network.", S, section=_TECH, cited=True),
    _p("164.312(e)(2)(i)", "Integrity controls", "Ensure that ePHI sent over a network is not improperly modified "
       "without detection until disposed of.", IS, A, "164.312(e)(1)", _TECH, cited=True),
    _p("164.312(e)(2)(ii)", "Encryption", "Encrypt ePHI whenever deemed appropriate.", IS, A, "164.312(e)(1)",
       _TECH, cited=True),

    # 164.314 Organizational requirements
    _p("164.314(a)(1)", "Business associate contracts or other arrangements", "The contract or other arrangement "
       "with a business associate must meet the requirements of 164.314(a)(2).", S, section=_ORG, cited=True),
    _p("164.314(a)(2)(i)", "Business associate contracts", "The contract binds the business associate to the "
       "Security Rule, to the same of its subcontractors, and to reporting security incidents and breaches.", IS,
       R, "164.314(a)(1)", _ORG, why=CONTRACT),
    _p("164.314(a)(2)(ii)", "Other arrangements", "Government entities may use a memorandum of understanding or "
       "law in place of a contract.", IS, R, "164.314(a)(1)", _ORG, why=CONTRACT),
    _p("164.314(a)(2)(iii)", "Business associate contracts with subcontractors", "The same requirements apply "
       "between a business associate and its subcontractor.", IS, R, "164.314(a)(1)", _ORG, why=CONTRACT),
    _p("164.314(b)(1)", "Requirements for group health plans", "A group health plan's documents must require the "
       "plan sponsor to safeguard the ePHI it receives.", S, section=_ORG, why=CONTRACT),
    _p("164.314(b)(2)", "Implementation specifications (group health plans)", "The plan documents oblige the "
       "sponsor to implement safeguards, separate the plan, bind its agents and report security incidents.", IS,
       R, "164.314(b)(1)", _ORG, why=CONTRACT),

    # 164.316 Policies and procedures and documentation requirements
    _p("164.316(a)", "Policies and procedures", "Implement reasonable and appropriate policies and procedures to "
       "comply with the Security Rule.", S, section=_DOCS, why=POLICY),
    _p("164.316(b)(1)", "Documentation", "Keep the policies and procedures, and a record of any action, activity "
       "or assessment the Security Rule requires, in written (possibly electronic) form.", S, section=_DOCS,
       why=POLICY),
    _p("164.316(b)(2)(i)", "Time limit", "Retain the documentation required by 164.316(b)(1) for six years from "
       "its creation or from when it was last in effect, whichever is later.", IS, R, "164.316(b)(1)", _DOCS,
       cited=True),
    _p("164.316(b)(2)(ii)", "Availability", "Make the documentation available to those responsible for the "
       "procedures it covers.", IS, R, "164.316(b)(1)", _DOCS, why=POLICY),
    _p("164.316(b)(2)(iii)", "Updates", "Review the documentation periodically and update it as needed.", IS, R,
       "164.316(b)(1)", _DOCS, why=POLICY),

    # Privacy Rule
    _p("164.502(e)", "Disclosures to business associates", "ePHI may be disclosed to a business associate only "
       "with satisfactory assurance, documented in a contract or other arrangement, that it will safeguard the "
       "information.", S, section=_PRIV, cited=True, rule=PRIVACY),
)

BY_CITE: Dict[str, Provision] = {p.cite: p for p in PROVISIONS}
# Kept for callers that want a citation's heading only
CITATIONS: Dict[str, str] = {p.cite: p.title for p in PROVISIONS}

# The Security Rule's safeguard sections, in the regulation's order: the crosswalk's chapters
SECTIONS = (_ADMIN, _PHYS, _TECH, _ORG, _DOCS)

# HS201: HIPAA's documentation retention, 164.316(b)(2)(i): six years
SIX_YEARS_DAYS = 2191


def provision(citation: str) -> Optional[Provision]:
    return BY_CITE.get(citation)


def title(citation: str) -> str:
    p = BY_CITE.get(citation)
    return p.title if p else ""


def rule_of(citation: str) -> str:
    p = BY_CITE.get(citation)
    return p.rule if p else ""


def label(citation: str) -> str:
    """`164.308(a)(5)(ii)(D) (addressable)`: a citation with what kind of paragraph it is."""
    p = BY_CITE.get(citation)
    return f"{citation} ({p.label()})" if p else citation


def cited(citations: Iterable[str]) -> str:
    """Citations grouped by the rule of Part 164 they belong to, each labelled, for one line of a report:
    `Security Rule 164.312(b) (standard), 164.308(a)(1)(ii)(D) (required); Privacy Rule 164.502(e) (standard)`."""
    groups: Dict[str, List[str]] = {}
    for c in citations:
        groups.setdefault(rule_of(c) or "45 CFR", []).append(label(c))
    return "; ".join(f"{rule} {', '.join(labels)}" for rule, labels in groups.items())


def by_rule(citations: Iterable[str]) -> List[Tuple[str, List[str]]]:
    """Citations grouped by the rule of Part 164 (Security Rule first), keeping their order within each."""
    groups: Dict[str, List[str]] = {}
    for c in citations:
        groups.setdefault(rule_of(c) or "45 CFR", []).append(c)
    order = {SECURITY: 0, PRIVACY: 1, BREACH: 2}
    return sorted(groups.items(), key=lambda item: order.get(item[0], 3))


def properties(citation: str) -> Dict[str, object]:
    """A citation as machine-readable facts (SARIF rule properties, JSON catalog)."""
    p = BY_CITE.get(citation)
    if p is None:
        return {"citation": citation}
    out: Dict[str, object] = {"citation": citation, "title": p.title, "rule": p.rule, "kind": p.kind,
                              "standard": p.standard}
    if p.requirement:
        out["requirement"] = p.requirement
    return out


def sort_key(citation: str) -> Tuple[str, ...]:
    return tuple(citation.replace("(", " ").replace(")", " ").split())


# CIS Docker Benchmark: one version, named wherever a reference is printed
CIS_VERSION = "CIS Docker Benchmark v1.6.0"
CIS_PREFIX = "CIS Docker 1.6.0 "
# The recommendations of sections 2 (daemon), 4 (images) and 5 (runtime) of v1.6.0, by number, with a short title
CIS_RECOMMENDATIONS: Dict[str, str] = {
    "2.1": "Run the daemon as a non-root user where possible",
    "2.2": "Restrict network traffic between containers on the default bridge",
    "2.3": "Set the logging level to info",
    "2.4": "Allow Docker to change iptables",
    "2.5": "Do not use insecure registries",
    "2.6": "Do not use the aufs storage driver",
    "2.7": "Configure TLS authentication for the daemon",
    "2.8": "Configure the default ulimit",
    "2.9": "Enable user namespace support",
    "2.10": "Confirm the default cgroup usage",
    "2.11": "Do not change the base device size until needed",
    "2.12": "Enable authorization for Docker client commands",
    "2.13": "Configure centralized and remote logging",
    "2.14": "Restrict containers from acquiring new privileges",
    "2.15": "Enable live restore",
    "2.16": "Disable the userland proxy",
    "2.17": "Apply a daemon-wide custom seccomp profile where appropriate",
    "2.18": "Do not enable experimental features in production",
    "4.1": "Create a user for the container",
    "4.2": "Use only trusted base images",
    "4.3": "Do not install unnecessary packages",
    "4.4": "Scan and rebuild images to include security patches",
    "4.5": "Enable content trust",
    "4.6": "Add HEALTHCHECK instructions to images",
    "4.7": "Do not use update instructions alone",
    "4.8": "Remove setuid and setgid permissions",
    "4.9": "Use COPY instead of ADD",
    "4.10": "Do not store secrets in Dockerfiles",
    "4.11": "Install only verified packages",
    "4.12": "Validate all signed artifacts",
    "5.1": "Do not enable swarm mode if not needed",
    "5.2": "Enable an AppArmor profile where applicable",
    "5.3": "Set SELinux security options where applicable",
    "5.4": "Restrict Linux kernel capabilities",
    "5.5": "Do not use privileged containers",
    "5.6": "Do not mount sensitive host system directories",
    "5.7": "Do not run sshd within containers",
    "5.8": "Do not map privileged ports",
    "5.9": "Open only needed ports",
    "5.10": "Do not share the host's network namespace",
    "5.11": "Limit container memory usage",
    "5.12": "Set CPU priority appropriately",
    "5.13": "Mount the root filesystem read-only",
    "5.14": "Bind incoming container traffic to a specific host interface",
    "5.15": "Set the on-failure restart policy to 5",
    "5.16": "Do not share the host's process namespace",
    "5.17": "Do not share the host's IPC namespace",
    "5.18": "Do not expose host devices directly",
    "5.19": "Override the default ulimit at run time only if needed",
    "5.20": "Do not set mount propagation to shared",
    "5.21": "Do not share the host's UTS namespace",
    "5.22": "Do not disable the default seccomp profile",
    "5.23": "Do not use docker exec with the privileged option",
    "5.24": "Do not use docker exec with the user=root option",
    "5.25": "Confirm cgroup usage",
    "5.26": "Restrict the container from acquiring additional privileges",
    "5.27": "Check container health at run time",
    "5.28": "Always use the latest version of an image",
    "5.29": "Use the PIDs cgroup limit",
    "5.30": "Do not use the default bridge docker0",
    "5.31": "Do not share the host's user namespaces",
    "5.32": "Do not mount the Docker socket inside containers",
}


def cis_number(reference: str) -> str:
    """`CIS Docker 1.6.0 5.5` -> `5.5`; "" for a reference to another version or benchmark."""
    return reference[len(CIS_PREFIX):] if reference.startswith(CIS_PREFIX) else ""


def cis_title(reference: str) -> str:
    return CIS_RECOMMENDATIONS.get(cis_number(reference), "")


def assessed_by(metas: Sequence[RuleMeta]) -> Dict[str, List[RuleMeta]]:
    """Citation -> the rules (metadata) that cite it."""
    out: Dict[str, List[RuleMeta]] = {}
    for m in metas:
        for c in m.hipaa:
            out.setdefault(c, []).append(m)
    return out
