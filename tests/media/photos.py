"""Photo files for tests, made with Pillow: a phone's JPEG with GPS and orientation in its
EXIF, noise that does not compress, and what is no photo at all."""

from __future__ import annotations

import random
from io import BytesIO

from PIL import ExifTags, Image

GPS_LATITUDE = (51.0, 30.0, 26.4)


def phone_jpeg(size: tuple[int, int] = (2400, 1800), *, orientation: int = 1) -> bytes:
    """A landscape JPEG as a phone saves it: camera make, GPS position, orientation, a
    comment. Orientation 6 means "turn it a quarter clockwise to view it"."""
    picture = Image.new("RGB", size, (30, 90, 200))
    picture.paste((240, 200, 40), (0, 0, size[0] // 2, size[1] // 3))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = GPS_LATITUDE
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (0.0, 7.0, 12.0)
    out = BytesIO()
    picture.save(out, "JPEG", exif=exif, comment=b"taken at 12 High Street")
    return out.getvalue()


def noise_png(side: int) -> bytes:
    """A PNG of random pixels: about 3 * side * side bytes, whatever the compressor does."""
    rng = random.Random(side)
    picture = Image.frombytes("RGB", (side, side), rng.randbytes(3 * side * side))
    out = BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def has_gps(data: bytes) -> bool:
    with Image.open(BytesIO(data)) as picture:
        return bool(picture.getexif().get_ifd(ExifTags.IFD.GPSInfo))


NOT_A_PHOTO = b"Shopping list: bread, milk\n"
