"""ASGI entry point: ``uvicorn api.main:app`` (settings from the environment). Each uvicorn worker
process imports it, so process-wide settings are applied here too."""

import sys

from api.app import create_app
from zhiku.logs import install_redaction
from zhiku.settings import get_settings

install_redaction()  # also under a bare `uvicorn api.main:app` (zhiku serve configures it already)
_settings = get_settings()
# Answers are CPU work in threads; a shorter GIL switch interval lets the event loop (callback
# acknowledgements, health checks) in sooner while they run (bench/wecom.py measures it).
sys.setswitchinterval(_settings.gil_switch_interval_ms / 1000)
app = create_app(_settings, freeze_gc=True)
