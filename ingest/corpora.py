"""Real Chinese documentation that nobody here wrote, from Debian's packages, for tests and benchmarks.

``debian_package(name)`` downloads the package with ``apt-get download`` (the Debian mirror is reachable
where PyPI is) into a cache directory, unpacks it with ``dpkg -x`` and returns its documentation folder;
``None`` if apt cannot fetch it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

CACHE = Path(__file__).resolve().parent.parent / "bench" / ".cache"

#: Debian packages with real Chinese documentation (HTML and PDF), and where they put it.
DEBIAN_DOCS = {
    "debian-reference-zh-cn": "usr/share/debian-reference",
    "maint-guide-zh-cn": "usr/share/doc/maint-guide-zh-cn",
    "debian-edu-doc-zh-cn": "usr/share/doc/debian-edu-doc-zh-cn",
}
#: A corpus of many pages: LibreOffice's help in Simplified Chinese, 2,561 HTML pages (Debian 12).
MANY_PAGES = ("libreoffice-help-zh-cn", "usr/share/libreoffice/help/zh-CN")


def debian_package(name: str, cache: Path = CACHE, folder: str | None = None) -> Path | None:
    """Unpack a Debian documentation package into ``cache``; None if apt cannot fetch it.
    ``folder`` is where the package keeps its documents (default: from :data:`DEBIAN_DOCS`)."""
    target = cache / name
    docs = target / (folder or DEBIAN_DOCS[name])
    if docs.is_dir():
        return docs
    cache.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(["apt-get", "download", name], cwd=cache, check=True, capture_output=True, timeout=300)
        deb = next(cache.glob(f"{name}_*.deb"))
        subprocess.run(["dpkg", "-x", str(deb), str(target)], check=True, capture_output=True, timeout=300)
    except (OSError, subprocess.SubprocessError, StopIteration):
        return None
    return docs if docs.is_dir() else None
