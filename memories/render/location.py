"""Where outputs say they were taken. By default nowhere: outputs carry no GPS. With
`--keep-location` a memory's collage and video carry the middle of its photos' places, a
cover and a restyle the place of the photo they show: as EXIF GPS in JPEGs, and as an
ISO 6709 location in MP4s (the key phones write, which photo apps read)."""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction

from PIL import ExifTags, Image

Point = tuple[float, float]

MP4_LOCATION_KEY = "com.apple.quicktime.location.ISO6709"


def middle_of(points: Iterable[Point | None]) -> Point | None:
    """The known point nearest, in all, to the others: always a place where a photo was
    taken, among most of them (a year in Lyon and Kyoto is placed in Lyon or Kyoto, not
    half-way, and one stray photo elsewhere does not move it). None when none is known."""
    from memories.analyze.places import distance_km

    known = sorted(point for point in points if point is not None)
    if not known:
        return None
    return min(known, key=lambda point: sum(distance_km(point, other) for other in known))


def gps_exif(point: Point) -> bytes:
    """An EXIF block holding only a GPS position, to write into a JPEG."""
    latitude, longitude = point
    exif = Image.Exif()
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSVersionID] = b"\x02\x03\x00\x00"
    gps[ExifTags.GPS.GPSLatitudeRef] = "N" if latitude >= 0 else "S"
    gps[ExifTags.GPS.GPSLatitude] = _degrees_minutes_seconds(abs(latitude))
    gps[ExifTags.GPS.GPSLongitudeRef] = "E" if longitude >= 0 else "W"
    gps[ExifTags.GPS.GPSLongitude] = _degrees_minutes_seconds(abs(longitude))
    return exif.tobytes()


def iso6709(point: Point) -> str:
    """`+48.8566+002.3522/`: a position as MP4 files spell it."""
    latitude, longitude = point
    return f"{latitude:+08.4f}{longitude:+09.4f}/"


def _degrees_minutes_seconds(value: float) -> tuple[Fraction, Fraction, Fraction]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round((value - degrees - minutes / 60) * 3600 * 100)
    return (Fraction(degrees), Fraction(minutes), Fraction(seconds, 100))
