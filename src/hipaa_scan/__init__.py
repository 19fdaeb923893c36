"""hipaa-scan: HIPAA Security Rule compliance scanner for containerised systems."""

__version__ = "0.1.0"
