"""Estimated travel time: straight-line distance times a road factor, over an average speed."""

from __future__ import annotations

import math

EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def eta_minutes(distance_km: float, road_factor: float, speed_kmh: float) -> float:
    if speed_kmh <= 0:
        raise ValueError("speed must be positive")
    return distance_km * road_factor / speed_kmh * 60.0
