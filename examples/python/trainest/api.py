# SPDX-License-Identifier: MIT
"""The Pythonic layer: dataclasses in, dataclasses out, exceptions on failure.

Inputs that are reused between calls are dataclasses (PlanRequest,
TimeModel, MemoryModel, EtaConfig) whose defaults are read from the C
``*_init()`` functions when the package is imported; every function also
takes their fields as keyword arguments. Field and argument names are the C
member names, so units are in the names (``_s`` seconds, ``_bytes``,
``_ratio``, ``_per_s``).
"""

import ctypes
import dataclasses
import numbers
import operator
import time
import typing

from . import _lib
from ._lib import lib
from .enums import (AccumTail, CalibrateFlags, Changed, DataMode, Divisibility, Field, FitFlags,
                    IntervalRule, LastMicroBatch, Preset, Recompute, Sampler, Status, StepSource)
from .errors import raise_for_status

__all__ = [
    "PlanRequest", "TimeModel", "MemoryModel", "EtaConfig", "Observation", "MemoryPoint",
    "LoaderObservation", "Plan", "Suggestion", "Estimate", "StepFit", "LoaderFit", "TradeoffPoint",
    "Tradeoff", "Memory", "MemoryFit", "SearchPlan", "SearchResult", "Failure", "Rampup", "Critical",
    "EtaReport", "LayoutSuggestion", "plan", "suggest", "layout_suggest", "estimate", "calibrate",
    "loader_calibrate", "tradeoff",
    "memory", "memory_for_plan", "fit_memory", "search", "failures", "rampup", "critical",
    "EtaTracker", "version", "version_info",
    "version_string", "struct_size", "UNLIMITED",
]

#: UINT64_MAX: how trainest_memory reports an unlimited budget or micro-batch.
UNLIMITED = (1 << 64) - 1

_byref = ctypes.byref


# --------------------------------------------------------------------------
# Version
# --------------------------------------------------------------------------

def version():
    """trainest_version() of the loaded library: 10000*major + 100*minor + patch."""
    return int(lib.trainest_version())


def version_info():
    """The loaded library's version as (major, minor, patch)."""
    n = version()
    return (n // 10000, n // 100 % 100, n % 100)


def version_string():
    """trainest_version_string() of the loaded library, e.g. "0.7.0"."""
    return lib.trainest_version_string().decode("ascii")


def struct_size(struct_id):
    """trainest_struct_size(): the library's sizeof a struct (0 for an unknown id)."""
    return int(lib.trainest_struct_size(int(struct_id)))


# --------------------------------------------------------------------------
# Plumbing between dataclasses and ctypes structs
# --------------------------------------------------------------------------

_FIELD_TYPES = {}


def _field_types(ctype_cls):
    types = _FIELD_TYPES.get(ctype_cls)
    if types is None:
        types = _FIELD_TYPES[ctype_cls] = dict(ctype_cls._fields_)
    return types


def _float(value, name):
    """A C double from a real number (strings are refused, not parsed)."""
    if isinstance(value, (str, bytes)) or not isinstance(value, numbers.Real):
        raise TypeError("%s must be a real number, not %s" % (name, type(value).__name__))
    return float(value)


def _uint(value, name, bits=64):
    """A C unsigned integer; ctypes would silently wrap -1 to 2^bits - 1."""
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError("%s must be an integer, not %s" % (name, type(value).__name__)) from None
    if not 0 <= value < (1 << bits):
        raise ValueError("%s = %d does not fit the C field (uint%d_t)" % (name, value, bits))
    return value


def _set(struct, name, value):
    """Assign one struct member, checked."""
    ctype = _field_types(type(struct))[name]
    if ctype is ctypes.c_double:
        value = _float(value, name)
    else:
        value = _uint(value, name, 8 * ctypes.sizeof(ctype))
    setattr(struct, name, value)


def _coerce_enum(enum_cls, value, name):
    """An enum member from a member, an int or a (case-insensitive) name.
    Unknown ints pass through so that the library reports UnknownEnumError."""
    if isinstance(value, enum_cls):
        return value
    if isinstance(value, str):
        try:
            return enum_cls[value.upper()]
        except KeyError:
            raise ValueError("%s: %r is not one of %s" % (
                name, value, ", ".join(m.name for m in enum_cls))) from None
    try:
        return enum_cls(value)
    except ValueError:
        return value


def _convert(fn, value):
    try:
        return fn(value)
    except ValueError:  # an enum value from a newer library
        return value


def _out(conv=None):
    return dataclasses.field(metadata={"conv": conv} if conv else {})


def _from_c(cls, struct, **extra):
    values = {}
    for f in dataclasses.fields(cls):
        if f.name in extra:
            continue
        value = getattr(struct, f.name)
        conv = f.metadata.get("conv")
        values[f.name] = _convert(conv, value) if conv else value
    values.update(extra)
    return cls(**values)


def _check(status, out=None):
    """Raise for a failed call, naming the output's invalid_field (and invalid_index)."""
    if status:
        field = getattr(out, "invalid_field", 0) if out is not None else 0
        index = getattr(out, "invalid_index", None) if out is not None else None
        raise_for_status(status, field, index)


def _init_defaults(init, ctype_cls):
    struct = ctype_cls()
    raise_for_status(init(_byref(struct), ctypes.sizeof(ctype_cls)))
    return struct


_PLAN_D = _init_defaults(lib.trainest_plan_request_init, _lib.trainest_plan_request)
_TIME_D = _init_defaults(lib.trainest_estimate_request_init, _lib.trainest_estimate_request)
_MEM_D = _init_defaults(lib.trainest_memory_request_init, _lib.trainest_memory_request)
_FAIL_D = _init_defaults(lib.trainest_failure_request_init, _lib.trainest_failure_request)
_ETA_D = _init_defaults(lib.trainest_eta_config_init, _lib.trainest_eta_config)
_SEARCH_D = _init_defaults(lib.trainest_search_request_init, _lib.trainest_search_request)
_CRITICAL_D = _init_defaults(lib.trainest_critical_request_init, _lib.trainest_critical_request)


def _in(defaults, name, enum_cls=None):
    """An input dataclass field whose default is the C _init function's."""
    value = getattr(defaults, name)
    if enum_cls is not None:
        return dataclasses.field(default=_convert(enum_cls, value), metadata={"enum": enum_cls})
    return dataclasses.field(default=value)


class _Input:
    """Base of the input dataclasses: a C struct filled from the C _init."""

    _ctype = None
    _init = None

    def __post_init__(self):
        for f in dataclasses.fields(self):
            enum_cls = f.metadata.get("enum")
            if enum_cls is not None:
                object.__setattr__(self, f.name, _coerce_enum(enum_cls, getattr(self, f.name), f.name))

    def to_c(self):
        """The C struct (struct_size set, defaults from the _init function, then our fields)."""
        struct = self._ctype()
        raise_for_status(type(self)._init(_byref(struct), ctypes.sizeof(self._ctype)))
        for f in dataclasses.fields(self):
            _set(struct, f.name, getattr(self, f.name))
        return struct


def _names(cls):
    return {f.name for f in dataclasses.fields(cls)}


def _build(obj, cls, kwargs, what):
    """obj (a cls, or None for the defaults) with kwargs applied."""
    if obj is None:
        return cls(**kwargs)
    if not isinstance(obj, cls):
        raise TypeError("%s must be a %s, not %s" % (what, cls.__name__, type(obj).__name__))
    return dataclasses.replace(obj, **kwargs) if kwargs else obj


def _split(kwargs, *classes):
    """Distribute keyword arguments over the dataclasses that have such a field."""
    parts = [{} for _ in classes]
    for key, value in kwargs.items():
        for part, cls in zip(parts, classes):
            if key in _names(cls):
                part[key] = value
                break
        else:
            raise TypeError("unexpected keyword argument %r (not a field of %s)" % (
                key, " or ".join(c.__name__ for c in classes)))
    return parts


def _initialised(init, ctype_cls, **values):
    """A request from its C _init function, then values."""
    struct = _init_defaults(init, ctype_cls)
    for name, value in values.items():
        _set(struct, name, value)
    return struct


# --------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class PlanRequest(_Input):
    """trainest_plan_request: a dataset, a batch request, the rounding policies
    and the device layout.

    Of global_batch, micro_batch and grad_accum_steps give any two, all three,
    or only global_batch with max_micro_batch (docs/concepts.md). 0 = derive.
    Model parallelism (docs/parallelism.md): devices = data_parallel *
    tensor_parallel * pipeline_parallel; give devices (data_parallel is then
    derived) or data_parallel. layers, hidden, attention_heads and vocab
    describe the model for communication, FLOPs and activation memory
    (0 = unknown).
    """

    _ctype = _lib.trainest_plan_request
    _init = lib.trainest_plan_request_init

    samples: int = _in(_PLAN_D, "samples")
    global_batch: int = _in(_PLAN_D, "global_batch")
    micro_batch: int = _in(_PLAN_D, "micro_batch")
    grad_accum_steps: int = _in(_PLAN_D, "grad_accum_steps")
    data_parallel: int = _in(_PLAN_D, "data_parallel")
    max_micro_batch: int = _in(_PLAN_D, "max_micro_batch")
    epochs: int = _in(_PLAN_D, "epochs")
    seq_len_tokens: int = _in(_PLAN_D, "seq_len_tokens")
    preset: Preset = _in(_PLAN_D, "preset", Preset)
    divisibility: Divisibility = _in(_PLAN_D, "divisibility", Divisibility)
    sampler: Sampler = _in(_PLAN_D, "sampler", Sampler)
    last_micro_batch: LastMicroBatch = _in(_PLAN_D, "last_micro_batch", LastMicroBatch)
    accum_tail: AccumTail = _in(_PLAN_D, "accum_tail", AccumTail)
    tensor_parallel: int = _in(_PLAN_D, "tensor_parallel")
    pipeline_parallel: int = _in(_PLAN_D, "pipeline_parallel")
    virtual_stages: int = _in(_PLAN_D, "virtual_stages")
    devices: int = _in(_PLAN_D, "devices")
    layers: int = _in(_PLAN_D, "layers")
    hidden: int = _in(_PLAN_D, "hidden")
    attention_heads: int = _in(_PLAN_D, "attention_heads")
    vocab: int = _in(_PLAN_D, "vocab")


@dataclasses.dataclass(frozen=True)
class TimeModel(_Input):
    """trainest_estimate_request: the step-time model and the run's other costs.

    A micro-batch of s samples needs floor_s of host time and
    fixed_s + per_sample_s * s of device time; a step of k micro-batches takes
    max(k * floor_s, launch_lag_s + sum of device times) + optimizer_s.
    Zero means "absent" for every optional part (docs/time-model.md).
    With tensor or pipeline parallelism in the PlanRequest, tp_bytes_per_s,
    p2p_bytes_per_s and activation_bytes_per_element time their communication;
    comm_activation_bytes_per_sample (library 0.6) gives the bytes of one
    layer's activations of one sample directly, so that the PlanRequest's
    hidden and seq_len_tokens are not needed (0 = seq_len_tokens x hidden x
    activation_bytes_per_element).
    data_mode DataMode.WORKERS (library 0.7) times every epoch as data_workers
    loader workers, started data_worker_startup_s apart, deliver its
    micro-batches at data_samples_per_s_per_worker each (or
    data_samples_per_s shared); data_persistent_workers 1 (or True) starts
    them once per run instead of at every epoch. LoaderFit.time_model()
    fills them from loader_calibrate().
    """

    _ctype = _lib.trainest_estimate_request
    _init = lib.trainest_estimate_request_init

    step_source: StepSource = _in(_TIME_D, "step_source", StepSource)
    floor_s: float = _in(_TIME_D, "floor_s")
    fixed_s: float = _in(_TIME_D, "fixed_s")
    per_sample_s: float = _in(_TIME_D, "per_sample_s")
    launch_lag_s: float = _in(_TIME_D, "launch_lag_s")
    optimizer_s: float = _in(_TIME_D, "optimizer_s")
    params: int = _in(_TIME_D, "params")
    tokens_per_sample: int = _in(_TIME_D, "tokens_per_sample")
    flops_per_sample: float = _in(_TIME_D, "flops_per_sample")
    peak_flops_per_s: float = _in(_TIME_D, "peak_flops_per_s")
    efficiency_ratio: float = _in(_TIME_D, "efficiency_ratio")
    observed_step_s: float = _in(_TIME_D, "observed_step_s")
    observed_micro_batch: int = _in(_TIME_D, "observed_micro_batch")
    observed_grad_accum_steps: int = _in(_TIME_D, "observed_grad_accum_steps")
    recompute: Recompute = _in(_TIME_D, "recompute", Recompute)
    data_mode: DataMode = _in(_TIME_D, "data_mode", DataMode)
    data_samples_per_s: float = _in(_TIME_D, "data_samples_per_s")
    data_samples_per_s_per_worker: float = _in(_TIME_D, "data_samples_per_s_per_worker")
    data_workers: int = _in(_TIME_D, "data_workers")
    h2d_bytes_per_sample: int = _in(_TIME_D, "h2d_bytes_per_sample")
    h2d_bytes_per_s: float = _in(_TIME_D, "h2d_bytes_per_s")
    grad_bytes: int = _in(_TIME_D, "grad_bytes")
    bus_bytes_per_s: float = _in(_TIME_D, "bus_bytes_per_s")
    latency_s: float = _in(_TIME_D, "latency_s")
    devices_per_node: int = _in(_TIME_D, "devices_per_node")
    inter_node_bytes_per_s: float = _in(_TIME_D, "inter_node_bytes_per_s")
    comm_overlap_ratio: float = _in(_TIME_D, "comm_overlap_ratio")
    eval_s_per_epoch: float = _in(_TIME_D, "eval_s_per_epoch")
    checkpoint_s: float = _in(_TIME_D, "checkpoint_s")
    checkpoints_per_epoch: int = _in(_TIME_D, "checkpoints_per_epoch")
    startup_s: float = _in(_TIME_D, "startup_s")
    activation_bytes_per_element: int = _in(_TIME_D, "activation_bytes_per_element")
    tp_bytes_per_s: float = _in(_TIME_D, "tp_bytes_per_s")
    p2p_bytes_per_s: float = _in(_TIME_D, "p2p_bytes_per_s")
    comm_activation_bytes_per_sample: int = _in(_TIME_D, "comm_activation_bytes_per_sample")
    data_worker_startup_s: float = _in(_TIME_D, "data_worker_startup_s")
    data_persistent_workers: int = _in(_TIME_D, "data_persistent_workers")


@dataclasses.dataclass(frozen=True)
class MemoryModel(_Input):
    """trainest_memory_request: bytes(m) = static + activation_bytes_per_sample * m,
    static either measured (static_bytes) or the ZeRO-sharded model states
    plus overhead_bytes (docs/memory.md). recompute sets the activations that
    memory_for_plan() derives from the plan's model shape."""

    _ctype = _lib.trainest_memory_request
    _init = lib.trainest_memory_request_init

    zero_stage: int = _in(_MEM_D, "zero_stage")
    params: int = _in(_MEM_D, "params")
    weight_bits_per_param: int = _in(_MEM_D, "weight_bits_per_param")
    grad_bits_per_param: int = _in(_MEM_D, "grad_bits_per_param")
    optimizer_bits_per_param: int = _in(_MEM_D, "optimizer_bits_per_param")
    overhead_bytes: int = _in(_MEM_D, "overhead_bytes")
    static_bytes: int = _in(_MEM_D, "static_bytes")
    activation_bytes_per_sample: int = _in(_MEM_D, "activation_bytes_per_sample")
    device_memory_bytes: int = _in(_MEM_D, "device_memory_bytes")
    headroom_ratio: float = _in(_MEM_D, "headroom_ratio")
    recompute: Recompute = _in(_MEM_D, "recompute", Recompute)


@dataclasses.dataclass(frozen=True)
class EtaConfig(_Input):
    """trainest_eta_config: how an ETA tracker starts."""

    _ctype = _lib.trainest_eta_config
    _init = lib.trainest_eta_config_init

    total_steps: int = _in(_ETA_D, "total_steps")
    steps_done: int = _in(_ETA_D, "steps_done")
    warmup_steps: int = _in(_ETA_D, "warmup_steps")
    outlier_ratio: float = _in(_ETA_D, "outlier_ratio")
    prior_step_s: float = _in(_ETA_D, "prior_step_s")
    steps_per_epoch: int = _in(_ETA_D, "steps_per_epoch")
    overhead_s_per_epoch: float = _in(_ETA_D, "overhead_s_per_epoch")
    job_mtbf_s: float = _in(_ETA_D, "job_mtbf_s")
    restart_s: float = _in(_ETA_D, "restart_s")
    checkpoint_write_s: float = _in(_ETA_D, "checkpoint_write_s")
    checkpoint_interval_s: float = _in(_ETA_D, "checkpoint_interval_s")


class Observation(typing.NamedTuple):
    """One measured optimizer step (trainest_step_observation)."""

    micro_batch: int
    grad_accum_steps: int
    step_s: float


class MemoryPoint(typing.NamedTuple):
    """One measured peak (trainest_memory_point)."""

    micro_batch: int
    peak_bytes: int


class LoaderObservation(typing.NamedTuple):
    """One epoch read from a data loader alone (trainest_loader_observation):
    the wall time in s from creating the iterator to the last batch."""

    workers: int
    batch_size: int
    samples: int
    seconds: float


# --------------------------------------------------------------------------
# Outputs
# --------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Plan:
    """trainest_plan: a resolved batch plan and its exact step counts."""

    preset: Preset = _out(Preset)
    divisibility: Divisibility = _out(Divisibility)
    sampler: Sampler = _out(Sampler)
    last_micro_batch: LastMicroBatch = _out(LastMicroBatch)
    accum_tail: AccumTail = _out(AccumTail)
    requested_global_batch: int = _out()
    global_batch: int = _out()
    micro_batch: int = _out()
    grad_accum_steps: int = _out()
    data_parallel: int = _out()
    samples: int = _out()
    epochs: int = _out()
    seq_len_tokens: int = _out()
    samples_per_rank: int = _out()
    micro_steps_per_epoch: int = _out()
    optimizer_steps_per_epoch: int = _out()
    samples_per_epoch: int = _out()
    samples_dropped_per_epoch: int = _out()
    samples_padded_per_epoch: int = _out()
    last_step_samples: int = _out()
    last_step_micro_batches: int = _out()
    last_micro_batch_samples: int = _out()
    total_optimizer_steps: int = _out()
    total_micro_steps: int = _out()
    total_samples: int = _out()
    tokens_per_step: int = _out()
    total_tokens: int = _out()
    tensor_parallel: int = _out()
    pipeline_parallel: int = _out()
    virtual_stages: int = _out()
    devices: int = _out()
    micro_batches_per_step: int = _out()


@dataclasses.dataclass(frozen=True)
class Suggestion:
    """trainest_plan_suggestion: a valid plan near a request."""

    changed: Changed = _out(Changed)
    distance_ratio: float = _out()
    global_batch: int = _out()
    micro_batch: int = _out()
    grad_accum_steps: int = _out()
    data_parallel: int = _out()


@dataclasses.dataclass(frozen=True)
class LayoutSuggestion:
    """trainest_layout_suggestion: a valid device layout near a request."""

    changed: Changed = _out(Changed)
    distance_ratio: float = _out()
    devices: int = _out()
    data_parallel: int = _out()
    tensor_parallel: int = _out()
    pipeline_parallel: int = _out()

    def apply(self, request):
        """The PlanRequest with this layout (devices, TP, PP; data_parallel derived)."""
        return dataclasses.replace(request, devices=self.devices, data_parallel=1,
                                   tensor_parallel=self.tensor_parallel,
                                   pipeline_parallel=self.pipeline_parallel)


@dataclasses.dataclass(frozen=True)
class Estimate:
    """trainest_estimate: the predicted time of a run and where it goes.

    compute_s + optimizer_s + transfer_s + data_stall_s + comm_s + overhead_s
    + bubble_s + tp_comm_s + p2p_s == total_s (the last three are 0 without
    model parallelism).
    """

    micro_batch_s: float = _out()
    step_s: float = _out()
    step_compute_s: float = _out()
    step_transfer_s: float = _out()
    step_comm_s: float = _out()
    step_data_stall_s: float = _out()
    epoch_s: float = _out()
    total_s: float = _out()
    compute_s: float = _out()
    optimizer_s: float = _out()
    transfer_s: float = _out()
    data_stall_s: float = _out()
    comm_s: float = _out()
    overhead_s: float = _out()
    samples_per_s: float = _out()
    tokens_per_s: float = _out()
    per_sample_s: float = _out()
    flops_per_sample: float = _out()
    total_flops: float = _out()
    achieved_flops_per_s: float = _out()
    efficiency_ratio: float = _out()
    mfu_ratio: float = _out()
    bubble_ratio: float = _out()
    stage_s: float = _out()
    bubble_s: float = _out()
    tp_comm_s: float = _out()
    p2p_s: float = _out()

    def breakdown(self):
        """The nine parts of total_s, in seconds."""
        return {k: getattr(self, k) for k in (
            "compute_s", "optimizer_s", "transfer_s", "data_stall_s", "comm_s", "overhead_s",
            "bubble_s", "tp_comm_s", "p2p_s")}


@dataclasses.dataclass(frozen=True)
class StepFit:
    """trainest_step_fit: step-time parameters fitted to measured steps."""

    flags: FitFlags = _out(FitFlags)
    floor_s: float = _out()
    fixed_s: float = _out()
    per_sample_s: float = _out()
    launch_lag_s: float = _out()
    optimizer_s: float = _out()
    max_residual_ratio: float = _out()
    mean_residual_ratio: float = _out()
    observations: int = _out()

    def time_model(self, base=None, **kwargs):
        """A TimeModel with the five fitted *_s members (on top of base and kwargs)."""
        fitted = {k: getattr(self, k) for k in (
            "floor_s", "fixed_s", "per_sample_s", "launch_lag_s", "optimizer_s")}
        fitted.update(kwargs)
        return _build(base, TimeModel, fitted, "base")


@dataclasses.dataclass(frozen=True)
class LoaderFit:
    """trainest_loader_fit: loader workers fitted to loader-only epochs (library 0.7).

    samples_per_s_per_worker 0 means unlimited: the start-up explains every time.
    """

    worker_startup_s: float = _out()
    samples_per_s_per_worker: float = _out()
    max_residual_ratio: float = _out()
    mean_residual_ratio: float = _out()
    observations: int = _out()

    def time_model(self, base=None, **kwargs):
        """A TimeModel with data_mode WORKERS and the fitted data_worker_startup_s and
        data_samples_per_s_per_worker (on top of base and kwargs; give data_workers)."""
        fitted = {"data_mode": DataMode.WORKERS, "data_worker_startup_s": self.worker_startup_s,
                  "data_samples_per_s_per_worker": self.samples_per_s_per_worker}
        fitted.update(kwargs)
        return _build(base, TimeModel, fitted, "base")


@dataclasses.dataclass(frozen=True)
class TradeoffPoint:
    """trainest_tradeoff_point: one micro-batch of the accumulation trade-off."""

    fits: bool = _out(bool)
    micro_batch: int = _out()
    grad_accum_steps: int = _out()
    step_s: float = _out()
    total_s: float = _out()


@dataclasses.dataclass(frozen=True)
class Tradeoff:
    """trainest_tradeoff, with its points in ascending micro-batch order."""

    candidates: int = _out()
    recommended_micro_batch: int = _out()
    recommended_grad_accum_steps: int = _out()
    recommended_total_s: float = _out()
    fastest_micro_batch: int = _out()
    fastest_total_s: float = _out()
    points: typing.List[TradeoffPoint] = _out()


@dataclasses.dataclass(frozen=True)
class Memory:
    """trainest_memory: one device's memory for a micro-batch (UNLIMITED = no limit)."""

    fits: bool = _out(bool)
    weights_bytes: int = _out()
    grads_bytes: int = _out()
    optimizer_bytes: int = _out()
    static_bytes: int = _out()
    activation_bytes: int = _out()
    total_bytes: int = _out()
    budget_bytes: int = _out()
    max_micro_batch: int = _out()
    headroom_ratio: float = _out()
    activation_bytes_per_micro_batch: int = _out()
    micro_batches_in_flight: float = _out()


@dataclasses.dataclass(frozen=True)
class MemoryFit:
    """trainest_memory_fit: static and per-sample bytes fitted to measured peaks."""

    static_bytes: int = _out()
    per_sample_bytes: int = _out()
    max_residual_ratio: float = _out()
    points: int = _out()

    def memory_model(self, base=None, **kwargs):
        """A MemoryModel with the fitted static_bytes and activation_bytes_per_sample."""
        fitted = {"static_bytes": self.static_bytes, "activation_bytes_per_sample": self.per_sample_bytes}
        fitted.update(kwargs)
        return _build(base, MemoryModel, fitted, "base")


@dataclasses.dataclass(frozen=True)
class SearchPlan:
    """trainest_search_result: one plan found by search()."""

    global_batch: int = _out()
    micro_batch: int = _out()
    grad_accum_steps: int = _out()
    data_parallel: int = _out()
    total_optimizer_steps: int = _out()
    memory_bytes: int = _out()
    headroom_ratio: float = _out()
    step_s: float = _out()
    total_s: float = _out()
    tensor_parallel: int = _out()
    pipeline_parallel: int = _out()


@dataclasses.dataclass(frozen=True)
class SearchResult:
    """trainest_search (the summary counts) with the best plans, fastest first."""

    candidates_evaluated: int = _out()
    feasible: int = _out()
    rejected_not_divisible: int = _out()
    rejected_does_not_fit: int = _out()
    rejected_overflow: int = _out()
    rejected_no_steps: int = _out()
    duplicates: int = _out()
    plans: typing.List[SearchPlan] = _out()


@dataclasses.dataclass(frozen=True)
class Failure:
    """trainest_failure: the run with failures, expectation and quantiles."""

    job_mtbf_s: float = _out()
    checkpoint_interval_s: float = _out()
    checkpoints: int = _out()
    expected_interruptions: float = _out()
    checkpoint_s: float = _out()
    expected_lost_work_s: float = _out()
    expected_restart_s: float = _out()
    expected_total_s: float = _out()
    effective_time_ratio: float = _out()
    p50_total_s: float = _out()
    p90_total_s: float = _out()


@dataclasses.dataclass(frozen=True)
class Rampup:
    """trainest_rampup: the run with Megatron's batch-size ramp-up."""

    increments: int = _out()
    rampup_steps: int = _out()
    rampup_samples: int = _out()
    steps_after: int = _out()
    total_steps: int = _out()
    total_samples: int = _out()
    extra_steps: int = _out()
    rampup_s: float = _out()
    total_s: float = _out()


@dataclasses.dataclass(frozen=True)
class Critical:
    """trainest_critical: steps and time to a target loss, now and at the best global batch."""

    critical_batch: float = _out()
    steps_to_target: float = _out()
    samples_to_target: float = _out()
    step_s: float = _out()
    time_to_target_s: float = _out()
    best_global_batch: int = _out()
    best_micro_batch: int = _out()
    best_grad_accum_steps: int = _out()
    best_steps_to_target: float = _out()
    best_time_to_target_s: float = _out()
    best_batch_ratio: float = _out()
    best_step_efficiency_ratio: float = _out()
    best_data_efficiency_ratio: float = _out()


@dataclasses.dataclass(frozen=True)
class EtaReport:
    """trainest_eta_report: elapsed, remaining and finish-time estimates with a band."""

    steps_done: int = _out()
    steps_remaining: int = _out()
    samples_done: int = _out()
    outliers: int = _out()
    progress_ratio: float = _out()
    elapsed_s: float = _out()
    step_s: float = _out()
    step_sd_s: float = _out()
    samples_per_s: float = _out()
    remaining_s: float = _out()
    remaining_p10_s: float = _out()
    remaining_p50_s: float = _out()
    remaining_p90_s: float = _out()
    finish_p10_unix_s: float = _out()
    finish_p50_unix_s: float = _out()
    finish_p90_unix_s: float = _out()


# --------------------------------------------------------------------------
# Functions
# --------------------------------------------------------------------------

def _plan_request(samples, given):
    """plan()/suggest() take a PlanRequest as their only argument, or the fields."""
    if isinstance(samples, PlanRequest):
        changed = [k for k, v in given.items() if v != getattr(PlanRequest, k)]
        if changed:
            raise TypeError("pass either a PlanRequest or keyword arguments, not both "
                            "(use dataclasses.replace); got %s" % ", ".join(changed))
        return samples
    return PlanRequest(samples=samples, **given)


def plan(samples, global_batch=PlanRequest.global_batch, micro_batch=PlanRequest.micro_batch,
         grad_accum_steps=PlanRequest.grad_accum_steps, data_parallel=PlanRequest.data_parallel,
         max_micro_batch=PlanRequest.max_micro_batch, epochs=PlanRequest.epochs,
         seq_len_tokens=PlanRequest.seq_len_tokens, preset=PlanRequest.preset,
         divisibility=PlanRequest.divisibility, sampler=PlanRequest.sampler,
         last_micro_batch=PlanRequest.last_micro_batch, accum_tail=PlanRequest.accum_tail,
         tensor_parallel=PlanRequest.tensor_parallel, pipeline_parallel=PlanRequest.pipeline_parallel,
         virtual_stages=PlanRequest.virtual_stages, devices=PlanRequest.devices,
         layers=PlanRequest.layers, hidden=PlanRequest.hidden,
         attention_heads=PlanRequest.attention_heads, vocab=PlanRequest.vocab):
    """Resolve a batch request and count its steps exactly (trainest_plan_compute).

    ``samples`` may instead be a PlanRequest (then give no other argument).
    Raises the TrainestError subclass of the status, e.g. NotDivisibleError
    with ``field == "global_batch"``, or BadLayoutError with ``field ==
    "devices"`` when the devices do not split into DP x TP x PP.
    """
    given = dict(locals())
    del given["samples"]
    request = _plan_request(samples, given)
    out = _lib.new(_lib.trainest_plan)
    _check(lib.trainest_plan_compute(_byref(out), _byref(request.to_c())), out)
    return _from_c(Plan, out)


def suggest(samples, global_batch=PlanRequest.global_batch, micro_batch=PlanRequest.micro_batch,
            grad_accum_steps=PlanRequest.grad_accum_steps, data_parallel=PlanRequest.data_parallel,
            max_micro_batch=PlanRequest.max_micro_batch, epochs=PlanRequest.epochs,
            seq_len_tokens=PlanRequest.seq_len_tokens, preset=PlanRequest.preset,
            divisibility=PlanRequest.divisibility, sampler=PlanRequest.sampler,
            last_micro_batch=PlanRequest.last_micro_batch, accum_tail=PlanRequest.accum_tail,
            tensor_parallel=PlanRequest.tensor_parallel,
            pipeline_parallel=PlanRequest.pipeline_parallel,
            virtual_stages=PlanRequest.virtual_stages, devices=PlanRequest.devices,
            layers=PlanRequest.layers, hidden=PlanRequest.hidden,
            attention_heads=PlanRequest.attention_heads, vocab=PlanRequest.vocab, limit=8):
    """The valid plans nearest to a request, nearest first (trainest_plan_suggest).

    Works for valid and invalid requests alike. ``samples`` may instead be a
    PlanRequest. Returns at most ``limit`` Suggestions.
    """
    given = dict(locals())
    del given["samples"], given["limit"]
    request = _plan_request(samples, given)
    limit = _limit(limit, "limit")
    arr = _lib.new_array(_lib.trainest_plan_suggestion, limit)
    count = ctypes.c_uint32(0)
    c_request = request.to_c()
    status = lib.trainest_plan_suggest(arr if limit else None, limit, _byref(count), _byref(c_request))
    if status:
        # trainest_plan_suggest() has no output struct to name the field in;
        # the planner validates the same request the same way.
        probe = _lib.new(_lib.trainest_plan)
        if lib.trainest_plan_compute(_byref(probe), _byref(c_request)) == status:
            _check(status, probe)
        _check(status)
    return [_from_c(Suggestion, arr[i]) for i in range(count.value)]


def _limit(value, name):
    value = operator.index(value)
    if not 0 <= value <= 0xFFFFFFFF:
        raise ValueError("%s = %d is outside 0..2^32-1" % (name, value))
    return value


def layout_suggest(request=None, limit=8, **kwargs):
    """The valid device layouts nearest to a request, nearest first
    (trainest_layout_suggest).

    ``request`` is a PlanRequest; keyword arguments set its fields, e.g.
    ``layout_suggest(devices=100, tensor_parallel=8, pipeline_parallel=4)``.
    Keeps the devices and moves TP or PP to the nearest divisors, or keeps TP
    and PP and moves the devices. Returns at most ``limit`` LayoutSuggestions;
    ``s.apply(request)`` is the repaired request.
    """
    request = _build(request, PlanRequest, kwargs, "request")
    limit = _limit(limit, "limit")
    arr = _lib.new_array(_lib.trainest_layout_suggestion, limit)
    count = ctypes.c_uint32(0)
    _check(lib.trainest_layout_suggest(arr if limit else None, limit, _byref(count),
                                       _byref(request.to_c())))
    return [_from_c(LayoutSuggestion, arr[i]) for i in range(count.value)]


def estimate(request=None, time_model=None, **kwargs):
    """Predict the time of the run a plan request describes (trainest_estimate_run).

    ``request`` is a PlanRequest and ``time_model`` a TimeModel; keyword
    arguments set (or override) fields of either, e.g.
    ``estimate(samples=1000, global_batch=10, micro_batch=5, per_sample_s=0.01)``.
    """
    plan_kw, time_kw = _split(kwargs, PlanRequest, TimeModel)
    request = _build(request, PlanRequest, plan_kw, "request")
    time_model = _build(time_model, TimeModel, time_kw, "time_model")
    out = _lib.new(_lib.trainest_estimate)
    _check(lib.trainest_estimate_run(_byref(out), _byref(request.to_c()), _byref(time_model.to_c())), out)
    return _from_c(Estimate, out)


def _input_array(rows, row_type, c_type, init, what):
    """The library's input array for an iterable of row_type tuples: each
    element set up by its _init function, then given the row's fields.
    Returns (array, count)."""
    rows = [row_type(*r) for r in rows]
    if len(rows) > 0xFFFFFFFF:
        raise ValueError("too many " + what)
    arr = _lib.new_array(c_type, len(rows))
    for i, r in enumerate(rows):
        raise_for_status(init(_byref(arr[i]), ctypes.sizeof(arr[i])))
        for name in row_type._fields:
            _set(arr[i], name, getattr(r, name))
    return arr, len(rows)


def calibrate(observations, optimizer_s=None):
    """Fit the step-time model to measured optimizer steps (trainest_step_calibrate).

    ``observations``: an iterable of (micro_batch, grad_accum_steps, step_s)
    tuples or Observation. ``optimizer_s``: hold it fixed at this value (s)
    instead of fitting it. A bad observation raises with ``.index`` set.
    """
    arr, n = _input_array(observations, Observation, _lib.trainest_step_observation,
                          lib.trainest_step_observation_init, "observations")
    if optimizer_s is None:
        options = None
    else:
        options = _byref(_initialised(lib.trainest_calibration_request_init,
                                      _lib.trainest_calibration_request,
                                      flags=CalibrateFlags.OPTIMIZER_KNOWN, optimizer_s=optimizer_s))
    out = _lib.new(_lib.trainest_step_fit)
    _check(lib.trainest_step_calibrate(_byref(out), arr, n, options), out)
    return _from_c(StepFit, out)


def loader_calibrate(observations):
    """Fit loader workers to loader-only epochs (trainest_loader_calibrate, library 0.7).

    ``observations``: an iterable of 2 to 64 (workers, batch_size, samples,
    seconds) tuples or LoaderObservation, each the wall time of reading an
    epoch from the loader alone. Worker j starts (j + 1) * worker_startup_s
    after the epoch begins and then builds whole batches at
    samples_per_s_per_worker; the same epoch read with two worker counts far
    apart (4 and 12, say) separates the two. A bad observation raises with
    ``.index`` set.
    """
    arr, n = _input_array(observations, LoaderObservation, _lib.trainest_loader_observation,
                          lib.trainest_loader_observation_init, "observations")
    out = _lib.new(_lib.trainest_loader_fit)
    _check(lib.trainest_loader_calibrate(_byref(out), arr, n), out)
    return _from_c(LoaderFit, out)


def tradeoff(request=None, time_model=None, limit=None, **kwargs):
    """The gradient-accumulation trade-off for a fixed global batch (trainest_tradeoff_compute).

    Times every micro-batch that divides global_batch / data_parallel.
    ``limit``: keep at most this many points (None: all of them).
    Keyword arguments go to the PlanRequest or the TimeModel as in estimate().
    """
    plan_kw, time_kw = _split(kwargs, PlanRequest, TimeModel)
    c_plan = _build(request, PlanRequest, plan_kw, "request").to_c()
    c_time = _build(time_model, TimeModel, time_kw, "time_model").to_c()
    capacity = 256 if limit is None else operator.index(limit)
    while True:
        out = _lib.new(_lib.trainest_tradeoff)
        points = _lib.new_array(_lib.trainest_tradeoff_point, capacity)
        count = ctypes.c_uint32(0)
        _check(lib.trainest_tradeoff_compute(_byref(out), points if capacity else None, capacity,
                                             _byref(count), _byref(c_plan), _byref(c_time)), out)
        if limit is not None or out.candidates <= capacity or capacity == 0xFFFFFFFF:
            break
        capacity = min(out.candidates, 0xFFFFFFFF)
    return _from_c(Tradeoff, out,
                   points=[_from_c(TradeoffPoint, points[i]) for i in range(count.value)])


def memory(model=None, micro_batch=0, data_parallel=1, **kwargs):
    """Device memory for a micro-batch on one of data_parallel replicas (trainest_memory_compute).

    ``model`` is a MemoryModel; keyword arguments set its fields. micro_batch
    0 reports the static part and max_micro_batch only. Not fitting is not an
    error: see Memory.fits.
    """
    model = _build(model, MemoryModel, kwargs, "model")
    out = _lib.new(_lib.trainest_memory)
    _check(lib.trainest_memory_compute(_byref(out), _byref(model.to_c()), _uint(micro_batch, "micro_batch"),
                                       _uint(data_parallel, "data_parallel")), out)
    return _from_c(Memory, out)


def memory_for_plan(memory_model=None, request=None, **kwargs):
    """One device's memory for a whole plan (trainest_memory_for_plan).

    Model states split by tensor_parallel * pipeline_parallel, then sharded
    by ZeRO over the data-parallel replicas; activations of the micro-batches
    in flight, from activation_bytes_per_sample or from the plan's model shape
    (layers, hidden, attention_heads, seq_len_tokens; Korthikanti et al. 2022)
    with the MemoryModel's recompute. ``memory_model`` is a MemoryModel and
    ``request`` a PlanRequest; keyword arguments set fields of either.
    max_micro_batch is the largest micro-batch for this layout and accumulation.
    """
    mem_kw, plan_kw = _split(kwargs, MemoryModel, PlanRequest)
    memory_model = _build(memory_model, MemoryModel, mem_kw, "memory_model")
    request = _build(request, PlanRequest, plan_kw, "request")
    out = _lib.new(_lib.trainest_memory)
    _check(lib.trainest_memory_for_plan(_byref(out), _byref(memory_model.to_c()),
                                        _byref(request.to_c())), out)
    return _from_c(Memory, out)


def fit_memory(points):
    """Fit static and per-sample bytes to measured peaks (trainest_memory_calibrate).

    ``points``: an iterable of (micro_batch, peak_bytes) tuples or MemoryPoint.
    """
    arr, n = _input_array(points, MemoryPoint, _lib.trainest_memory_point,
                          lib.trainest_memory_point_init, "points")
    out = _lib.new(_lib.trainest_memory_fit)
    _check(lib.trainest_memory_calibrate(_byref(out), arr, n), out)
    return _from_c(MemoryFit, out)


def search(request, time_model=None, memory_model=None,
           global_batch_min=_SEARCH_D.global_batch_min, global_batch_max=_SEARCH_D.global_batch_max,
           global_batch_step=_SEARCH_D.global_batch_step, max_devices=_SEARCH_D.max_devices,
           max_tensor_parallel=_SEARCH_D.max_tensor_parallel,
           max_pipeline_parallel=_SEARCH_D.max_pipeline_parallel,
           devices_per_node=_SEARCH_D.devices_per_node, top=10):
    """Search every feasible (global batch, layout, micro-batch) and return the fastest
    (trainest_search_run).

    Global batches global_batch_min..global_batch_max (inclusive) in steps of
    global_batch_step (0 = 1; min 0 = the request's global_batch only); every
    layout with data_parallel * TP * PP <= max_devices, TP and PP powers of two
    up to max_tensor_parallel and max_pipeline_parallel (0 = 1; PP dividing the
    request's layers, TP within devices_per_node). The defaults are
    trainest_search_request_init()'s. Returns the summary and up to ``top``
    plans in ascending total_s.
    """
    request = _build(request, PlanRequest, {}, "request")
    time_model = _build(time_model, TimeModel, {}, "time_model")
    memory_model = _build(memory_model, MemoryModel, {}, "memory_model")
    top = _limit(top, "top")
    c_search = _initialised(lib.trainest_search_request_init, _lib.trainest_search_request,
                            global_batch_min=global_batch_min, global_batch_max=global_batch_max,
                            global_batch_step=global_batch_step, max_devices=max_devices,
                            max_tensor_parallel=max_tensor_parallel,
                            max_pipeline_parallel=max_pipeline_parallel,
                            devices_per_node=devices_per_node)
    out = _lib.new(_lib.trainest_search)
    results = _lib.new_array(_lib.trainest_search_result, top)
    count = ctypes.c_uint32(0)
    _check(lib.trainest_search_run(_byref(out), results if top else None, top, _byref(count),
                                   _byref(request.to_c()), _byref(time_model.to_c()),
                                   _byref(memory_model.to_c()), _byref(c_search)), out)
    return _from_c(SearchResult, out, plans=[_from_c(SearchPlan, results[i]) for i in range(count.value)])


def failures(work_s, devices, devices_per_node=_FAIL_D.devices_per_node,
             mtbf_hours_per_device=_FAIL_D.mtbf_hours_per_device,
             mtbf_hours_per_node=_FAIL_D.mtbf_hours_per_node,
             checkpoint_write_s=_FAIL_D.checkpoint_write_s, restart_s=_FAIL_D.restart_s,
             checkpoint_interval_s=_FAIL_D.checkpoint_interval_s,
             interval_rule=_convert(IntervalRule, _FAIL_D.interval_rule)):
    """Expected wall time, interruptions and quantiles of a run with failures
    (trainest_failure_compute).

    ``work_s``: the failure-free run time (e.g. Estimate.total_s).
    ``checkpoint_interval_s`` 0 picks the optimum by ``interval_rule``
    (Daly by default), which needs ``checkpoint_write_s`` > 0.
    """
    values = dict(locals())
    values["interval_rule"] = _coerce_enum(IntervalRule, interval_rule, "interval_rule")
    c_request = _initialised(lib.trainest_failure_request_init, _lib.trainest_failure_request, **values)
    out = _lib.new(_lib.trainest_failure)
    _check(lib.trainest_failure_compute(_byref(out), _byref(c_request)), out)
    return _from_c(Failure, out)


def rampup(request, start_global_batch, increment, ramp_samples, time_model=None):
    """Megatron's --rampup-batch-size START INCR RAMP_SAMPLES (trainest_rampup_compute).

    ``request`` must use Preset.MEGATRON and give the target global batch.
    With a ``time_model`` the ramp and the run are also timed.
    """
    request = _build(request, PlanRequest, {}, "request")
    c_rampup = _initialised(lib.trainest_rampup_request_init, _lib.trainest_rampup_request,
                            start_global_batch=start_global_batch, increment=increment,
                            ramp_samples=ramp_samples)
    c_time = None if time_model is None else _byref(_build(time_model, TimeModel, {}, "time_model").to_c())
    out = _lib.new(_lib.trainest_rampup)
    _check(lib.trainest_rampup_compute(_byref(out), _byref(request.to_c()), _byref(c_rampup), c_time), out)
    return _from_c(Rampup, out)


def critical(request, time_model, noise_scale, min_steps=_CRITICAL_D.min_steps,
             min_samples=_CRITICAL_D.min_samples, memory_model=None,
             max_global_batch=_CRITICAL_D.max_global_batch):
    """Steps and time to a target loss for the plan's global batch, and the best
    global batch (McCandlish et al. 2018; trainest_critical_compute).

    Give ``noise_scale`` (B_noise, samples) and exactly one of ``min_steps``
    (S_min) or ``min_samples`` (E_min).
    """
    request = _build(request, PlanRequest, {}, "request")
    time_model = _build(time_model, TimeModel, {}, "time_model")
    c_mem = None if memory_model is None else _byref(
        _build(memory_model, MemoryModel, {}, "memory_model").to_c())
    c_critical = _initialised(lib.trainest_critical_request_init, _lib.trainest_critical_request,
                              noise_scale=noise_scale, min_steps=min_steps, min_samples=min_samples,
                              max_global_batch=max_global_batch)
    out = _lib.new(_lib.trainest_critical)
    _check(lib.trainest_critical_compute(_byref(out), _byref(request.to_c()), _byref(time_model.to_c()),
                                         c_mem, _byref(c_critical)), out)
    return _from_c(Critical, out)


class EtaTracker:
    """A live ETA tracker over a caller-owned trainest_eta (no allocation in C).

    >>> eta = EtaTracker(total_steps=1000, prior_step_s=0.5)
    >>> eta.set_samples(64_000)            # optional: the run's samples (batch ramp-up)
    >>> eta.update(0.48, samples=64)       # after every optimizer step
    >>> eta.report().remaining_p50_s       # whenever you want to print it

    Keyword arguments are the fields of EtaConfig (defaults from
    trainest_eta_config_init(): warm-up 5 steps, outliers above 3x the median).
    """

    def __init__(self, total_steps, steps_done=EtaConfig.steps_done, warmup_steps=EtaConfig.warmup_steps,
                 outlier_ratio=EtaConfig.outlier_ratio, prior_step_s=EtaConfig.prior_step_s,
                 steps_per_epoch=EtaConfig.steps_per_epoch,
                 overhead_s_per_epoch=EtaConfig.overhead_s_per_epoch, job_mtbf_s=EtaConfig.job_mtbf_s,
                 restart_s=EtaConfig.restart_s, checkpoint_write_s=EtaConfig.checkpoint_write_s,
                 checkpoint_interval_s=EtaConfig.checkpoint_interval_s):
        config = dict(locals())
        del config["self"]
        self._start(EtaConfig(**config))

    @classmethod
    def from_config(cls, config):
        """A tracker from an EtaConfig."""
        tracker = cls.__new__(cls)
        tracker._start(_build(config, EtaConfig, {}, "config"))
        return tracker

    def _start(self, config):
        self.config = config
        self._state = _lib.trainest_eta()
        status = lib.trainest_eta_init(_byref(self._state), ctypes.sizeof(self._state),
                                       _byref(config.to_c()))
        _check(status, self._state)  # a failed start names the field in the tracker (0.5)

    @property
    def state(self):
        """The underlying ctypes trainest_eta (private members; do not write)."""
        return self._state

    def update(self, step_s, samples=0):
        """Feed one observed optimizer step: its duration in s and its samples (0 if unknown)."""
        status = lib.trainest_eta_update(_byref(self._state), _float(step_s, "step_s"),
                                         _uint(samples, "samples"))
        if status:
            # trainest_eta_update() reports no field; a bad number is step_s's.
            field = Field.STEP_S if status in (-13, -14) else Field.NONE
            raise_for_status(status, field)

    def set_samples(self, total_samples, samples_done=0):
        """Tell the tracker the run's samples (trainest_eta_set_samples(), library 0.6).

        With every step's samples given to update(), the remaining time then
        follows the samples still to come: step time = a + b x samples is
        fitted over the inlier steps, so a batch-size ramp-up or a partial
        last step is extrapolated, not the mean step. total_samples is the
        run's (e.g. Rampup.total_samples or Plan.total_samples), > 0;
        samples_done those done before tracking started (resuming), <=
        total_samples. A step fed with samples=0 turns the model off. The
        state is unchanged on error.
        """
        status = lib.trainest_eta_set_samples(_byref(self._state), _uint(total_samples, "total_samples"),
                                              _uint(samples_done, "samples_done"))
        if status:
            # trainest_eta_set_samples() has no output to name the field in.
            field = {Status.E_ZERO: Field.ETA_TOTAL_SAMPLES,
                     Status.E_INCONSISTENT: Field.ETA_SAMPLES_DONE}.get(status, Field.ETA_STATE)
            raise_for_status(status, field)

    def report(self, now_unix_s=None):
        """What the tracker knows now; finish times are now_unix_s (default time.time()) + remaining."""
        if now_unix_s is None:
            now_unix_s = time.time()
        out = _lib.new(_lib.trainest_eta_report)
        _check(lib.trainest_eta_report_compute(_byref(out), _byref(self._state),
                                               _float(now_unix_s, "now_unix_s")), out)
        return _from_c(EtaReport, out)

    def copy(self):
        """An independent copy of the tracker (the C state may be copied)."""
        other = EtaTracker.__new__(EtaTracker)
        other.config = self.config
        other._state = _lib.trainest_eta.from_buffer_copy(self._state)
        return other

    def __repr__(self):
        return "EtaTracker(%r)" % (self.config,)
