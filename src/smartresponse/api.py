"""The API for CAD integration, /api/v1, OpenAPI at /api/v1/docs."""

from ninja import NinjaAPI

api = NinjaAPI(title="SMART Response API", version="1", urls_namespace="api-v1")
