"""In-orbit payload heating telemetry (Tiansuan constellation, BUPT-1) and the payload-node fit.

Source: R. Xing, M. Xu, A. Zhou, Q. Li, Y. Zhang, F. Qian, S. Wang, "Deciphering the Enigma of
Satellite Computing with COTS Devices: Measurement and Analysis", ACM MobiCom 2024
(arXiv:2401.03435), section 3.3 "Heating rate", and its artifact repository
github.com/TiansuanConstellation/MobiCom24-SatelliteCOTS (commit 951b415),
``Temperature-HeatingRate/Data/sat_pi_stress_and_infer/PiA_Sun_3C_StressTest_180.csv``: a
Raspberry Pi 4B on the 12U CubeSat BUPT-1, once per second, columns ``TIME`` (Unix s),
``I_Pi-A`` (mA at 5.1 V), ``FREQUENCY(48)`` (ARM clock), ``TEMP`` (C; the artifact's README
calls it the payload's surface temperature). The issue's figures (19.4 C to 85.7 C in 85.6 min
at 4.8 W) are the artifact script ``sat_pi.py``'s: the first reading, the maximum reading in
the first 66 % of the record and its time, and the mean current times 5.1 V.

Read from the file (times from the first record, 1686833429): 19.4 C while the payload
telemetry starts; 26-28 C at 4.5-5.5 min (current 420-560 mA, about 2.5 W); the stress load
starts at about 329 s (current 840-1060 mA, about 4.8 W) and the reading jumps 16 K within
30 s (the die and its package, a time constant of seconds); then 64.0 C at +3.9 min, 66.5 C at
+4.5 min, 69.3 C at +5.4 min, 77.2 C at +9.9 min, 78.2 C at +11.4 min, about 81.5 C at +17 min,
where the ARM clock starts to dip below 1.8 GHz (the Pi firmware's soft throttle at 80 C, Raspberry
Pi documentation, "Frequency management and thermal control"); from then on the readings stay
between 80.3 and 83.7 C (mean about 82 C at +25 min and at +81 min): the 85.7 C maximum is the
top of that noisy, throttle-held plateau, not the end of a heating curve. At the end of the record
(278 min, the stress long stopped, about 2.3 W idle) the reading is about 46.2 C.

Only this one payload curve was read in full enough for a fit; the paper's other payloads
(Atlas 200 DK runs in the same folder, the Pi's 1- and 2-core runs) are not fitted here.

Fit (:data:`RPI4B_HEAT_CAPACITY_J_PER_K`, :data:`RPI4B_CONDUCTANCE_W_PER_K`): one payload node
on a bus node held at the first reading, 19.4 C (BUPT-1's bus temperature is not in the file; a
12U bus of some 20 kg barely warms from 4.8 W in an hour), starting from the 28.5 C just before
the load, least squares (``scipy.optimize.least_squares``) over the readings from +3.9 min on
with the plateau taken as the unthrottled equilibrium: ``C = 16.9 J/K``, ``G = 0.0772 W/K``
(``tau = C/G = 219 s``, 62 K above the bus at 4.8 W), RMS 0.67 K over those points. The first
half-minute jump (die to board) is below a 60 s step and not represented: the model is up to
10 K low in the first minute after a load step and within 1.5 K from +4 min on.
"""

from __future__ import annotations

import numpy as np

from .thermal import thermal_params, thermal_state, thermal_step

__all__ = [
    "RPI4B_BUS_TEMPERATURE_C",
    "RPI4B_CONDUCTANCE_W_PER_K",
    "RPI4B_HEAT_CAPACITY_J_PER_K",
    "RPI4B_IDLE_END_C",
    "RPI4B_IDLE_POWER_W",
    "RPI4B_LOAD_START_C",
    "RPI4B_PLATEAU_C",
    "RPI4B_STRESS_CURVE",
    "RPI4B_STRESS_POWER_W",
    "TIANSUAN_SOURCE",
    "rpi4b_payload_curve_c",
]

TIANSUAN_SOURCE = (
    "Xing et al., MobiCom 2024 (arXiv:2401.03435) sec. 3.3; artifact "
    "github.com/TiansuanConstellation/MobiCom24-SatelliteCOTS, Temperature-HeatingRate/Data/"
    "sat_pi_stress_and_infer/PiA_Sun_3C_StressTest_180.csv"
)
#: Raspberry Pi 4B on BUPT-1 under the stress load: (seconds after the load started, reading C).
RPI4B_STRESS_CURVE: tuple[tuple[float, float], ...] = (
    (234.0, 64.0),
    (271.0, 66.5),
    (326.0, 69.3),
    (592.0, 77.2),
    (686.0, 78.2),
    (1038.0, 81.5),
)
#: Mean of the throttle-held plateau, C (readings 80.3-83.7 C from about +17 min to +81 min).
RPI4B_PLATEAU_C = 82.0
#: Reading just before the stress load, C, and the first reading of the record (bus), C.
RPI4B_LOAD_START_C = 28.5
RPI4B_BUS_TEMPERATURE_C = 19.4
#: Stress power (the paper's 4.8 W) and idle power (about 460 mA x 5 V at the end), W.
RPI4B_STRESS_POWER_W = 4.8
RPI4B_IDLE_POWER_W = 2.3
#: Reading at the end of the record (278 min, idle), C.
RPI4B_IDLE_END_C = 46.2
#: Fitted payload node of the Raspberry Pi 4B on BUPT-1 (module docstring).
RPI4B_HEAT_CAPACITY_J_PER_K = 16.9
RPI4B_CONDUCTANCE_W_PER_K = 0.0772


def rpi4b_payload_curve_c(
    times_s: np.ndarray,
    *,
    dt_s: float = 60.0,
    power_w: float = RPI4B_STRESS_POWER_W,
    start_c: float = RPI4B_LOAD_START_C,
    bus_c: float = RPI4B_BUS_TEMPERATURE_C,
    heat_capacity_j_per_k: float = RPI4B_HEAT_CAPACITY_J_PER_K,
    conductance_w_per_k: float = RPI4B_CONDUCTANCE_W_PER_K,
) -> np.ndarray:
    """Payload-node temperature (C) at ``times_s`` after a load of ``power_w`` starts, from
    :func:`~spacecompute.spacecraft.thermal.thermal_step` at ``dt_s`` steps (linear
    interpolation between steps), on a bus node of 1e12 J/K held at ``bus_c``: the model's side
    of the Tiansuan comparison."""
    times = np.asarray(times_s, dtype=np.float64)
    n_steps = int(np.ceil(times.max() / dt_s)) if times.size else 0
    params = thermal_params(
        1,
        radiator_area_m2=1e-6,
        heat_capacity_j_per_k=1e12,
        payload_heat_capacity_j_per_k=heat_capacity_j_per_k,
        payload_conductance_w_per_k=conductance_w_per_k,
        max_temperature_k=1e4,
    )
    state = thermal_state(1, bus_c + 273.15, start_c + 273.15)
    curve = [start_c]
    zero = np.zeros(1)
    heat = np.full(1, power_w)
    for _ in range(n_steps):
        thermal_step(params, state, dt_s, zero, zero, payload_heat_w=heat)
        curve.append(float(state.payload_temperature_k[0]) - 273.15)
    grid = np.arange(n_steps + 1) * dt_s
    return np.interp(times, grid, np.asarray(curve))
