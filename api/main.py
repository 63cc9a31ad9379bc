"""ASGI entry point: ``uvicorn api.main:app`` (settings from the environment)."""

from api.app import create_app
from zhiku.settings import get_settings

app = create_app(get_settings())
