# SPDX-License-Identifier: MIT
"""One exception class per trainest_status.

Each class is named after trainest_status_name() in CamelCase without the
prefix, plus "Error": TRAINEST_E_NOT_DIVISIBLE -> NotDivisibleError. The
known statuses are defined here statically (so they are importable names);
at import the library's own status table is walked (0, -1, -2, ... until
trainest_status_name() answers TRAINEST_E_UNKNOWN_STATUS) and a class is
created for every status a newer library adds.
"""

import builtins

from . import _lib

_clib = _lib.lib

__all__ = [
    "TrainestError", "NullError", "StructSizeError", "UnsupportedError", "ZeroError",
    "NotDivisibleError", "InconsistentError", "UnknownEnumError", "UnderspecifiedError",
    "ExceedsCapError", "NoStepsError", "PresetConflictError", "NotFiniteError", "OutOfRangeError",
    "TooFewPointsError", "UnidentifiableError", "BadLayoutError", "UnknownStatusError", "error_class",
    "raise_for_status", "STATUS_ERRORS", "status_name", "strerror", "field_name",
]
# OverflowError is deliberately left out of __all__: a star-import would
# shadow the builtin. Use trainest.OverflowError (which also subclasses the
# builtin OverflowError).

UNKNOWN_STATUS_NAME = "TRAINEST_E_UNKNOWN_STATUS"
_NO_INDEX = 0xFFFFFFFF


def status_name(status):
    """trainest_status_name(): the C constant's name for any int."""
    return _clib.trainest_status_name(int(status)).decode("ascii")


def strerror(status):
    """trainest_strerror(): a sentence describing any int status."""
    return _clib.trainest_strerror(int(status)).decode("utf-8")


def field_name(field):
    """trainest_field_name(): the name of a trainest_field ("unknown" if unknown)."""
    return _clib.trainest_field_name(int(field)).decode("ascii")


def class_name(constant):
    """"TRAINEST_E_NOT_DIVISIBLE" -> "NotDivisibleError"."""
    stem = constant
    for prefix in ("TRAINEST_E_", "TRAINEST_"):
        if stem.startswith(prefix):
            stem = stem[len(prefix):]
            break
    return "".join(part.capitalize() for part in stem.split("_") if part) + "Error"


class TrainestError(Exception):
    """A call into libtrainest failed.

    Attributes:
        status:   the negative int status.
        name:     the C constant's name, e.g. "TRAINEST_E_NOT_DIVISIBLE".
        message:  trainest_strerror(status).
        field:    trainest_field_name() of the output's invalid_field, e.g.
                  "global_batch", or None when the call names no field.
        field_id: the raw trainest_field value (0 when there is none).
        index:    for fits, the index of the observation or point to blame, else None.
    """

    #: The status this class stands for (None for the base class).
    status = None
    #: The C constant's name this class stands for.
    name = None

    def __init__(self, status=None, field=0, index=None):
        if status is None:
            status = type(self).status
        super().__init__(status, field, index)
        self.status = int(status)
        self.name = status_name(self.status)
        self.message = strerror(self.status)
        self.field_id = int(field or 0)
        self.field = field_name(self.field_id) if self.field_id else None
        self.index = None if index is None or index == _NO_INDEX else int(index)

    def __str__(self):
        text = "%s: %s" % (self.name, self.message)
        if self.field:
            text += " (field: %s" % self.field
            if self.index is not None:
                text += ", index %d" % self.index
            text += ")"
        return text

    def __repr__(self):
        extra = "" if self.field is None else ", field=%r" % self.field
        if self.index is not None:
            extra += ", index=%d" % self.index
        return "%s(%r%s)" % (type(self).__name__, self.name, extra)

    def __reduce__(self):
        return (type(self), (self.status, self.field_id, self.index))


class NullError(TrainestError):
    """TRAINEST_E_NULL: a required pointer argument is NULL."""
    status, name = -1, "TRAINEST_E_NULL"


class StructSizeError(TrainestError):
    """TRAINEST_E_STRUCT_SIZE: a struct_size is too small or implausibly large."""
    status, name = -2, "TRAINEST_E_STRUCT_SIZE"


class UnsupportedError(TrainestError):
    """TRAINEST_E_UNSUPPORTED: non-zero bytes beyond what this library knows."""
    status, name = -3, "TRAINEST_E_UNSUPPORTED"


class ZeroError(TrainestError):
    """TRAINEST_E_ZERO: a count that must be positive is zero."""
    status, name = -4, "TRAINEST_E_ZERO"


class OverflowError(TrainestError, builtins.OverflowError):  # pylint: disable=redefined-builtin
    """TRAINEST_E_OVERFLOW: a result does not fit (also a builtin OverflowError)."""
    status, name = -5, "TRAINEST_E_OVERFLOW"


class NotDivisibleError(TrainestError):
    """TRAINEST_E_NOT_DIVISIBLE: the batch does not split evenly."""
    status, name = -6, "TRAINEST_E_NOT_DIVISIBLE"


class InconsistentError(TrainestError):
    """TRAINEST_E_INCONSISTENT: inputs contradict each other."""
    status, name = -7, "TRAINEST_E_INCONSISTENT"


class UnknownEnumError(TrainestError):
    """TRAINEST_E_UNKNOWN_ENUM: an enum field holds an unknown value."""
    status, name = -8, "TRAINEST_E_UNKNOWN_ENUM"


class UnderspecifiedError(TrainestError):
    """TRAINEST_E_UNDERSPECIFIED: too few inputs are given."""
    status, name = -9, "TRAINEST_E_UNDERSPECIFIED"


class ExceedsCapError(TrainestError):
    """TRAINEST_E_EXCEEDS_CAP: micro_batch is larger than max_micro_batch."""
    status, name = -10, "TRAINEST_E_EXCEEDS_CAP"


class NoStepsError(TrainestError):
    """TRAINEST_E_NO_STEPS: the rounding policies leave no optimizer step."""
    status, name = -11, "TRAINEST_E_NO_STEPS"


class PresetConflictError(TrainestError):
    """TRAINEST_E_PRESET_CONFLICT: the preset fixes this policy."""
    status, name = -12, "TRAINEST_E_PRESET_CONFLICT"


class NotFiniteError(TrainestError):
    """TRAINEST_E_NOT_FINITE: a floating-point input is NaN or infinite."""
    status, name = -13, "TRAINEST_E_NOT_FINITE"


class OutOfRangeError(TrainestError):
    """TRAINEST_E_OUT_OF_RANGE: an input is outside its documented range."""
    status, name = -14, "TRAINEST_E_OUT_OF_RANGE"


class TooFewPointsError(TrainestError):
    """TRAINEST_E_TOO_FEW_POINTS: a fit needs more distinct observations."""
    status, name = -15, "TRAINEST_E_TOO_FEW_POINTS"


class UnidentifiableError(TrainestError):
    """TRAINEST_E_UNIDENTIFIABLE: the observations cannot separate the parameters."""
    status, name = -16, "TRAINEST_E_UNIDENTIFIABLE"


class BadLayoutError(TrainestError):
    """TRAINEST_E_BAD_LAYOUT: the devices do not split into data x tensor x pipeline
    parallel, or the model (layers, hidden, heads) into that layout."""
    status, name = -17, "TRAINEST_E_BAD_LAYOUT"


class UnknownStatusError(TrainestError):
    """A status the loaded library has no name for (should never happen)."""
    name = UNKNOWN_STATUS_NAME


_STATIC = {cls.__name__: cls for cls in (
    NullError, StructSizeError, UnsupportedError, ZeroError, OverflowError, NotDivisibleError,
    InconsistentError, UnknownEnumError, UnderspecifiedError, ExceedsCapError, NoStepsError,
    PresetConflictError, NotFiniteError, OutOfRangeError, TooFewPointsError, UnidentifiableError,
    BadLayoutError)}

#: int status -> exception class, built from the library's own status table.
STATUS_ERRORS = {}


def _build_status_table(limit=100000):
    seen = set()
    status = 0
    while status > -limit:
        constant = status_name(status)
        if constant == UNKNOWN_STATUS_NAME:
            break
        if status != 0:
            name = class_name(constant)
            cls = _STATIC.get(name)
            if cls is None:  # a status added by a newer library
                cls = type(name, (TrainestError,), {
                    "__doc__": "%s: %s" % (constant, strerror(status)),
                    "__module__": __name__, "status": status, "name": constant})
                globals()[name] = cls
                __all__.append(name)
            elif cls.status != status or cls.name != constant:
                raise ImportError("trainest: %s is %d in %s, %d here" % (
                    constant, status, _lib.library_path, cls.status))
            STATUS_ERRORS[status] = cls
            seen.add(name)
        status -= 1
    missing = sorted(set(_STATIC) - seen)
    if missing:
        raise ImportError("trainest: %s lacks the statuses of %s" % (_lib.library_path, ", ".join(missing)))


_build_status_table()


def error_class(status):
    """The exception class for an int status."""
    return STATUS_ERRORS.get(int(status), UnknownStatusError)


def raise_for_status(status, field=0, index=None):
    """Raise the mapped TrainestError subclass if status is not 0."""
    if status:
        raise error_class(status)(status, field, index)
