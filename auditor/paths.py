"""Where the shipped files are: at the top of a source checkout, or inside an installed wheel."""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
_shipped = PACKAGE_DIR / "_shipped"
_ROOT = _shipped if _shipped.is_dir() else PACKAGE_DIR.parent

CHECKLISTS_DIR = _ROOT / "checklists"
TEMPLATES_DIR = _ROOT / "templates"
STATIC_DIR = _ROOT / "static"
TRANSLATIONS_DIR = PACKAGE_DIR / "translations"
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"
DATA_DIR = PACKAGE_DIR / "data"  # reference tables the services read (e.g. IAF MD 5)
