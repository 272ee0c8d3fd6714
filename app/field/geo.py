"""Distances on the Earth's surface: the track's length and the ETA's straight-line estimate."""
from math import asin, cos, radians, sin, sqrt

EARTH_RADIUS_M = 6_371_008.8
# Roads are longer than the straight line between two points; a common rule of thumb.
ROAD_FACTOR = 1.3


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS-84 points."""
    phi1, phi2 = radians(lat1), radians(lat2)
    d_phi, d_lambda = phi2 - phi1, radians(lon2 - lon1)
    a = sin(d_phi / 2) ** 2 + cos(phi1) * cos(phi2) * sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * asin(min(1.0, sqrt(a)))


def track_length_m(points) -> float:
    """Sum of the legs of a track given as (latitude, longitude) pairs in time order."""
    total = 0.0
    for (lat1, lon1), (lat2, lon2) in zip(points, points[1:]):
        total += haversine_m(lat1, lon1, lat2, lon2)
    return total


def eta_seconds(origin: tuple[float, float], destination: tuple[float, float], speed_kmh: float) -> int:
    """A rough travel time: straight line × road factor at an average urban speed."""
    metres = haversine_m(*origin, *destination) * ROAD_FACTOR
    return int(metres / (speed_kmh * 1000 / 3600))


def valid_coordinates(latitude, longitude) -> bool:
    """Both numbers (not booleans), finite, inside the WGS-84 ranges, and not the 0,0 of a
    GPS without a fix."""
    for value in (latitude, longitude):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            return False
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return False
    return not (latitude == 0 and longitude == 0)
