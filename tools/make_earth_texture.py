"""Render the view's Earth texture from the land mask the package already uses.

Writes ``src/spacecompute/data/web/earth-2048x1024.png``: an equirectangular (plate carree)
2048 x 1024 image, row 0 at 90 N, column 0 at 180 W, land and sea from ``global-land-mask``
(GLOBE 1 km land mask, NOAA, public domain), with a 30 degree graticule. Run once; the PNG ships.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from global_land_mask import globe
from PIL import Image

W, H = 2048, 1024
OUT = Path(__file__).resolve().parents[1] / "src/spacecompute/data/web/earth-2048x1024.png"
SEA, LAND, GRID_SEA, GRID_LAND = (12, 34, 64), (58, 96, 62), (30, 58, 96), (82, 120, 84)


def main() -> None:
    lat = 90.0 - (np.arange(H) + 0.5) * 180.0 / H
    lon = -180.0 + (np.arange(W) + 0.5) * 360.0 / W
    lon2, lat2 = np.meshgrid(lon, lat)
    land = globe.is_land(np.clip(lat2, -89.999, 89.999), np.clip(lon2, -179.999, 179.999))
    step = 30.0
    near_lat = np.abs((lat2 + 90.0) % step - step / 2) > step / 2 - 180.0 / H
    near_lon = np.abs((lon2 + 180.0) % step - step / 2) > step / 2 - 360.0 / W
    grid = near_lat | near_lon
    index = land.astype(np.uint8) + 2 * grid.astype(np.uint8)  # 0 sea 1 land 2 grid-sea 3 grid-land
    img = Image.fromarray(index, mode="P")
    img.putpalette([c for rgb in (SEA, LAND, GRID_SEA, GRID_LAND) for c in rgb])
    img.save(OUT, optimize=True)
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
