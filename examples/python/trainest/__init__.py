# SPDX-License-Identifier: MIT
"""trainest: plan and estimate deep-learning training runs (Python over ctypes).

A pure-Python binding of libtrainest with no build step and no dependency.
The library is found through $TRAINEST_LIBRARY (a path), then pkg-config's
libdir, then the system loader; see README.md.

    >>> import trainest
    >>> p = trainest.plan(samples=1000, global_batch=10, grad_accum_steps=2)
    >>> p.micro_batch, p.total_optimizer_steps, p.total_micro_steps
    (5, 100, 200)

Failures raise a subclass of TrainestError named after the C status
(TRAINEST_E_NOT_DIVISIBLE -> NotDivisibleError), with ``.field`` naming the
input to blame. Layers: ``trainest._lib`` (loader, struct mirrors,
prototypes), ``trainest.errors``, ``trainest.enums``, ``trainest.api``.
"""

from . import _lib
from ._lib import STRUCTS, library_path
from .api import *  # noqa: F401,F403
from .api import __all__ as _api_all
from .enums import *  # noqa: F401,F403
from .enums import __all__ as _enums_all
from .errors import *  # noqa: F401,F403
from .errors import OverflowError  # noqa: F401  pylint: disable=redefined-builtin
from .errors import __all__ as _errors_all

#: The header version this package mirrors; version_string() is the library's.
__version__ = "0.7.0"

# errors.__all__ also lists the classes made for statuses a newer library added.
__all__ = ["STRUCTS", "library_path"] + _api_all + _enums_all + _errors_all
