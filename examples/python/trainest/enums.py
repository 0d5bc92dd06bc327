# SPDX-License-Identifier: MIT
"""The header's enums as Python IntEnum (values fixed forever by the ABI),
and its flag macros as IntFlag."""

import enum

__all__ = [
    "Preset", "Divisibility", "Sampler", "LastMicroBatch", "AccumTail", "StepSource", "DataMode",
    "Recompute", "IntervalRule", "Field", "StructId", "Status", "Changed", "FitFlags",
    "CalibrateFlags",
]


class Preset(enum.IntEnum):
    """The C enum ``trainest_preset``."""

    PLAIN = 0
    DEEPSPEED = 1
    MEGATRON = 2
    HF = 3
    HF_LEGACY = 4
    LIGHTNING = 5


class Divisibility(enum.IntEnum):
    """The C enum ``trainest_divisibility``."""

    ERROR = 0
    ROUND_DOWN = 1
    ROUND_UP = 2


class Sampler(enum.IntEnum):
    """The C enum ``trainest_sampler``."""

    DEFAULT = 0
    PAD = 1
    DROP = 2
    BATCH_SHARD = 3


class LastMicroBatch(enum.IntEnum):
    """The C enum ``trainest_last_micro_batch``."""

    DEFAULT = 0
    KEEP = 1
    DROP = 2


class AccumTail(enum.IntEnum):
    """The C enum ``trainest_accum_tail``."""

    DEFAULT = 0
    STEP = 1
    DROP = 2
    CARRY = 3


class StepSource(enum.IntEnum):
    """The C enum ``trainest_step_source``."""

    GIVEN = 0
    ANALYTIC = 1


class DataMode(enum.IntEnum):
    """The C enum ``trainest_data_mode``."""

    OVERLAP = 0
    SERIAL = 1
    WORKERS = 2


class Recompute(enum.IntEnum):
    """The C enum ``trainest_recompute``."""

    NONE = 0
    FULL = 1
    SELECTIVE = 2


class IntervalRule(enum.IntEnum):
    """The C enum ``trainest_interval_rule``."""

    DALY = 0
    YOUNG = 1


class Field(enum.IntEnum):
    """The C enum ``trainest_field``."""

    NONE = 0
    STRUCT_SIZE = 1
    PRESET = 2
    SAMPLES = 3
    GLOBAL_BATCH = 4
    MICRO_BATCH = 5
    GRAD_ACCUM_STEPS = 6
    DATA_PARALLEL = 7
    MAX_MICRO_BATCH = 8
    EPOCHS = 9
    SEQ_LEN_TOKENS = 10
    DIVISIBILITY = 11
    SAMPLER = 12
    LAST_MICRO_BATCH = 13
    ACCUM_TAIL = 14
    STEP_SOURCE = 15
    FLOOR_S = 16
    FIXED_S = 17
    PER_SAMPLE_S = 18
    LAUNCH_LAG_S = 19
    OPTIMIZER_S = 20
    PARAMS = 21
    TOKENS_PER_SAMPLE = 22
    FLOPS_PER_SAMPLE = 23
    PEAK_FLOPS_PER_S = 24
    EFFICIENCY_RATIO = 25
    OBSERVED_STEP_S = 26
    OBSERVED_MICRO_BATCH = 27
    OBSERVED_GRAD_ACCUM_STEPS = 28
    RECOMPUTE = 29
    DATA_MODE = 30
    DATA_SAMPLES_PER_S = 31
    DATA_SAMPLES_PER_S_PER_WORKER = 32
    DATA_WORKERS = 33
    H2D_BYTES_PER_SAMPLE = 34
    H2D_BYTES_PER_S = 35
    GRAD_BYTES = 36
    BUS_BYTES_PER_S = 37
    LATENCY_S = 38
    DEVICES_PER_NODE = 39
    INTER_NODE_BYTES_PER_S = 40
    COMM_OVERLAP_RATIO = 41
    EVAL_S_PER_EPOCH = 42
    CHECKPOINT_S = 43
    CHECKPOINTS_PER_EPOCH = 44
    STARTUP_S = 45
    OBSERVATIONS = 46
    OBSERVATION_MICRO_BATCH = 47
    OBSERVATION_GRAD_ACCUM_STEPS = 48
    OBSERVATION_STEP_S = 49
    CALIBRATION_FLAGS = 50
    ZERO_STAGE = 51
    MEMORY_PARAMS = 52
    WEIGHT_BITS_PER_PARAM = 53
    GRAD_BITS_PER_PARAM = 54
    OPTIMIZER_BITS_PER_PARAM = 55
    OVERHEAD_BYTES = 56
    STATIC_BYTES = 57
    ACTIVATION_BYTES_PER_SAMPLE = 58
    DEVICE_MEMORY_BYTES = 59
    HEADROOM_RATIO = 60
    MEMORY_POINT_MICRO_BATCH = 61
    MEMORY_POINT_PEAK_BYTES = 62
    GLOBAL_BATCH_MIN = 63
    GLOBAL_BATCH_MAX = 64
    GLOBAL_BATCH_STEP = 65
    MAX_DEVICES = 66
    MEMORY_POINTS = 67
    MTBF_HOURS_PER_DEVICE = 68
    MTBF_HOURS_PER_NODE = 69
    FAILURE_DEVICES = 70
    FAILURE_DEVICES_PER_NODE = 71
    CHECKPOINT_WRITE_S = 72
    RESTART_S = 73
    CHECKPOINT_INTERVAL_S = 74
    INTERVAL_RULE = 75
    WORK_S = 76
    RAMPUP_START = 77
    RAMPUP_INCREMENT = 78
    RAMPUP_SAMPLES = 79
    NOISE_SCALE = 80
    MIN_STEPS = 81
    MIN_SAMPLES = 82
    MAX_GLOBAL_BATCH = 83
    TOTAL_STEPS = 84
    OUTLIER_RATIO = 85
    PRIOR_STEP_S = 86
    OVERHEAD_S_PER_EPOCH = 87
    JOB_MTBF_S = 88
    STEP_S = 89
    NOW_UNIX_S = 90
    ETA_STATE = 91
    TENSOR_PARALLEL = 92
    PIPELINE_PARALLEL = 93
    VIRTUAL_STAGES = 94
    DEVICES = 95
    LAYERS = 96
    HIDDEN = 97
    ATTENTION_HEADS = 98
    VOCAB = 99
    ACTIVATION_BYTES_PER_ELEMENT = 100
    TP_BYTES_PER_S = 101
    P2P_BYTES_PER_S = 102
    MEMORY_RECOMPUTE = 103
    MAX_TENSOR_PARALLEL = 104
    MAX_PIPELINE_PARALLEL = 105
    SEARCH_DEVICES_PER_NODE = 106
    ETA_TOTAL_SAMPLES = 107
    ETA_SAMPLES_DONE = 108
    COMM_ACTIVATION_BYTES_PER_SAMPLE = 109
    DATA_WORKER_STARTUP_S = 110
    DATA_PERSISTENT_WORKERS = 111
    LOADER_WORKERS = 112
    LOADER_BATCH_SIZE = 113
    LOADER_SAMPLES = 114
    LOADER_SECONDS = 115


class StructId(enum.IntEnum):
    """The C enum ``trainest_struct_id``."""

    PLAN_REQUEST = 1
    PLAN = 2
    PLAN_SUGGESTION = 3
    ESTIMATE_REQUEST = 4
    ESTIMATE = 5
    STEP_OBSERVATION = 6
    CALIBRATION_REQUEST = 7
    STEP_FIT = 8
    TRADEOFF = 9
    TRADEOFF_POINT = 10
    MEMORY_REQUEST = 11
    MEMORY = 12
    MEMORY_POINT = 13
    MEMORY_FIT = 14
    SEARCH_REQUEST = 15
    SEARCH = 16
    SEARCH_RESULT = 17
    FAILURE_REQUEST = 18
    FAILURE = 19
    RAMPUP_REQUEST = 20
    RAMPUP = 21
    CRITICAL_REQUEST = 22
    CRITICAL = 23
    ETA_CONFIG = 24
    ETA = 25
    ETA_REPORT = 26
    LAYOUT_SUGGESTION = 27
    LOADER_OBSERVATION = 28
    LOADER_FIT = 29


class Status(enum.IntEnum):
    """The C enum ``trainest_status``."""

    OK = 0
    E_NULL = -1
    E_STRUCT_SIZE = -2
    E_UNSUPPORTED = -3
    E_ZERO = -4
    E_OVERFLOW = -5
    E_NOT_DIVISIBLE = -6
    E_INCONSISTENT = -7
    E_UNKNOWN_ENUM = -8
    E_UNDERSPECIFIED = -9
    E_EXCEEDS_CAP = -10
    E_NO_STEPS = -11
    E_PRESET_CONFLICT = -12
    E_NOT_FINITE = -13
    E_OUT_OF_RANGE = -14
    E_TOO_FEW_POINTS = -15
    E_UNIDENTIFIABLE = -16
    E_BAD_LAYOUT = -17


class Changed(enum.IntFlag):
    """TRAINEST_CHANGED_*: what a plan or layout suggestion changes."""

    NONE = 0
    GLOBAL_BATCH = 0x1
    MICRO_BATCH = 0x2
    GRAD_ACCUM_STEPS = 0x4
    DEVICES = 0x8
    TENSOR_PARALLEL = 0x10
    PIPELINE_PARALLEL = 0x20


class FitFlags(enum.IntFlag):
    """TRAINEST_FIT_*: bits of trainest_step_fit::flags."""

    NONE = 0
    FLOOR_FITTED = 0x1
    LAUNCH_LAG_FITTED = 0x2


class CalibrateFlags(enum.IntFlag):
    """TRAINEST_CALIBRATE_*: bits of trainest_calibration_request::flags."""

    NONE = 0
    OPTIMIZER_KNOWN = 0x1
