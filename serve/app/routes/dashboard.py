"""The admin dashboard: one static page under /admin/ that reads and drives the JSON admin API.

The page and its two assets ship inside the package (serve/app/static/); they are read once and
served from memory. Everything the page shows comes from /admin/adapters, /admin/runs and
/admin/sessions, so the dashboard can never show something the API would not.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from serve.api.errors import NotFound

STATIC = Path(__file__).resolve().parent.parent / "static"
ASSETS = {"dashboard.js": "text/javascript; charset=utf-8",
          "dashboard.css": "text/css; charset=utf-8"}
# The page loads nothing from elsewhere; say so to the browser.
HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff",
           "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                                      "frame-ancestors 'none'"}

router = APIRouter(include_in_schema=False)


@cache
def _read(name: str) -> bytes:
    return (STATIC / name).read_bytes()


@router.get("/admin")
async def dashboard_redirect():
    return RedirectResponse("/admin/", status_code=308)


@router.get("/admin/")
async def dashboard():
    return Response(_read("dashboard.html"), media_type="text/html; charset=utf-8",
                    headers=HEADERS)


@router.get("/admin/assets/{name}")
async def asset(name: str):
    if name not in ASSETS:
        raise NotFound(f"No dashboard asset {name!r}.", param="name")
    return Response(_read(name), media_type=ASSETS[name], headers=HEADERS)
