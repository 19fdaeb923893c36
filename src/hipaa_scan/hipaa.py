"""The HIPAA provisions findings relate to. A finding relates to a safeguard; it is never a legal verdict."""

CITATIONS = {
    "164.308(a)(1)(ii)(D)": "Security management process: information system activity review",
    "164.308(a)(5)(ii)(B)": "Security awareness and training: protection from malicious software",
    "164.308(a)(7)": "Contingency plan",
    "164.308(b)(1)": "Business associate contracts and other arrangements",
    "164.312(a)(1)": "Access control",
    "164.312(a)(2)(iv)": "Access control: encryption and decryption",
    "164.312(b)": "Audit controls",
    "164.312(c)(1)": "Integrity",
    "164.312(d)": "Person or entity authentication",
    "164.312(e)(1)": "Transmission security",
    "164.316(b)(2)(i)": "Documentation: time limit (retain six years)",
    "164.502(e)": "Disclosures to business associates",
}


def title(citation: str) -> str:
    return CITATIONS.get(citation, "")


def sort_key(citation: str):
    return tuple(citation.replace("(", " ").replace(")", " ").split())
