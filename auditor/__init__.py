"""auditor: audit the psychosocial work environment against ISO 45003 and Arbejdstilsynet's audit guides."""

__version__ = "0.1.0"
