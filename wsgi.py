"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi …``."""

from imi_web import create_app

app = create_app()
