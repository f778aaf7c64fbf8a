"""Compute cluster settings: validation, and how they map to local worker processes."""

from __future__ import annotations

import os
from dataclasses import dataclass

from core.errors import UserFacingError

# Common general-purpose and compute-optimised sizes offered in Azure ML studio.
VM_SIZES = (
    "STANDARD_DS3_v2",
    "STANDARD_DS2_v2",
    "STANDARD_DS4_v2",
    "STANDARD_D2s_v3",
    "STANDARD_D4s_v3",
    "STANDARD_D8s_v3",
    "STANDARD_E4s_v3",
    "STANDARD_F4s_v2",
    "STANDARD_F8s_v2",
    "STANDARD_NC6s_v3",
)
DEFAULT_VM_SIZE = "STANDARD_DS3_v2"
MAX_INSTANCES_LIMIT = 100  # a sane ceiling for a walkthrough; Azure quotas are per subscription


@dataclass(frozen=True)
class ComputeSpec:
    name: str
    vm_size: str = DEFAULT_VM_SIZE
    min_instances: int = 0
    max_instances: int = 2
    idle_seconds: int = 120


def machine_cores() -> int:
    return os.cpu_count() or 1


def validate_compute_spec(spec: ComputeSpec) -> ComputeSpec:
    """Check sizes and counts; the name is checked by core.naming."""
    if spec.vm_size not in VM_SIZES:
        raise UserFacingError(
            f"'{spec.vm_size}' is not a VM size this dashboard knows.", f"Pick one of {', '.join(VM_SIZES)}."
        )
    if spec.min_instances < 0:
        raise UserFacingError("Minimum instances cannot be negative.", "Use 0 so the cluster scales to zero.")
    if not 1 <= spec.max_instances <= MAX_INSTANCES_LIMIT:
        raise UserFacingError(
            f"Maximum instances must be between 1 and {MAX_INSTANCES_LIMIT}.", "Most sweeps here need 2–8."
        )
    if spec.min_instances > spec.max_instances:
        raise UserFacingError(
            f"Minimum instances ({spec.min_instances}) is above maximum instances ({spec.max_instances}).",
            "Lower the minimum or raise the maximum.",
        )
    if spec.idle_seconds < 0:
        raise UserFacingError(
            "Idle seconds before scale-down cannot be negative.", "Azure's default is 120 seconds."
        )
    return spec


def local_worker_count(max_instances: int) -> int:
    """On the local backend each instance is a worker process, capped at this machine's cores."""
    return max(1, min(max_instances, machine_cores()))
