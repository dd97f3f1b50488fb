"""Validation rows for the payload thermal node: the Tiansuan constellation's in-orbit heating of
a Raspberry Pi 4B (BUPT-1), see :mod:`spacecompute.spacecraft.payload_calibration`."""

from __future__ import annotations

import numpy as np

from ..spacecraft.payload_calibration import (
    RPI4B_BUS_TEMPERATURE_C,
    RPI4B_CONDUCTANCE_W_PER_K,
    RPI4B_IDLE_END_C,
    RPI4B_IDLE_POWER_W,
    RPI4B_PLATEAU_C,
    RPI4B_STRESS_CURVE,
    TIANSUAN_SOURCE,
    rpi4b_payload_curve_c,
)
from .check import Check

__all__ = ["checks"]

#: The paper's figure for the run (sec. 3.3): 19.4 C to 85.7 C in 85.6 min at 4.8 W.
_PAPER_MAX_C = 85.7
_PAPER_MINUTES = 85.6
_LOAD_START_S = 329.0  # the stress load starts 329 s into the record (payload_calibration)


def checks() -> list[Check]:
    """Our payload node (fitted C and G, 60 s steps) against the BUPT-1 telemetry."""
    times = np.array([t for t, _ in RPI4B_STRESS_CURVE] + [_PAPER_MINUTES * 60.0 - _LOAD_START_S])
    ours = rpi4b_payload_curve_c(times)
    out = []
    for (t, measured), model in zip(RPI4B_STRESS_CURVE[::3], ours[:-1][::3], strict=True):
        out.append(
            Check(
                quantity=f"Raspberry Pi 4B on BUPT-1, {t / 60:.1f} min after a 4.8 W load starts",
                citation=TIANSUAN_SOURCE,
                ours=float(model),
                reference_value=measured,
                tolerance=1.5,
                unit="C",
                note="fitted on these readings (RMS 0.67 K)",
            )
        )
    end = float(ours[-1])
    out.append(
        Check(
            quantity="Raspberry Pi 4B on BUPT-1, plateau under the 4.8 W stress load",
            citation=TIANSUAN_SOURCE,
            ours=end,
            reference_value=RPI4B_PLATEAU_C,
            tolerance=1.5,
            unit="C",
            note="telemetry mean of the readings from +25 min on (80.3-83.7 C, Pi firmware throttle)",
        )
    )
    out.append(
        Check(
            quantity="Raspberry Pi 4B on BUPT-1, temperature 85.6 min into the 4.8 W run",
            citation="Xing et al., MobiCom 2024 (arXiv:2401.03435) sec. 3.3: 19.4 to 85.7 C",
            ours=end,
            reference_value=_PAPER_MAX_C,
            tolerance=5.0,
            unit="C",
            note=(
                "85.7 C is the highest single reading of a plateau that the Pi's firmware holds "
                "at about 82 C by throttling (readings 80.3-83.7 C from +17 min); the model "
                "reaches the plateau, not the noise peak, and without a throttle never reaches "
                "85.7 C, so 'time to 85.7 C' has no model counterpart"
            ),
        )
    )
    out.append(
        Check(
            quantity="Raspberry Pi 4B on BUPT-1, idle equilibrium at 2.3 W (end of the record)",
            citation=TIANSUAN_SOURCE,
            ours=RPI4B_BUS_TEMPERATURE_C + RPI4B_IDLE_POWER_W / RPI4B_CONDUCTANCE_W_PER_K,
            reference_value=RPI4B_IDLE_END_C,
            tolerance=4.0,
            unit="C",
            note=(
                "not fitted: a check of the conductance at another power; the bus temperature "
                "is not in the telemetry and is taken as the record's first reading, 19.4 C"
            ),
        )
    )
    return out
