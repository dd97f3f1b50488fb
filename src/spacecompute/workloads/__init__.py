"""Workloads as columnar job tables (one :class:`~spacecompute.table.Table` per time chunk).

- :mod:`.eo`: Earth observation (space edge computing): frames along the ground track.
- :mod:`.inference`: inference service (orbital cloud): requests from cities; model catalog.
- :mod:`.batch`: batch and training jobs (distributed computing); ring all-reduce time.

Every generator takes a ``seed``; the same inputs and seed give identical tables.
"""

from __future__ import annotations

from .batch import (
    batch_jobs,
    data_parallel_step_time_s,
    ring_allreduce_time_s,
    training_jobs,
)
from .eo import SensorModel, eo_frames, ground_speed_circular_m_s, sun_elevation_deg
from .inference import (
    ModelSpec,
    diurnal_profile,
    inference_requests,
    local_solar_hour,
    model_catalog,
    model_spec,
)

__all__ = [
    "ModelSpec",
    "SensorModel",
    "batch_jobs",
    "data_parallel_step_time_s",
    "diurnal_profile",
    "eo_frames",
    "ground_speed_circular_m_s",
    "inference_requests",
    "local_solar_hour",
    "model_catalog",
    "model_spec",
    "ring_allreduce_time_s",
    "sun_elevation_deg",
    "training_jobs",
]
