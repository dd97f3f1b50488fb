"""Physical and geodetic constants, SI units.

Sources:
- WGS72 (used by SGP4, as required by the element sets it was fitted with): Vallado, Crawford,
  Hujsak and Kelso, "Revisiting Spacetrack Report #3", AIAA 2006-6753, table of gravity constants.
- WGS84 ellipsoid: NIMA TR8350.2, "Department of Defense World Geodetic System 1984", 3rd ed. (2000).
- Earth rotation rate: IERS Conventions (2010), TN36, section 1.2.
- Solar constant 1361 W/m2: Kopp and Lean, GRL 38 (2011) L01706.
- Astronomical unit: IAU 2012 Resolution B2.
- Solar radius: IAU 2015 Resolution B3 (nominal solar radius 695,700 km).
"""

from __future__ import annotations

import math

# WGS72 gravity model used by SGP4 (Vallado et al. 2006)
MU_WGS72_M3_S2 = 398600.8e9
EARTH_RADIUS_WGS72_M = 6378135.0
J2_WGS72 = 0.001082616
J3_WGS72 = -0.00000253881
J4_WGS72 = -0.00000165597

# WGS84 ellipsoid (NIMA TR8350.2)
EARTH_EQUATORIAL_RADIUS_M = 6378137.0
EARTH_FLATTENING = 1.0 / 298.257223563
EARTH_POLAR_RADIUS_M = EARTH_EQUATORIAL_RADIUS_M * (1.0 - EARTH_FLATTENING)
EARTH_ECCENTRICITY_SQ = EARTH_FLATTENING * (2.0 - EARTH_FLATTENING)
MU_EARTH_M3_S2 = 3.986004418e14
EARTH_MEAN_RADIUS_M = 6371008.8  # IUGG mean radius R1

# Earth rotation (IERS Conventions 2010)
EARTH_ROTATION_RATE_RAD_S = 7.292115146706979e-5

# Sun
AU_M = 149597870700.0
SUN_RADIUS_M = 695700000.0
SOLAR_CONSTANT_W_M2 = 1361.0

# Time
SECONDS_PER_DAY = 86400.0
JULIAN_YEAR_S = 365.25 * SECONDS_PER_DAY
TROPICAL_YEAR_S = 365.2421897 * SECONDS_PER_DAY
JD_UNIX_EPOCH = 2440587.5
JD_J2000 = 2451545.0
# SGP4's epoch origin: 1949 December 31 00:00 UT (Vallado et al. 2006)
JD_SGP4_EPOCH_ORIGIN = 2433281.5

SPEED_OF_LIGHT_M_S = 299792458.0
TWO_PI = 2.0 * math.pi
