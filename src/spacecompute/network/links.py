"""Physical link models: optical inter-satellite links, radio ground links, line of sight.

Everything is in SI units inside (metres, watts, hertz, kelvin, radians) and in decibels where
the name says ``_db``; angles that users type are in degrees (``_deg``). Every function accepts
numpy arrays (of distances, elevations, positions, ...) and broadcasts; a scalar input gives a
Python ``float`` back, an array input an array.

Optical inter-satellite link (:func:`optical_link_budget`)
    The Friis transmission equation (Friis, Proc. IRE 34 (1946) 254) with the aperture gain of
    a circular telescope, ``G = eta (pi D / lambda)^2`` (Kraus and Marhefka, *Antennas*, 3rd ed.,
    eq. 2-41; Hemmati, *Near-Earth Laser Communications*, 2nd ed., ch. 1):

        P_rx = P_tx G_tx G_rx (lambda / (4 pi d))^2 10^(-L/10)

    The data rate follows from the photon flux: ``rate = P_rx / (N_ppb h c / lambda)`` where
    ``N_ppb`` is the receiver's sensitivity in photons per bit, capped by the terminal's rate.
    This is the budget of Google's Suncatcher design study (arXiv:2511.19468, "Towards a future
    space-based, highly scalable AI infrastructure system design", 2025): 5 W, 10 cm apertures at
    80 % efficiency (105.1 dB each), 1.55 um, 3 dB of other losses give about 1.6 uW at
    5,000 km; Shannon needs about 1.39 photons per bit, OOK about 71 and PM-16QAM about 196.

Radio ground link (:func:`radio_link_budget`)
    ``C/N0 = EIRP - FSPL - A_atm + G/T - 10 log10(k)`` (Wertz and Larson, *Space Mission
    Analysis and Design* (SMAD), 3rd ed., 1999, eq. 13-13), ``Es/N0 = C/N0 - 10 log10(Rs)`` with
    ``Rs = B / (1 + rolloff)``, and the best DVB-S2 MODCOD whose required Es/N0 (ETSI
    EN 302 307-1 V1.4.1, Table 13) fits; rate = ``Rs x spectral efficiency``, capped by the
    radio. Atmospheric loss: :func:`atmospheric_loss_db`.

Line of sight (:func:`line_of_sight`, :func:`max_isl_range_m`)
    A link between two satellites must pass above the Earth plus a grazing altitude (80 km by
    default, as in Hypatia: Kassing et al., "Exploring the Internet from space with Hypatia",
    IMC 2020). The Earth is a sphere of the WGS84 equatorial radius unless told otherwise.

Terminal catalog (:func:`terminal`, :func:`terminals`)
    ``spacecompute/data/terminals.yaml``: each entry carries its source and date, and lists the
    fields that were assumed rather than published.
"""

from __future__ import annotations

import difflib
import math
import warnings
from dataclasses import MISSING, dataclass, fields
from functools import lru_cache
from importlib import resources
from typing import Any, ClassVar, NamedTuple

import numpy as np

from spacecompute.astro.constants import EARTH_EQUATORIAL_RADIUS_M, SPEED_OF_LIGHT_M_S
from spacecompute.errors import InputError, Problem
from spacecompute.network import atmosphere
from spacecompute.yamlio import load_yaml_text

__all__ = [
    "BOLTZMANN_DBW_PER_K_HZ",
    "BOLTZMANN_J_PER_K",
    "DEFAULT_GRAZING_ALTITUDE_M",
    "DVBS2_MODCODS",
    "PLANCK_J_S",
    "GroundTerminal",
    "Modcod",
    "OpticalBudget",
    "OpticalTerminal",
    "RadioBudget",
    "RadioTerminal",
    "Terminal",
    "antenna_diameter_m",
    "atmospheric_loss_db",
    "beam_divergence_rad",
    "dvbs2_best_modcod",
    "free_space_path_loss_db",
    "isl_feasible",
    "line_of_sight",
    "max_isl_range_m",
    "optical_gain_db",
    "optical_link_budget",
    "optical_max_range_m",
    "optical_rate_at_bps",
    "optical_rate_bps",
    "optical_received_power_w",
    "photon_energy_j",
    "radio_link_budget",
    "slant_range_m",
    "spot_radius_m",
    "terminal",
    "terminals",
]

# Exact constants of the 2019 SI (BIPM, The International System of Units, 9th ed., 2019).
PLANCK_J_S = 6.62607015e-34
BOLTZMANN_J_PER_K = 1.380649e-23
BOLTZMANN_DBW_PER_K_HZ = 10.0 * math.log10(BOLTZMANN_J_PER_K)  # -228.599 dBW/(K Hz)

#: Lowest altitude a satellite-to-satellite ray may graze (Hypatia, Kassing et al. IMC 2020).
DEFAULT_GRAZING_ALTITUDE_M = 80e3

#: First zero of the Airy pattern, J1(x) = 0 at x = 3.8317: 3.8317 / pi = 1.2197 (Born and
#: Wolf, *Principles of Optics*, 7th ed., section 8.5.2). Rounded to 1.22 as in arXiv:2511.19468.
AIRY_FIRST_NULL = 1.22

Scalar = float | np.ndarray


# ---------------------------------------------------------------------------------------------
# Input checking
# ---------------------------------------------------------------------------------------------


def _array(
    value: Any,
    field: str,
    *,
    lo: float = -math.inf,
    hi: float = math.inf,
    lo_open: bool = False,
    allow_inf: bool = False,
) -> np.ndarray:
    """``value`` as a float64 array, every element finite and in [lo, hi] (or (lo, hi])."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"not a number: {value!r}", field=field, expected="a number") from None
    ok = ~np.isnan(arr) if allow_inf else np.isfinite(arr)
    ok &= (arr > lo) if lo_open else (arr >= lo)
    ok &= arr <= hi
    if not np.all(ok):
        bad = arr[~ok].ravel()[0] if arr.ndim else float(arr)
        lo_b = "(" if lo_open else "["
        raise InputError(
            f"out of range: {bad!r}", field=field, expected=f"finite values in {lo_b}{lo}, {hi}]"
        )
    return arr


def _out(x: np.ndarray) -> Scalar:
    """A 0-d result as a Python float, anything else as an array."""
    x = np.asarray(x)
    return float(x) if x.ndim == 0 else x


def _db(x: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(x)


# ---------------------------------------------------------------------------------------------
# Optical links
# ---------------------------------------------------------------------------------------------


def photon_energy_j(wavelength_m: Scalar) -> Scalar:
    """Energy of one photon, ``h c / lambda`` (J); 1.2816e-19 J at 1.55 um."""
    wl = _array(wavelength_m, "wavelength_m", lo=0.0, lo_open=True)
    return _out(PLANCK_J_S * SPEED_OF_LIGHT_M_S / wl)


def optical_gain_db(diameter_m: Scalar, wavelength_m: Scalar, efficiency: Scalar = 1.0) -> Scalar:
    """Gain of a circular aperture, ``10 log10(eta (pi D / lambda)^2)`` in dBi.

    Kraus and Marhefka, *Antennas*, 3rd ed., eq. 2-41 (G = 4 pi A_eff / lambda^2 with
    A_eff = eta pi D^2 / 4). A 10 cm aperture at 80 % and 1.55 um gives 105.17 dB, the
    105.1 dB of the Suncatcher budget (arXiv:2511.19468).
    """
    d = _array(diameter_m, "diameter_m", lo=0.0, lo_open=True)
    wl = _array(wavelength_m, "wavelength_m", lo=0.0, lo_open=True)
    eta = _array(efficiency, "efficiency", lo=0.0, hi=1.0, lo_open=True)
    return _out(_db(eta * (np.pi * d / wl) ** 2))


def beam_divergence_rad(diameter_m: Scalar, wavelength_m: Scalar) -> Scalar:
    """Beam divergence half-angle ``1.22 lambda / D`` (rad).

    Convention: the angular radius of the first null of the Airy pattern of a uniformly
    illuminated circular aperture (Born and Wolf, section 8.5.2), measured from the beam axis,
    as in arXiv:2511.19468 (18.9 urad for 10 cm at 1.55 um). It is about 2.4 times the
    half-width at half-maximum of the same pattern and slightly larger than the 1/e^2 half-angle
    of a Gaussian beam of waist D/2 (lambda / (pi w0) = 0.64 lambda / D).
    """
    d = _array(diameter_m, "diameter_m", lo=0.0, lo_open=True)
    wl = _array(wavelength_m, "wavelength_m", lo=0.0, lo_open=True)
    return _out(AIRY_FIRST_NULL * wl / d)


def spot_radius_m(distance_m: Scalar, diameter_m: Scalar, wavelength_m: Scalar) -> Scalar:
    """Radius of the beam footprint at a distance: ``distance x 1.22 lambda / D`` (m).

    Far-field (Fraunhofer) approximation, valid beyond about ``2 D^2 / lambda`` (13 km for 10 cm
    at 1.55 um); 94.6 m at 5,000 km for the Suncatcher terminal (the paper says about 95 m).
    """
    dist = _array(distance_m, "distance_m", lo=0.0)
    return _out(dist * np.asarray(beam_divergence_rad(diameter_m, wavelength_m)))


def optical_received_power_w(
    tx_power_w: Scalar,
    tx_gain_db: Scalar,
    rx_gain_db: Scalar,
    wavelength_m: Scalar,
    distance_m: Scalar,
    losses_db: Scalar = 0.0,
) -> Scalar:
    """Received optical power by the Friis equation (W).

    ``P_rx = P_tx G_tx G_rx (lambda / (4 pi d))^2 10^(-L/10)`` (Friis, Proc. IRE 34 (1946) 254),
    with ``losses_db`` >= 0 the sum of pointing, optics and other losses. The far-field formula
    would exceed the transmitted power at short range (below ``G lambda / (4 pi)``, about 4 km
    for two Suncatcher terminals); there the whole beam is collected and the result is capped at
    ``P_tx 10^(-L/10)``.
    """
    p = _array(tx_power_w, "tx_power_w", lo=0.0)
    gt = _array(tx_gain_db, "tx_gain_db")
    gr = _array(rx_gain_db, "rx_gain_db")
    wl = _array(wavelength_m, "wavelength_m", lo=0.0, lo_open=True)
    d = _array(distance_m, "distance_m", lo=0.0, lo_open=True)
    loss = _array(losses_db, "losses_db", lo=0.0)
    out_w = p * 10.0 ** ((gt + gr - loss) / 10.0) * (wl / (4.0 * np.pi * d)) ** 2
    return _out(np.minimum(out_w, p * 10.0 ** (-loss / 10.0)))


def optical_rate_bps(
    received_power_w: Scalar,
    wavelength_m: Scalar,
    photons_per_bit: Scalar,
    max_rate_bps: Scalar = math.inf,
) -> Scalar:
    """Data rate a receiver of a given sensitivity can sustain (bit/s).

    ``rate = P_rx / (N_ppb h c / lambda)``, capped at ``max_rate_bps``. ``N_ppb`` is the number of
    received photons each bit needs at the target error rate: about 1.39 at the Shannon limit,
    71 for OOK and 196 for PM-16QAM (arXiv:2511.19468). At 1.6 uW and 1.55 um that is about
    9 Tbps, 176 Gbps and 64 Gbps.
    """
    p = _array(received_power_w, "received_power_w", lo=0.0)
    e = np.asarray(photon_energy_j(wavelength_m))
    n = _array(photons_per_bit, "photons_per_bit", lo=0.0, lo_open=True)
    cap = _array(max_rate_bps, "max_rate_bps", lo=0.0, lo_open=True, allow_inf=True)
    return _out(np.minimum(p / (n * e), cap))


def _check_field(ok: bool, name: str, value: Any, expected: str) -> None:
    if not ok:
        raise InputError(f"{value!r}", field=name, expected=expected)


def _finite(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _positive(x: Any, *, allow_inf: bool = False) -> bool:
    if isinstance(x, bool) or not isinstance(x, int | float) or math.isnan(x):
        return False
    return x > 0 and (allow_inf or math.isfinite(x))


@dataclass(frozen=True)
class OpticalTerminal:
    """A laser communication terminal, as both transmitter and receiver.

    ``tx_loss_db`` and ``rx_loss_db`` (>= 0) are the losses at each end (optics, pointing,
    coupling); a link adds the transmitter's ``tx_loss_db`` to the receiver's ``rx_loss_db``.
    ``photons_per_bit`` is the receiver's sensitivity; ``max_rate_bps`` the terminal's rate;
    ``max_range_m`` the range the maker states (``inf`` when none is stated). ``assumed`` names
    the fields that are assumptions rather than published values.
    """

    kind: ClassVar[str] = "optical"

    name: str
    tx_power_w: float
    aperture_diameter_m: float
    aperture_efficiency: float
    wavelength_m: float
    max_rate_bps: float
    photons_per_bit: float
    tx_loss_db: float = 0.0
    rx_loss_db: float = 0.0
    max_range_m: float = math.inf
    source: str = ""
    date: str = ""
    notes: str = ""
    assumed: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_field(_positive(self.tx_power_w), "tx_power_w", self.tx_power_w, "> 0 W")
        _check_field(
            _positive(self.aperture_diameter_m),
            "aperture_diameter_m",
            self.aperture_diameter_m,
            "> 0 m",
        )
        _check_field(
            _positive(self.aperture_efficiency) and self.aperture_efficiency <= 1.0,
            "aperture_efficiency",
            self.aperture_efficiency,
            "in (0, 1]",
        )
        _check_field(
            _positive(self.wavelength_m) and self.wavelength_m < 1e-4,
            "wavelength_m",
            self.wavelength_m,
            "an optical wavelength in metres, e.g. 1.55e-6",
        )
        _check_field(
            _positive(self.max_rate_bps, allow_inf=True),
            "max_rate_bps",
            self.max_rate_bps,
            "> 0 bit/s",
        )
        _check_field(
            _positive(self.photons_per_bit), "photons_per_bit", self.photons_per_bit, "> 0"
        )
        for name in ("tx_loss_db", "rx_loss_db"):
            v = getattr(self, name)
            _check_field(_finite(v) and v >= 0, name, v, "a loss >= 0 dB")
        _check_field(
            _positive(self.max_range_m, allow_inf=True), "max_range_m", self.max_range_m, "> 0 m"
        )

    @property
    def gain_db(self) -> float:
        """Aperture gain in dBi, :func:`optical_gain_db`."""
        return float(
            optical_gain_db(self.aperture_diameter_m, self.wavelength_m, self.aperture_efficiency)
        )

    @property
    def divergence_rad(self) -> float:
        """Beam divergence half-angle, :func:`beam_divergence_rad`."""
        return float(beam_divergence_rad(self.aperture_diameter_m, self.wavelength_m))


@dataclass(frozen=True)
class OpticalBudget:
    """Result of :func:`optical_link_budget`; each field has the shape of ``distance_m``.

    ``required_power_w`` is what the receiver needs for the terminals' full rate, and
    ``margin_db = 10 log10(received / required)`` (negative: the link runs below full rate).
    ``path_loss_db`` is the free-space loss ``20 log10(4 pi d / lambda)`` (positive).
    """

    distance_m: Scalar
    tx_gain_db: float
    rx_gain_db: float
    path_loss_db: Scalar
    losses_db: float
    received_power_w: Scalar
    required_power_w: float
    margin_db: Scalar
    rate_bps: Scalar
    divergence_rad: float
    spot_radius_m: Scalar


def _common_wavelength(tx: OpticalTerminal, rx: OpticalTerminal) -> float:
    if not math.isclose(tx.wavelength_m, rx.wavelength_m, rel_tol=1e-3):
        raise InputError(
            f"terminals {tx.name!r} ({tx.wavelength_m:g} m) and {rx.name!r} "
            f"({rx.wavelength_m:g} m) use different wavelengths",
            field="rx.wavelength_m",
            expected=f"{tx.wavelength_m:g} m",
        )
    return tx.wavelength_m


def optical_link_budget(
    tx: OpticalTerminal,
    rx: OpticalTerminal,
    distance_m: Scalar,
    *,
    extra_loss_db: float = 0.0,
) -> OpticalBudget:
    """Budget of an optical link from ``tx`` to ``rx`` at ``distance_m`` (scalar or array).

    Friis with aperture gains (:func:`optical_received_power_w`), rate from the receiver's
    photons per bit capped by the slower terminal (:func:`optical_rate_bps`), divergence and spot
    radius of the transmitter's beam. Reproduces arXiv:2511.19468: for two ``suncatcher-isl``
    terminals at 5,000 km, 105.17 dB gains, 1.65 uW received, 18.9 urad and a 94.6 m spot.
    """
    wl = _common_wavelength(tx, rx)
    extra = float(_array(extra_loss_db, "extra_loss_db", lo=0.0))
    d = _array(distance_m, "distance_m", lo=0.0, lo_open=True)
    gt, gr = tx.gain_db, rx.gain_db
    losses = tx.tx_loss_db + rx.rx_loss_db + extra
    p_rx = np.asarray(optical_received_power_w(tx.tx_power_w, gt, gr, wl, d, losses))
    cap = min(tx.max_rate_bps, rx.max_rate_bps)
    e_ph = PLANCK_J_S * SPEED_OF_LIGHT_M_S / wl
    required = rx.photons_per_bit * e_ph * cap
    rate = np.asarray(optical_rate_bps(p_rx, wl, rx.photons_per_bit, cap))
    theta = tx.divergence_rad
    return OpticalBudget(
        distance_m=_out(d),
        tx_gain_db=gt,
        rx_gain_db=gr,
        path_loss_db=_out(20.0 * np.log10(4.0 * np.pi * d / wl)),
        losses_db=losses,
        received_power_w=_out(p_rx),
        required_power_w=float(required),
        margin_db=_out(_db(p_rx / required)),
        rate_bps=_out(rate),
        divergence_rad=theta,
        spot_radius_m=_out(d * theta),
    )


def optical_rate_at_bps(
    tx: OpticalTerminal, rx: OpticalTerminal, distance_m: np.ndarray
) -> np.ndarray:
    """``optical_link_budget(tx, rx, distance_m).rate_bps`` for an array of distances, by the
    same operations in the same order (bit for bit, tested) and nothing else: a training run
    asks for the rates of its ring links every step, and the whole budget's checks and other
    outputs cost five times as much. Distances must be finite and positive (else the budget's
    own error is raised)."""
    d = np.asarray(distance_m, dtype=np.float64)
    if d.size == 0 or not (np.isfinite(d).all() and d.min() > 0.0):
        return np.asarray(optical_link_budget(tx, rx, d).rate_bps, dtype=np.float64)
    wl = np.float64(_common_wavelength(tx, rx))
    p = np.float64(tx.tx_power_w)
    loss = np.float64(tx.tx_loss_db + rx.rx_loss_db + 0.0)
    gain = np.float64(tx.gain_db) + np.float64(rx.gain_db)
    p_rx = p * 10.0 ** ((gain - loss) / 10.0) * (wl / (4.0 * np.pi * d)) ** 2
    p_rx = np.minimum(p_rx, p * 10.0 ** (-loss / 10.0))
    e = np.float64(float(PLANCK_J_S * SPEED_OF_LIGHT_M_S / wl))
    cap = np.float64(min(tx.max_rate_bps, rx.max_rate_bps))
    return np.minimum(p_rx / (np.float64(rx.photons_per_bit) * e), cap)


def optical_max_range_m(
    tx: OpticalTerminal,
    rx: OpticalTerminal,
    rate_bps: float | None = None,
    *,
    extra_loss_db: float = 0.0,
) -> float:
    """Longest distance at which ``rx`` receives enough power for ``rate_bps`` (m).

    Friis solved for distance: ``d = lambda / (4 pi) sqrt(P_tx G_tx G_rx 10^(-L/10) / P_req)``
    with ``P_req = N_ppb h c / lambda x rate``. ``rate_bps`` defaults to the slower terminal's
    maximum rate. Not capped by ``max_range_m`` (which is the maker's statement, used by
    :func:`isl_feasible`); 0 when even the whole beam would not be enough.
    """
    wl = _common_wavelength(tx, rx)
    rate = min(tx.max_rate_bps, rx.max_rate_bps) if rate_bps is None else rate_bps
    rate = float(_array(rate, "rate_bps", lo=0.0, lo_open=True))
    extra = float(_array(extra_loss_db, "extra_loss_db", lo=0.0))
    losses = tx.tx_loss_db + rx.rx_loss_db + extra
    p_req = rx.photons_per_bit * PLANCK_J_S * SPEED_OF_LIGHT_M_S / wl * rate
    p_avail = tx.tx_power_w * 10.0 ** (-losses / 10.0)
    if p_avail < p_req:
        return 0.0
    g = 10.0 ** ((tx.gain_db + rx.gain_db) / 10.0)
    return wl / (4.0 * math.pi) * math.sqrt(p_avail * g / p_req)


# ---------------------------------------------------------------------------------------------
# Radio links
# ---------------------------------------------------------------------------------------------


def free_space_path_loss_db(distance_m: Scalar, frequency_hz: Scalar) -> Scalar:
    """Free-space path loss ``20 log10(4 pi d f / c)`` in dB (positive).

    Friis (1946); ITU-R P.525-4 eq. (6): L = 32.45 + 20 log f(MHz) + 20 log d(km). 8.15 GHz over
    1,000 km gives 170.67 dB.
    """
    d = _array(distance_m, "distance_m", lo=0.0, lo_open=True)
    f = _array(frequency_hz, "frequency_hz", lo=0.0, lo_open=True)
    return _out(20.0 * np.log10(4.0 * np.pi * d * f / SPEED_OF_LIGHT_M_S))


def slant_range_m(
    elevation_deg: Scalar,
    altitude_m: Scalar,
    earth_radius_m: float = EARTH_EQUATORIAL_RADIUS_M,
) -> Scalar:
    """Distance from a ground station (on a spherical Earth) to a satellite at an elevation (m).

    Law of cosines in the Earth-centre / station / satellite triangle (SMAD 3rd ed., section
    5.2, eqs. 5-17 to 5-20):
    ``d = sqrt((R + h)^2 - (R cos e)^2) - R sin e``; ``d = h`` at 90 deg and
    ``sqrt((R + h)^2 - R^2)`` at 0 deg.
    """
    e = np.radians(_array(elevation_deg, "elevation_deg", lo=0.0, hi=90.0))
    h = _array(altitude_m, "altitude_m", lo=0.0, lo_open=True)
    r = float(_array(earth_radius_m, "earth_radius_m", lo=0.0, lo_open=True))
    rc = r * np.cos(e)
    return _out(np.sqrt((r + h) ** 2 - rc * rc) - r * np.sin(e))


# Atmospheric attenuation at zenith, by frequency, computed for this table with ITU-Rpy 0.4.0:
# - gases: ITU-R P.676-12 Annex 1 (line-by-line), mean annual global reference atmosphere at sea
#   level (7.5 g/m3 water vapour, 1013.25 hPa, 288.15 K), elevation 90 deg;
# - rain: ITU-R P.618-13 section 2.2.1.1 (with P.837-7 rain rates, P.839-4 rain heights) for a
#   temperate reference site, Paris (48.85 N, 2.35 E, 100 m), tau = 45 deg, exceeded 1 % and
#   0.1 % of the year (availability 99 % and 99.9 %). P.618 is a slant-path method; the value
#   here is A(30 deg) x sin(30 deg), the zenith equivalent that the cosecant law maps back onto
#   P.618 at 30 deg. With the cosecant law it is within 0.4 dB of P.618 above 30 deg at 26 GHz
#   (99 %) and overestimates low elevations (3.7 dB at 10 deg in P.618, 5.3 dB here).
_ATM_FREQ_GHZ = np.array(
    [1, 2, 4, 6, 8, 8.15, 10, 12, 14, 16, 18, 20, 22.235, 24, 26, 28, 30, 35, 40], dtype=float
)
_ATM_GAS_ZENITH_DB = np.array(
    [0.0314, 0.0355, 0.0382, 0.0413, 0.0455, 0.0459, 0.0515, 0.0599, 0.0725, 0.0938, 0.1377,
     0.2526, 0.5221, 0.4041, 0.2795, 0.2381, 0.2319, 0.2796, 0.3988]
)  # fmt: skip
_ATM_RAIN_ZENITH_DB = {
    0.99: np.array(
        [0.0000, 0.0001, 0.0010, 0.0104, 0.0435, 0.0470, 0.0953, 0.1634, 0.2438, 0.3329, 0.4310,
         0.5385, 0.6697, 0.7806, 0.9129, 1.0508, 1.1925, 1.5546, 1.9131]
    ),
    0.999: np.array(
        [0.0001, 0.0008, 0.0073, 0.0602, 0.2227, 0.2391, 0.4565, 0.7471, 1.0774, 1.4323, 1.8135,
         2.2232, 2.7134, 3.1217, 3.6021, 4.0962, 4.5985, 5.8596, 7.0839]
    ),
}  # fmt: skip

#: Below this elevation the cosecant law of ITU-R P.676-12 Annex 2 section 2.2.1 (valid from
#: 5 to 90 deg) is replaced by the curved-layer path of ITU-R P.618-13 eq. (2).
_COSECANT_MIN_ELEVATION_DEG = 5.0

#: Availabilities ITU-R P.618 covers (exceeded 0.001 % to 50 % of the year); the fallback table
#: has 0.99 and 0.999 only.
_ITUR_AVAILABILITY = (0.5, 0.99999)
_ITUR_FREQ_GHZ = (1.0, 55.0)  # ITU-R P.618-13 section 2.2.1.1, P.676 Annex 2
_fallback_warned = False


def _elevation_factor(elevation_deg: np.ndarray) -> np.ndarray:
    """Slant-to-zenith ratio: 1/sin(e) from 5 deg up, the curved-layer ratio below."""
    return atmosphere.elevation_factor(elevation_deg, _COSECANT_MIN_ELEVATION_DEG)


def antenna_diameter_m(gain_dbi: float, frequency_hz: float, efficiency: float = 0.5) -> float:
    """Reflector diameter of a ``gain_dbi`` antenna, ``D = lambda / pi sqrt(G / eta)`` (Kraus and
    Marhefka, *Antennas*, 3rd ed., eq. 2-41); ``eta`` 0.5 as ITU-R P.618's scintillation default."""
    g = 10.0 ** (float(gain_dbi) / 10.0)
    return SPEED_OF_LIGHT_M_S / float(frequency_hz) / math.pi * math.sqrt(g / efficiency)


def _warn_fallback() -> None:
    global _fallback_warned
    if not _fallback_warned:
        _fallback_warned = True
        warnings.warn(
            "itur (ITU-Rpy) is not installed: atmospheric attenuation uses spacecompute's "
            "zenith table for Paris scaled by 1/sin(elevation), which overstates rain at low "
            "elevation (install spacecompute[itur] for ITU-R P.618/P.676/P.840 at each station)",
            RuntimeWarning,
            stacklevel=3,
        )


def _table_loss_db(e: np.ndarray, f_ghz: np.ndarray, availability: float | None) -> np.ndarray:
    """The fallback: zenith table x 1/sin(e) (see ``_ATM_*``)."""
    lo_f, hi_f = float(_ATM_FREQ_GHZ[0]), float(_ATM_FREQ_GHZ[-1])
    if np.any((f_ghz < lo_f) | (f_ghz > hi_f)):
        raise InputError(
            f"frequency outside the tabulated {lo_f:g}-{hi_f:g} GHz",
            field="frequency_hz",
            expected=f"{lo_f * 1e9:g} to {hi_f * 1e9:g} Hz",
        )
    zenith = np.interp(f_ghz, _ATM_FREQ_GHZ, _ATM_GAS_ZENITH_DB)
    if availability is not None:
        table = _ATM_RAIN_ZENITH_DB.get(availability)
        if table is None:
            raise InputError(
                f"no rain table for availability {availability!r} (itur is not installed)",
                field="availability",
                expected=f"one of {sorted(_ATM_RAIN_ZENITH_DB)} or None (clear sky), or "
                "install spacecompute[itur]",
            )
        zenith = zenith + np.interp(f_ghz, _ATM_FREQ_GHZ, table)
    return zenith * _elevation_factor(e)


def atmospheric_loss_db(
    elevation_deg: Scalar,
    frequency_hz: Scalar,
    availability: float | None = 0.99,
    *,
    lat_deg: Scalar | None = None,
    lon_deg: Scalar | None = None,
    alt_m: Scalar | None = None,
    antenna_diameter_m: float = 1.0,
    use_itur: bool | None = None,
) -> Scalar:
    """Atmospheric attenuation on an Earth-space path (dB) exceeded ``1 - availability`` of the
    year at a station.

    With ITU-Rpy installed (``spacecompute[itur]``, the default): ITU-R P.618-13 section 2.5,
    gases (P.676-12 Annex 2) + rain (P.618-13) + clouds (P.840-8) + scintillation (P.618-13, for
    an antenna of ``antenna_diameter_m``) at the station ``lat_deg``, ``lon_deg``, ``alt_m``
    (default :data:`~spacecompute.network.atmosphere.REFERENCE_SITE`, Paris), tabulated once per
    process per station and frequency on a 1-deg elevation grid and interpolated (see
    :mod:`spacecompute.network.atmosphere`). At Paris, 26 GHz, 99 %: 2.6 dB at zenith, 11.5 dB
    at 10 deg (gas 3.4, clouds 4.2, rain 3.7, scintillation 1.4). ``availability`` from 0.5 to
    0.99999; ``None`` is clear sky (gases only, median water vapour). Frequencies 1-55 GHz.

    Without ITU-Rpy (or ``use_itur=False``), a documented fallback that ignores the station:
    ``A(e) = (A_gas,zenith(f) + A_rain,zenith(f, p)) / sin(e)`` with zenith values tabulated
    from 1 to 40 GHz for Paris (see ``_ATM_*`` in this module), ``availability`` 0.99 or 0.999
    only; it overstates rain at low elevation (5.3 dB at 26 GHz, 10 deg, 99 % where P.618 has
    3.7 dB) and leaves out clouds and scintillation. A warning says so once per process.
    Below 5 deg both use the curved-layer path of P.618-13 eq. (2) (finite at 0 deg).
    """
    e = _array(elevation_deg, "elevation_deg", lo=0.0, hi=90.0)
    f_ghz = _array(frequency_hz, "frequency_hz", lo=0.0, lo_open=True) / 1e9
    if use_itur is None:
        if not atmosphere.itur_available():
            _warn_fallback()
            return _out(_table_loss_db(e, f_ghz, availability))
    elif not use_itur:
        return _out(_table_loss_db(e, f_ghz, availability))
    lo_f, hi_f = _ITUR_FREQ_GHZ
    f_one = np.unique(f_ghz)
    if f_one.size != 1 or not lo_f <= float(f_one[0]) <= hi_f:
        raise InputError(
            f"frequency {frequency_hz!r} outside ITU-R P.618's {lo_f:g}-{hi_f:g} GHz",
            field="frequency_hz",
            expected=f"one frequency from {lo_f * 1e9:g} to {hi_f * 1e9:g} Hz",
        )
    p = None
    if availability is not None:
        lo_a, hi_a = _ITUR_AVAILABILITY
        if not _finite(availability) or not lo_a <= availability <= hi_a:
            raise InputError(
                f"availability {availability!r} outside ITU-R P.618's range",
                field="availability",
                expected=f"{lo_a:g} to {hi_a:g} (fraction of the year), or None (clear sky)",
            )
        p = round(100.0 * (1.0 - float(availability)), 9)
    site = atmosphere.REFERENCE_SITE
    lat = _array(site[0] if lat_deg is None else lat_deg, "lat_deg", lo=-90.0, hi=90.0)
    lon = _array(site[1] if lon_deg is None else lon_deg, "lon_deg", lo=-180.0, hi=360.0)
    alt = _array(site[2] if alt_m is None else alt_m, "alt_m", lo=-500.0, hi=9000.0)
    d_m = float(_array(antenna_diameter_m, "antenna_diameter_m", lo=0.0, lo_open=True))
    lon = np.where(lon > 180.0, lon - 360.0, lon)
    loss = atmosphere.itur_slant_loss_db(e, float(f_one[0]) * 1e9, p, lat, lon, alt, d_m)
    return _out(loss)


class Modcod(NamedTuple):
    """One DVB-S2 MODCOD: ideal Es/N0 for quasi-error-free reception and spectral efficiency.

    ``spectral_efficiency`` is information bits per transmitted symbol (normal 64,800-bit
    FECFRAME, no pilots); ``esn0_db`` the Es/N0 for a packet error rate of 1e-7 on an AWGN
    channel with perfect synchronisation (ETSI EN 302 307-1 V1.4.1, Table 13).
    """

    name: str
    modulation: str
    code_rate: str
    spectral_efficiency: float
    esn0_db: float


def _mc(modulation: str, rate: str, eff: float, esn0: float) -> Modcod:
    return Modcod(f"{modulation} {rate}", modulation, rate, eff, esn0)


#: ETSI EN 302 307-1 V1.4.1 (2014-11), Table 13: the 28 DVB-S2 MODCODs.
DVBS2_MODCODS: tuple[Modcod, ...] = (
    _mc("QPSK", "1/4", 0.490243, -2.35),
    _mc("QPSK", "1/3", 0.656448, -1.24),
    _mc("QPSK", "2/5", 0.789412, -0.30),
    _mc("QPSK", "1/2", 0.988858, 1.00),
    _mc("QPSK", "3/5", 1.188304, 2.23),
    _mc("QPSK", "2/3", 1.322253, 3.10),
    _mc("QPSK", "3/4", 1.487473, 4.03),
    _mc("QPSK", "4/5", 1.587196, 4.68),
    _mc("QPSK", "5/6", 1.654663, 5.18),
    _mc("QPSK", "8/9", 1.766451, 6.20),
    _mc("QPSK", "9/10", 1.788612, 6.42),
    _mc("8PSK", "3/5", 1.779991, 5.50),
    _mc("8PSK", "2/3", 1.980636, 6.62),
    _mc("8PSK", "3/4", 2.228124, 7.91),
    _mc("8PSK", "5/6", 2.478562, 9.35),
    _mc("8PSK", "8/9", 2.646012, 10.69),
    _mc("8PSK", "9/10", 2.679207, 10.98),
    _mc("16APSK", "2/3", 2.637201, 8.97),
    _mc("16APSK", "3/4", 2.966728, 10.21),
    _mc("16APSK", "4/5", 3.165623, 11.03),
    _mc("16APSK", "5/6", 3.300184, 11.61),
    _mc("16APSK", "8/9", 3.523143, 12.89),
    _mc("16APSK", "9/10", 3.567342, 13.13),
    _mc("32APSK", "3/4", 3.703295, 12.73),
    _mc("32APSK", "4/5", 3.951571, 13.64),
    _mc("32APSK", "5/6", 4.119540, 14.28),
    _mc("32APSK", "8/9", 4.397854, 15.69),
    _mc("32APSK", "9/10", 4.453027, 16.05),
)


@lru_cache(maxsize=1)
def _modcod_frontier() -> tuple[np.ndarray, np.ndarray]:
    """Thresholds sorted ascending, and for each prefix the index of the most efficient MODCOD."""
    thr = np.array([m.esn0_db for m in DVBS2_MODCODS])
    eff = np.array([m.spectral_efficiency for m in DVBS2_MODCODS])
    order = np.argsort(thr, kind="stable")
    best = np.empty(len(order), dtype=np.int64)
    current = -1
    for k, i in enumerate(order):
        if current < 0 or eff[i] > eff[current]:
            current = int(i)
        best[k] = current
    return thr[order], best


def dvbs2_best_modcod(esn0_db: Scalar, margin_db: float = 0.0) -> np.ndarray | int:
    """Index into :data:`DVBS2_MODCODS` of the most efficient MODCOD that closes, or -1.

    A MODCOD closes when ``esn0_db >= required Es/N0 + margin_db`` (ETSI EN 302 307-1 Table 13
    thresholds; ``margin_db`` is the implementation margin, typically 1-3 dB in practice).
    Vectorized: an array of Es/N0 gives an array of indices.
    """
    x = _array(esn0_db, "esn0_db", allow_inf=True)
    m = float(_array(margin_db, "margin_db"))
    thr, best = _modcod_frontier()
    count = np.searchsorted(thr, x - m, side="right")
    idx = np.where(count > 0, best[np.maximum(count - 1, 0)], -1)
    return int(idx) if idx.ndim == 0 else idx


@dataclass(frozen=True)
class RadioTerminal:
    """A satellite's radio transmitter and antenna.

    ``bandwidth_hz`` is the occupied bandwidth; the symbol rate is ``bandwidth / (1 + rolloff)``
    (root-raised-cosine shaping; DVB-S2 roll-offs are 0.35, 0.25 and 0.20, ETSI EN 302 307-1
    section 5.6). ``tx_loss_db`` (>= 0) is the line loss between amplifier and antenna;
    ``max_rate_bps`` the modem's limit (``inf`` when none is stated).
    """

    kind: ClassVar[str] = "radio"

    name: str
    frequency_hz: float
    bandwidth_hz: float
    tx_power_w: float
    antenna_gain_dbi: float
    tx_loss_db: float = 0.0
    rolloff: float = 0.35
    max_rate_bps: float = math.inf
    source: str = ""
    date: str = ""
    notes: str = ""
    assumed: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_field(_positive(self.frequency_hz), "frequency_hz", self.frequency_hz, "> 0 Hz")
        _check_field(_positive(self.bandwidth_hz), "bandwidth_hz", self.bandwidth_hz, "> 0 Hz")
        _check_field(_positive(self.tx_power_w), "tx_power_w", self.tx_power_w, "> 0 W")
        _check_field(
            _finite(self.antenna_gain_dbi), "antenna_gain_dbi", self.antenna_gain_dbi, "a gain"
        )
        _check_field(
            _finite(self.tx_loss_db) and self.tx_loss_db >= 0,
            "tx_loss_db",
            self.tx_loss_db,
            "a loss >= 0 dB",
        )
        _check_field(
            _finite(self.rolloff) and 0 <= self.rolloff <= 1, "rolloff", self.rolloff, "in [0, 1]"
        )
        _check_field(
            _positive(self.max_rate_bps, allow_inf=True),
            "max_rate_bps",
            self.max_rate_bps,
            "> 0 bit/s",
        )

    @property
    def eirp_dbw(self) -> float:
        """Equivalent isotropically radiated power, ``P_tx(dBW) - line loss + G`` (dBW)."""
        return 10.0 * math.log10(self.tx_power_w) - self.tx_loss_db + self.antenna_gain_dbi

    @property
    def symbol_rate_baud(self) -> float:
        """``bandwidth / (1 + rolloff)`` (symbols per second)."""
        return self.bandwidth_hz / (1.0 + self.rolloff)


@dataclass(frozen=True)
class GroundTerminal:
    """A ground station's receiving chain.

    ``system_noise_temperature_k`` is referred to the antenna terminals (antenna, line and
    receiver noise, SMAD 3rd ed. section 13.3.3), so ``G/T = gain - 10 log10(T_sys)``.
    ``min_elevation_deg`` is the mask below which the station does not track.
    """

    kind: ClassVar[str] = "ground"

    name: str
    antenna_gain_dbi: float
    system_noise_temperature_k: float
    min_elevation_deg: float = 10.0
    source: str = ""
    date: str = ""
    notes: str = ""
    assumed: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_field(
            _finite(self.antenna_gain_dbi), "antenna_gain_dbi", self.antenna_gain_dbi, "a gain"
        )
        _check_field(
            _positive(self.system_noise_temperature_k),
            "system_noise_temperature_k",
            self.system_noise_temperature_k,
            "> 0 K",
        )
        _check_field(
            _finite(self.min_elevation_deg) and 0 <= self.min_elevation_deg <= 90,
            "min_elevation_deg",
            self.min_elevation_deg,
            "in [0, 90] deg",
        )

    @property
    def g_over_t_db_k(self) -> float:
        """Figure of merit ``G/T`` in dB/K."""
        return self.antenna_gain_dbi - 10.0 * math.log10(self.system_noise_temperature_k)


@dataclass(frozen=True)
class RadioBudget:
    """Result of :func:`radio_link_budget`; array fields have the broadcast input shape.

    ``modcod`` holds MODCOD names (``""`` where none closes or the satellite is below the
    station's mask), ``spectral_efficiency`` bits per symbol (0 there), ``margin_db`` the Es/N0
    left over the chosen MODCOD's requirement plus the implementation margin (``nan`` where none
    closes). ``shannon_rate_bps = B log2(1 + C/N)`` with ``N = k T B`` is the capacity bound
    (the rate model of cote, Denby and Lucia, ASPLOS 2020), for comparison.
    """

    range_m: Scalar
    elevation_deg: Scalar
    eirp_dbw: float
    path_loss_db: Scalar
    atmospheric_loss_db: Scalar
    g_over_t_db_k: float
    cn0_dbhz: Scalar
    esn0_db: Scalar
    ebn0_db: Scalar
    modcod: np.ndarray | str
    spectral_efficiency: Scalar
    margin_db: Scalar
    rate_bps: Scalar
    shannon_rate_bps: Scalar


def radio_link_budget(
    radio: RadioTerminal,
    ground: GroundTerminal,
    range_m: Scalar,
    elevation_deg: Scalar,
    *,
    availability: float | None = 0.99,
    implementation_margin_db: float = 0.0,
    extra_loss_db: float = 0.0,
    lat_deg: Scalar | None = None,
    lon_deg: Scalar | None = None,
    alt_m: Scalar | None = None,
) -> RadioBudget:
    """Downlink budget from a satellite ``radio`` to a ``ground`` station.

    ``C/N0 = EIRP - FSPL(range) - A_atm(elevation) - extra + G/T - 10 log10(k)`` (SMAD 3rd ed.
    eq. 13-13; :func:`free_space_path_loss_db`, :func:`atmospheric_loss_db`), then
    ``Es/N0 = C/N0 - 10 log10(Rs)``, the best DVB-S2 MODCOD (:func:`dvbs2_best_modcod`), rate
    ``Rs x efficiency`` capped at the radio's ``max_rate_bps``. ``Eb/N0 = Es/N0 - 10 log10(eff)``
    for the chosen MODCOD (``Es/N0`` itself where none closes). Below the station's elevation
    mask the rate is 0. ``range_m`` and ``elevation_deg`` broadcast together (elevations below 0
    are allowed and give rate 0; compute consistent pairs with :func:`slant_range_m`).
    ``lat_deg``, ``lon_deg``, ``alt_m`` place the station (broadcast with ``range_m``; default
    the reference site, Paris) for the ITU-R attenuation exceeded ``1 - availability`` of the
    year, with scintillation for the ground antenna's diameter at its gain
    (:func:`antenna_diameter_m`).
    """
    d = _array(range_m, "range_m", lo=0.0, lo_open=True)
    e = _array(elevation_deg, "elevation_deg", lo=-90.0, hi=90.0)
    d, e = np.broadcast_arrays(d, e)
    impl = float(_array(implementation_margin_db, "implementation_margin_db"))
    extra = float(_array(extra_loss_db, "extra_loss_db", lo=0.0))
    fspl = np.asarray(free_space_path_loss_db(d, radio.frequency_hz))
    atm = np.asarray(
        atmospheric_loss_db(
            np.clip(e, 0.0, 90.0),
            radio.frequency_hz,
            availability,
            lat_deg=lat_deg,
            lon_deg=lon_deg,
            alt_m=alt_m,
            antenna_diameter_m=antenna_diameter_m(ground.antenna_gain_dbi, radio.frequency_hz),
        )
    )
    eirp = radio.eirp_dbw
    gt = ground.g_over_t_db_k
    cn0 = eirp - fspl - atm - extra + gt - BOLTZMANN_DBW_PER_K_HZ
    rs = radio.symbol_rate_baud
    esn0 = cn0 - 10.0 * math.log10(rs)
    idx = np.asarray(dvbs2_best_modcod(esn0, impl))
    idx = np.where(e >= ground.min_elevation_deg, idx, -1)
    ok = idx >= 0
    table_eff = np.array([m.spectral_efficiency for m in DVBS2_MODCODS])
    table_thr = np.array([m.esn0_db for m in DVBS2_MODCODS])
    names = np.array([m.name for m in DVBS2_MODCODS] + [""], dtype=object)
    safe = np.where(ok, idx, 0)
    eff = np.where(ok, table_eff[safe], 0.0)
    margin = np.where(ok, esn0 - table_thr[safe] - impl, np.nan)
    ebn0 = np.where(ok, esn0 - _db(np.where(ok, eff, 1.0)), esn0)
    rate = np.minimum(rs * eff, radio.max_rate_bps)
    cn_linear = 10.0 ** ((cn0 - 10.0 * math.log10(radio.bandwidth_hz)) / 10.0)
    shannon = np.where(
        e >= ground.min_elevation_deg, radio.bandwidth_hz * np.log2(1.0 + cn_linear), 0.0
    )
    modcod = names[np.where(ok, idx, len(DVBS2_MODCODS))]
    return RadioBudget(
        range_m=_out(d),
        elevation_deg=_out(e),
        eirp_dbw=eirp,
        path_loss_db=_out(fspl),
        atmospheric_loss_db=_out(atm),
        g_over_t_db_k=gt,
        cn0_dbhz=_out(cn0),
        esn0_db=_out(esn0),
        ebn0_db=_out(ebn0),
        modcod=str(modcod) if e.ndim == 0 else modcod,
        spectral_efficiency=_out(eff),
        margin_db=_out(margin),
        rate_bps=_out(rate),
        shannon_rate_bps=_out(shannon),
    )


# ---------------------------------------------------------------------------------------------
# Line of sight
# ---------------------------------------------------------------------------------------------


def _positions(value: Any, field: str) -> np.ndarray:
    arr = _array(value, field)
    if arr.ndim == 0 or arr.shape[-1] != 3:
        raise InputError(
            f"shape {arr.shape}", field=field, expected="positions with a last axis of 3 (m)"
        )
    return arr


def line_of_sight(
    r1_m: np.ndarray,
    r2_m: np.ndarray,
    grazing_altitude_m: float = DEFAULT_GRAZING_ALTITUDE_M,
    earth_radius_m: float = EARTH_EQUATORIAL_RADIUS_M,
) -> np.ndarray | bool:
    """Whether the segment between two positions clears the Earth plus a grazing altitude.

    ``r1_m`` and ``r2_m`` are Earth-centred positions (m) with a last axis of 3 that broadcast
    together: one pair ``(3,)``, many pairs ``(N, 3)``, or time-by-edge ``(T, E, 3)``. The closest
    point of the segment to the Earth's centre is the foot of the perpendicular when it falls
    between the ends (distance ``|r1 x r2| / |r2 - r1|``), else the nearer end; the link is clear
    when that distance is at least ``R + grazing_altitude_m`` (spherical Earth; Hypatia's 80 km
    default, Kassing et al. IMC 2020). The computation is symmetric in ``r1``/``r2`` bit for bit.
    """
    a = _positions(r1_m, "r1_m")
    b = _positions(r2_m, "r2_m")
    g = float(_array(grazing_altitude_m, "grazing_altitude_m", lo=0.0))
    r = float(_array(earth_radius_m, "earth_radius_m", lo=0.0, lo_open=True))
    ax, ay, az = a[..., 0], a[..., 1], a[..., 2]
    bx, by, bz = b[..., 0], b[..., 1], b[..., 2]
    dx, dy, dz = bx - ax, by - ay, bz - az
    dd = dx * dx + dy * dy + dz * dz
    a_dot_d = ax * dx + ay * dy + az * dz
    b_dot_d = bx * dx + by * dy + bz * dz
    cx = ay * bz - az * by
    cy = az * bx - ax * bz
    cz = ax * by - ay * bx
    cross2 = cx * cx + cy * cy + cz * cz
    aa = ax * ax + ay * ay + az * az
    bb = bx * bx + by * by + bz * bz
    inside = (a_dot_d < 0.0) & (b_dot_d > 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        foot2 = cross2 / dd
    closest2 = np.where(inside, foot2, np.minimum(aa, bb))
    clear = closest2 >= (r + g) ** 2
    return bool(clear) if clear.ndim == 0 else clear


def max_isl_range_m(
    alt1_m: Scalar,
    alt2_m: Scalar,
    grazing_altitude_m: float = DEFAULT_GRAZING_ALTITUDE_M,
    earth_radius_m: float = EARTH_EQUATORIAL_RADIUS_M,
) -> Scalar:
    """Longest line-of-sight distance between satellites at two altitudes (m).

    The ray grazes the sphere ``R + g`` at its tangent point, so each end contributes
    ``sqrt((R + h_i)^2 - (R + g)^2)``; for equal altitudes this is Hypatia's
    ``2 sqrt((R + h)^2 - (R + g)^2)`` (Kassing et al., IMC 2020). Altitudes below the grazing
    altitude raise :class:`InputError`.
    """
    g = float(_array(grazing_altitude_m, "grazing_altitude_m", lo=0.0))
    r = float(_array(earth_radius_m, "earth_radius_m", lo=0.0, lo_open=True))
    h1 = _array(alt1_m, "alt1_m", lo=g)
    h2 = _array(alt2_m, "alt2_m", lo=g)
    rg2 = (r + g) ** 2
    return _out(np.sqrt((r + h1) ** 2 - rg2) + np.sqrt((r + h2) ** 2 - rg2))


def isl_feasible(
    r1_m: np.ndarray,
    r2_m: np.ndarray,
    max_range_m: float = math.inf,
    grazing_altitude_m: float = DEFAULT_GRAZING_ALTITUDE_M,
    earth_radius_m: float = EARTH_EQUATORIAL_RADIUS_M,
) -> np.ndarray | bool:
    """Line of sight (:func:`line_of_sight`) and distance within a terminal's range.

    Pass ``max_range_m=terminal.max_range_m`` for the maker's stated range, or
    :func:`optical_max_range_m` for the range at which the link budget still gives full rate.
    """
    rmax = float(_array(max_range_m, "max_range_m", lo=0.0, lo_open=True, allow_inf=True))
    los = np.asarray(line_of_sight(r1_m, r2_m, grazing_altitude_m, earth_radius_m))
    diff = np.asarray(r2_m, dtype=np.float64) - np.asarray(r1_m, dtype=np.float64)
    within = np.einsum("...i,...i->...", diff, diff) <= rmax * rmax
    ok = los & within
    return bool(ok) if ok.ndim == 0 else ok


# ---------------------------------------------------------------------------------------------
# Terminal catalog
# ---------------------------------------------------------------------------------------------

Terminal = OpticalTerminal | RadioTerminal | GroundTerminal
_KINDS: dict[str, type] = {
    "optical": OpticalTerminal,
    "radio": RadioTerminal,
    "ground": GroundTerminal,
}
_CATALOG_FILE = "terminals.yaml"
_INF_FIELDS = {"max_rate_bps", "max_range_m"}


def _coerce(cls: type, name: str, value: Any) -> Any:
    """YAML value -> dataclass field value (null -> inf for open limits, dates -> str)."""
    if name in ("name", "source", "date", "notes"):
        return "" if value is None else str(value)
    if name == "assumed":
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InputError(f"{value!r}", field=name, expected="a list of field names")
        known = {f.name for f in fields(cls)}
        unknown = [v for v in value if v not in known]
        if unknown:
            raise InputError(f"unknown fields {unknown}", field=name, expected=str(sorted(known)))
        return tuple(value)
    if value is None and name in _INF_FIELDS:
        return math.inf
    if isinstance(value, str):
        # PyYAML (YAML 1.1) reads 9.6e12 as a string: it wants 9.6e+12. Accept both.
        try:
            return float(value)
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{value!r}", field=name, expected="a number")
    return float(value)


@lru_cache(maxsize=1)
def _catalog() -> dict[str, Terminal]:
    """Parse and check ``data/terminals.yaml`` (every problem reported at once)."""
    path = resources.files("spacecompute") / "data" / _CATALOG_FILE
    file = f"spacecompute/data/{_CATALOG_FILE}"
    try:
        doc = load_yaml_text(path.read_text(encoding="utf-8"), file=file, packaged=True).data
    except InputError as exc:
        raise InputError(f"not valid YAML: {exc}", file=file) from None
    entries = doc.get("terminals") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise InputError("no 'terminals' list", file=file, expected="terminals: [ ... ]")
    out: dict[str, Terminal] = {}
    problems: list[Problem] = []
    for i, entry in enumerate(entries):
        where = f"terminals[{i}]"
        if not isinstance(entry, dict):
            problems.append(Problem("not a mapping", file=file, field=where))
            continue
        kind = entry.get("kind")
        cls = _KINDS.get(kind)  # type: ignore[arg-type]
        if cls is None:
            problems.append(
                Problem(f"{kind!r}", file=file, field=f"{where}.kind", expected=str(list(_KINDS)))
            )
            continue
        known = {f.name: f for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        bad: set[str] = set()
        for key, value in entry.items():
            if key == "kind":
                continue
            if key not in known:
                close = difflib.get_close_matches(str(key), list(known), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                problems.append(Problem(f"unknown field{hint}", file=file, field=f"{where}.{key}"))
                continue
            try:
                kwargs[key] = _coerce(cls, key, value)
            except InputError as exc:
                p = exc.problems[0]
                problems.append(
                    Problem(p.message, file=file, field=f"{where}.{key}", expected=p.expected)
                )
                bad.add(key)
        if bad:
            continue
        missing = [
            n
            for n, f in known.items()
            if f.default is MISSING and f.default_factory is MISSING and n not in kwargs
        ]
        for n in ("source", "date"):
            if not kwargs.get(n):
                missing.append(n)
        if missing:
            problems.append(Problem(f"missing {missing}", file=file, field=where))
            continue
        try:
            term = cls(**kwargs)
        except InputError as exc:
            p = exc.problems[0]
            problems.append(
                Problem(p.message, file=file, field=f"{where}.{p.field}", expected=p.expected)
            )
            continue
        key = term.name.casefold()
        if key in out:
            problems.append(Problem(f"duplicate name {term.name!r}", file=file, field=where))
            continue
        out[key] = term
    if problems:
        raise InputError(problems=problems)
    return out


def terminals(kind: str | None = None) -> dict[str, Terminal]:
    """The built-in terminals by name, in catalog order; ``kind`` filters
    (``"optical"``, ``"radio"`` or ``"ground"``)."""
    if kind is not None and kind not in _KINDS:
        raise InputError(f"{kind!r}", field="kind", expected=f"one of {list(_KINDS)} or None")
    return {t.name: t for t in _catalog().values() if kind is None or t.kind == kind}


def terminal(name: str) -> Terminal:
    """The built-in terminal called ``name`` (case-insensitive), a frozen dataclass.

    An unknown name raises :class:`~spacecompute.errors.InputError` naming the closest ones.
    """
    catalog = _catalog()
    key = str(name).strip().casefold()
    if key in catalog:
        return catalog[key]
    close = difflib.get_close_matches(key, list(catalog), n=3, cutoff=0.4)
    hint = ", ".join(catalog[c].name for c in close) or "none close"
    raise InputError(
        f"unknown terminal {name!r} (closest: {hint})",
        field="terminal",
        expected="a terminal listed by `spacecompute terminals`",
    )
