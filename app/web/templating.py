"""The Jinja templates of the pages (templates/): read by the pages and by the one-file page."""

from pathlib import Path

from fastapi.templating import Jinja2Templates

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parents[2] / "templates")
