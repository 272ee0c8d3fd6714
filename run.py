"""Entry point: ``FLASK_APP=run.py`` for the CLI, ``run:app`` for gunicorn."""
from dotenv import load_dotenv

load_dotenv()

from app import create_app, settle  # noqa: E402

app = settle(create_app())
