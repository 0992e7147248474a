"""`GET /metrics`: the replica's Prometheus metrics in the text format (serve/observe/metrics.py).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from serve.observe.metrics import Scraper

router = APIRouter(tags=["operations"])


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    scraper: Scraper = request.app.state.scraper
    return Response(await scraper.render(), media_type=CONTENT_TYPE_LATEST)
