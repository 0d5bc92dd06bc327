# SPDX-License-Identifier: MIT
"""Tests of the Python binding against the installed libtrainest.

Run from examples/python with TRAINEST_LIBRARY or PKG_CONFIG_PATH set:
    python3 -m unittest -v
If the library cannot be found, importing this module fails (no skips).
"""

import ctypes
import ctypes.util
import dataclasses
import inspect
import math
import os
import pickle
import re
import subprocess
import sys
import time
import unittest
import unittest.mock

import trainest
from trainest import _lib, errors

from . import header

HERE = os.path.dirname(os.path.abspath(__file__))
PKG_ROOT = os.path.dirname(HERE)
REPO = os.path.normpath(os.path.join(PKG_ROOT, "..", ".."))

C_TYPES = {"uint32_t": ctypes.c_uint32, "uint64_t": ctypes.c_uint64, "double": ctypes.c_double}

# Offsets that tests/test_api.c freezes (test_struct_layout_is_frozen).
FROZEN_OFFSETS = [
    ("trainest_plan_request", "samples", 8),
    ("trainest_plan_request", "seq_len_tokens", 64),
    ("trainest_plan_request", "accum_tail", 84),
    ("trainest_plan_request", "tensor_parallel", 88),
    ("trainest_plan", "requested_global_batch", 32),
    ("trainest_plan", "total_tokens", 200),
    ("trainest_plan", "tensor_parallel", 208),
    ("trainest_plan_suggestion", "distance_ratio", 8),
    ("trainest_estimate_request", "params", 48),
    ("trainest_estimate_request", "recompute", 112),
    ("trainest_estimate_request", "startup_s", 232),
    ("trainest_estimate_request", "activation_bytes_per_element", 240),
    ("trainest_estimate_request", "comm_activation_bytes_per_sample", 264),
    ("trainest_estimate", "total_s", 64),
    ("trainest_estimate", "bubble_ratio", 184),
    ("trainest_memory_request", "headroom_ratio", 64),
    ("trainest_memory_request", "recompute", 72),
    ("trainest_search_result", "total_s", 72),
    ("trainest_eta", "config", 8),
    ("trainest_eta", "invalid_field", 304),
    ("trainest_eta", "total_samples", 312),
    ("trainest_eta", "fit_cov_s", 360),
    ("trainest_estimate_request", "data_worker_startup_s", 272),
    ("trainest_estimate_request", "data_persistent_workers", 280),
    ("trainest_loader_observation", "seconds", 32),
]

# Every struct's size in this release (0.7.0; tests/test_api.c and lib/sizes.h).
SIZES_0_7 = {
    "trainest_plan_request": 152, "trainest_plan": 248, "trainest_plan_suggestion": 48,
    "trainest_estimate_request": 288, "trainest_estimate": 224, "trainest_step_observation": 32,
    "trainest_calibration_request": 16, "trainest_step_fit": 80, "trainest_tradeoff": 56,
    "trainest_tradeoff_point": 40, "trainest_memory_request": 80, "trainest_memory": 104,
    "trainest_memory_point": 24, "trainest_memory_fit": 48, "trainest_search_request": 64,
    "trainest_search": 64, "trainest_search_result": 96, "trainest_failure_request": 72,
    "trainest_failure": 104, "trainest_rampup_request": 32, "trainest_rampup": 80,
    "trainest_critical_request": 40, "trainest_critical": 112, "trainest_eta_config": 96,
    "trainest_eta": 368, "trainest_eta_report": 136, "trainest_layout_suggestion": 48,
    "trainest_loader_observation": 40, "trainest_loader_fit": 56,
}

# The structs 0.5.0 extended: their 0.4 size, where the first appended member starts.
APPENDED_IN_0_5 = {
    "trainest_plan_request": (88, "tensor_parallel"),
    "trainest_plan": (208, "tensor_parallel"),
    "trainest_estimate_request": (240, "activation_bytes_per_element"),
    "trainest_estimate": (184, "bubble_ratio"),
    "trainest_memory_request": (72, "recompute"),
    "trainest_memory": (88, "activation_bytes_per_micro_batch"),
    "trainest_search_request": (40, "max_tensor_parallel"),
    "trainest_search_result": (80, "tensor_parallel"),
    "trainest_eta": (304, "invalid_field"),
}

# The structs 0.6.0 extended: their 0.5 size, where the first appended member starts.
APPENDED_IN_0_6 = {
    "trainest_estimate_request": (264, "comm_activation_bytes_per_sample"),
    "trainest_eta": (312, "total_samples"),
}

# The structs 0.7.0 extended: their 0.6 size, where the first appended member starts.
APPENDED_IN_0_7 = {
    "trainest_estimate_request": (272, "data_worker_startup_s"),
}

# Members of an output struct that its dataclass leaves out on purpose.
PRIVATE_MEMBERS = {"struct_size", "invalid_field", "invalid_index", "reserved0", "reserved1"}

OUTPUTS = {
    "trainest_plan": trainest.Plan,
    "trainest_plan_suggestion": trainest.Suggestion,
    "trainest_estimate": trainest.Estimate,
    "trainest_step_fit": trainest.StepFit,
    "trainest_tradeoff": trainest.Tradeoff,
    "trainest_tradeoff_point": trainest.TradeoffPoint,
    "trainest_memory": trainest.Memory,
    "trainest_memory_fit": trainest.MemoryFit,
    "trainest_search": trainest.SearchResult,
    "trainest_search_result": trainest.SearchPlan,
    "trainest_failure": trainest.Failure,
    "trainest_rampup": trainest.Rampup,
    "trainest_critical": trainest.Critical,
    "trainest_eta_report": trainest.EtaReport,
    "trainest_layout_suggestion": trainest.LayoutSuggestion,
    "trainest_loader_fit": trainest.LoaderFit,
}
EXTRA_OUTPUT_FIELDS = {trainest.Tradeoff: {"points"}, trainest.SearchResult: {"plans"}}

INPUTS = {
    "trainest_plan_request": (trainest.PlanRequest, _lib.lib.trainest_plan_request_init),
    "trainest_estimate_request": (trainest.TimeModel, _lib.lib.trainest_estimate_request_init),
    "trainest_memory_request": (trainest.MemoryModel, _lib.lib.trainest_memory_request_init),
    "trainest_eta_config": (trainest.EtaConfig, _lib.lib.trainest_eta_config_init),
}

ENUMS = {
    "trainest_preset": (trainest.Preset, "TRAINEST_PRESET_"),
    "trainest_divisibility": (trainest.Divisibility, "TRAINEST_DIVISIBILITY_"),
    "trainest_sampler": (trainest.Sampler, "TRAINEST_SAMPLER_"),
    "trainest_last_micro_batch": (trainest.LastMicroBatch, "TRAINEST_LAST_MICRO_BATCH_"),
    "trainest_accum_tail": (trainest.AccumTail, "TRAINEST_ACCUM_TAIL_"),
    "trainest_step_source": (trainest.StepSource, "TRAINEST_STEP_SOURCE_"),
    "trainest_data_mode": (trainest.DataMode, "TRAINEST_DATA_MODE_"),
    "trainest_recompute": (trainest.Recompute, "TRAINEST_RECOMPUTE_"),
    "trainest_interval_rule": (trainest.IntervalRule, "TRAINEST_INTERVAL_"),
    "trainest_field": (trainest.Field, "TRAINEST_FIELD_"),
    "trainest_struct_id": (trainest.StructId, "TRAINEST_STRUCT_"),
    "trainest_status": (trainest.Status, "TRAINEST_"),
}

SEED = dict(samples=1000, global_batch=10, grad_accum_steps=2)


class TestLibrary(unittest.TestCase):
    def test_version(self):
        major, minor, patch = trainest.version_info()
        self.assertEqual(major, _lib.EXPECTED_MAJOR)
        self.assertGreaterEqual(minor, _lib.MIN_MINOR)
        self.assertEqual(trainest.version(), 10000 * major + 100 * minor + patch)
        self.assertEqual(trainest.version_string(), "%d.%d.%d" % (major, minor, patch))
        self.assertTrue(os.path.exists(trainest.library_path) or "/" not in trainest.library_path)

    def test_every_symbol_of_the_map_has_a_prototype(self):
        with open(os.path.join(REPO, "lib", "trainest.map"), encoding="utf-8") as f:
            text = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
        symbols = re.findall(r"^\s*(trainest_\w+)\s*;", text, flags=re.M)
        self.assertEqual(len(symbols), len(set(symbols)))
        self.assertEqual(sorted(symbols), sorted(_lib.PROTOTYPES))
        for name in symbols:
            fn = getattr(_lib.lib, name)
            self.assertIsNotNone(fn.argtypes, name)
            self.assertIsNotNone(fn.restype, name)


class TestStructs(unittest.TestCase):
    def test_size_of_every_struct_matches_the_library(self):
        ids = sorted(sid for _, sid in _lib.STRUCTS.values())
        self.assertEqual(ids, list(range(1, 30)))
        for name, (cls, sid) in _lib.STRUCTS.items():
            with self.subTest(struct=name):
                self.assertEqual(ctypes.sizeof(cls), trainest.struct_size(sid))
                self.assertEqual(trainest.StructId(sid).name, name[len("trainest_"):].upper())
        self.assertEqual(trainest.struct_size(0), 0)
        self.assertEqual(trainest.struct_size(9999), 0)

    def test_every_header_struct_is_mirrored_field_for_field(self):
        structs, _ = header.parse()
        self.assertEqual(set(structs), set(_lib.STRUCTS))
        for name, fields in structs.items():
            cls = _lib.STRUCTS[name][0]
            with self.subTest(struct=name):
                self.assertEqual([f[0] for f in cls._fields_], [f[1] for f in fields])
                for (ctype_name, member, length), (_, ctype) in zip(fields, cls._fields_):
                    want = C_TYPES.get(ctype_name) or _lib.STRUCTS[ctype_name][0]
                    if length:
                        want = want * length
                        self.assertEqual((ctype._type_, ctype._length_), (want._type_, want._length_))
                    else:
                        self.assertIs(ctype, want, member)

    def test_sizes_of_this_release(self):
        self.assertEqual(set(SIZES_0_7), set(_lib.STRUCTS))
        for name, size in SIZES_0_7.items():
            with self.subTest(struct=name):
                self.assertEqual(ctypes.sizeof(_lib.STRUCTS[name][0]), size)

    def test_every_offset_follows_the_c_layout(self):
        """Each member's offset, computed with C's alignment rules from the
        header's types alone, equals the mirror's, for all 29 structs."""
        structs, _ = header.parse()
        sizes = {"uint32_t": (4, 4), "uint64_t": (8, 8), "double": (8, 8)}  # (size, alignment)

        def layout(name):
            offset, align, offsets = 0, 1, {}
            for ctype_name, member, length in structs[name]:
                size, a = sizes[ctype_name] if ctype_name in sizes else layout(ctype_name)[1:]
                offset = (offset + a - 1) // a * a
                offsets[member] = offset
                offset += size * (length or 1)
                align = max(align, a)
            return offsets, (offset + align - 1) // align * align, align

        for name, (cls, sid) in _lib.STRUCTS.items():
            with self.subTest(struct=name):
                offsets, size, _ = layout(name)
                self.assertEqual({m: getattr(cls, m).offset for m, _ in cls._fields_}, offsets)
                self.assertEqual(size, trainest.struct_size(sid))

    def test_0_5_0_6_and_0_7_members_are_appended(self):
        for release, name, (old_size, first) in (
                [("0.5", n, v) for n, v in APPENDED_IN_0_5.items()]
                + [("0.6", n, v) for n, v in APPENDED_IN_0_6.items()]
                + [("0.7", n, v) for n, v in APPENDED_IN_0_7.items()]):
            with self.subTest(release=release, struct=name):
                cls = _lib.STRUCTS[name][0]
                self.assertEqual(getattr(cls, first).offset, old_size)
                before = [m for m, _ in cls._fields_][:[m for m, _ in cls._fields_].index(first)]
                last = getattr(cls, before[-1])
                self.assertEqual(last.offset + last.size, old_size)

    def test_flags_match_the_header(self):
        want = header.flags()
        for prefix, cls in (("CHANGED", trainest.Changed), ("FIT", trainest.FitFlags),
                            ("CALIBRATE", trainest.CalibrateFlags)):
            with self.subTest(flags=prefix):
                self.assertEqual([(m.name, m.value) for m in cls if m.value], want[prefix])

    def test_frozen_offsets(self):
        for name, member, offset in FROZEN_OFFSETS:
            with self.subTest(struct=name, member=member):
                self.assertEqual(getattr(_lib.STRUCTS[name][0], member).offset, offset)
        self.assertEqual(ctypes.sizeof(_lib.trainest_eta), 368)  # 304 in 0.4, 312 in 0.5
        self.assertEqual([getattr(_lib.trainest_layout_suggestion, m).offset for m in (
            "changed", "distance_ratio", "devices", "data_parallel", "tensor_parallel",
            "pipeline_parallel")], [4, 8, 16, 24, 32, 40])
        self.assertEqual(_lib.trainest_eta.marker_s.offset + 40, _lib.trainest_eta.marker_pos.offset)

    def test_enums_match_the_header(self):
        _, enums = header.parse()
        self.assertEqual(set(enums), set(ENUMS))
        for cname, (cls, prefix) in ENUMS.items():
            with self.subTest(enum=cname):
                self.assertEqual([(prefix + m.name, m.value) for m in cls], enums[cname])

    def test_field_names_match_the_library(self):
        for field in trainest.Field:
            name = errors.field_name(field)
            self.assertNotEqual(name, "unknown", field)
        self.assertEqual(errors.field_name(trainest.Field.GLOBAL_BATCH), "global_batch")

    def test_outputs_cover_every_public_member(self):
        for name, cls in OUTPUTS.items():
            with self.subTest(struct=name):
                members = {f for f, _ in _lib.STRUCTS[name][0]._fields_} - PRIVATE_MEMBERS
                fields = {f.name for f in dataclasses.fields(cls)} - EXTRA_OUTPUT_FIELDS.get(cls, set())
                self.assertEqual(fields, members)

    def test_input_defaults_are_the_c_init_defaults(self):
        for name, (cls, init) in INPUTS.items():
            with self.subTest(struct=name):
                ctype = _lib.STRUCTS[name][0]
                members = [f for f, _ in ctype._fields_ if f not in PRIVATE_MEMBERS]
                self.assertEqual(sorted(f.name for f in dataclasses.fields(cls)), sorted(members))
                c_default = ctype()
                self.assertEqual(init(ctypes.byref(c_default), ctypes.sizeof(ctype)), 0)
                self.assertEqual(bytes(cls().to_c()), bytes(c_default))


class TestStructSize(unittest.TestCase):
    """Callers with a newer (larger) or older (smaller) struct than the library's."""

    def _request(self, **kw):
        return trainest.PlanRequest(**dict(SEED, **kw)).to_c()

    def test_larger_output_buffer_is_filled_and_its_tail_zeroed(self):
        size = ctypes.sizeof(_lib.trainest_plan)
        buf = ctypes.create_string_buffer(b"\xab" * (size + 64), size + 64)
        out = ctypes.cast(buf, ctypes.POINTER(_lib.trainest_plan))
        out.contents.struct_size = size + 64
        request = self._request()
        self.assertEqual(_lib.lib.trainest_plan_compute(out, ctypes.byref(request)), 0)
        self.assertEqual(out.contents.struct_size, size + 64)
        self.assertEqual(out.contents.micro_batch, 5)
        self.assertEqual(out.contents.total_micro_steps, 200)
        self.assertEqual(buf.raw[size:], b"\0" * 64)

    def test_larger_input_must_have_a_zero_tail(self):
        size = ctypes.sizeof(_lib.trainest_plan_request)
        buf = ctypes.create_string_buffer(bytes(self._request()) + b"\0" * 16, size + 16)
        request = ctypes.cast(buf, ctypes.POINTER(_lib.trainest_plan_request))
        request.contents.struct_size = size + 16
        out = _lib.new(_lib.trainest_plan)
        self.assertEqual(_lib.lib.trainest_plan_compute(ctypes.byref(out), request), 0)
        self.assertEqual(out.total_optimizer_steps, 100)
        buf[size + 3] = 1  # a setting this library does not know
        status = _lib.lib.trainest_plan_compute(ctypes.byref(out), request)
        with self.assertRaises(trainest.UnsupportedError) as cm:
            errors.raise_for_status(status, out.invalid_field)
        self.assertEqual(cm.exception.field, "struct_size")

    def test_struct_size_below_the_first_release_is_refused(self):
        out = _lib.new(_lib.trainest_plan)
        out.struct_size = 8
        status = _lib.lib.trainest_plan_compute(ctypes.byref(out), ctypes.byref(self._request()))
        self.assertEqual(status, trainest.StructSizeError.status)
        request = self._request()
        request.struct_size = 16
        out = _lib.new(_lib.trainest_plan)
        status = _lib.lib.trainest_plan_compute(ctypes.byref(out), ctypes.byref(request))
        with self.assertRaises(trainest.StructSizeError) as cm:
            errors.raise_for_status(status, out.invalid_field)
        self.assertEqual(cm.exception.field, "struct_size")

    def test_array_stride_is_element_zero_struct_size(self):
        size = ctypes.sizeof(_lib.trainest_plan_suggestion)
        stride, capacity = size + 16, 4
        buf = ctypes.create_string_buffer(stride * capacity)
        first = ctypes.cast(buf, ctypes.POINTER(_lib.trainest_plan_suggestion))
        first.contents.struct_size = stride
        count = ctypes.c_uint32()
        request = trainest.PlanRequest(samples=1000, global_batch=10, micro_batch=3).to_c()
        status = _lib.lib.trainest_plan_suggest(first, capacity, ctypes.byref(count), ctypes.byref(request))
        self.assertEqual(status, 0)
        self.assertEqual(count.value, capacity)
        got = [_lib.trainest_plan_suggestion.from_buffer(buf, i * stride) for i in range(count.value)]
        self.assertEqual([(s.global_batch, s.micro_batch, s.grad_accum_steps) for s in got[:3]],
                         [(9, 3, 3), (12, 3, 4), (10, 2, 5)])
        self.assertTrue(all(s.struct_size == stride for s in got))


class TestErrors(unittest.TestCase):
    def library_statuses(self):
        table, status = [], -1
        while errors.status_name(status) != "TRAINEST_E_UNKNOWN_STATUS":
            table.append((status, errors.status_name(status)))
            status -= 1
        return table

    def test_class_names(self):
        self.assertEqual(errors.class_name("TRAINEST_E_NOT_DIVISIBLE"), "NotDivisibleError")
        self.assertEqual(errors.class_name("TRAINEST_E_NULL"), "NullError")
        self.assertEqual(errors.class_name("TRAINEST_E_TOO_FEW_POINTS"), "TooFewPointsError")
        self.assertEqual(errors.status_name(0), "TRAINEST_OK")

    def test_one_class_per_library_status(self):
        table = self.library_statuses()
        self.assertGreaterEqual(len(table), 17)
        self.assertEqual(sorted(errors.STATUS_ERRORS), sorted(s for s, _ in table))
        for status, name in table:
            with self.subTest(status=name):
                cls = errors.STATUS_ERRORS[status]
                self.assertEqual(cls.__name__, errors.class_name(name))
                self.assertIs(getattr(trainest, cls.__name__), cls)
                self.assertTrue(issubclass(cls, trainest.TrainestError))
                self.assertEqual((cls.status, cls.name), (status, name))
                exc = cls()
                self.assertEqual(exc.message, errors.strerror(status))
                self.assertIn(cls.__name__, trainest.__all__ if cls is not trainest.OverflowError
                              else dir(trainest))
        self.assertIs(errors.error_class(-12345), trainest.UnknownStatusError)
        self.assertTrue(issubclass(trainest.OverflowError, OverflowError))

    def test_a_real_input_raises_each_status(self):
        bad_plan = _lib.new(_lib.trainest_plan)
        bad_plan.struct_size = 8
        oversize = (ctypes.c_ubyte * (ctypes.sizeof(_lib.trainest_plan_request) + 8))()
        ctypes.memmove(oversize, ctypes.byref(trainest.PlanRequest(**SEED).to_c()),
                       ctypes.sizeof(_lib.trainest_plan_request))
        ctypes.cast(oversize, ctypes.POINTER(ctypes.c_uint32))[0] = len(oversize)
        oversize[-1] = 7

        def low_level(call):
            def run():
                out = _lib.new(_lib.trainest_plan)
                errors.raise_for_status(call(out), out.invalid_field)
            return run

        plain = dict(samples=1000, global_batch=10)
        cases = {
            trainest.NullError: (low_level(lambda out: _lib.lib.trainest_plan_compute(out, None)), None),
            trainest.StructSizeError: (low_level(lambda out: _lib.lib.trainest_plan_compute(
                bad_plan, trainest.PlanRequest(**SEED).to_c())), None),
            trainest.UnsupportedError: (low_level(lambda out: _lib.lib.trainest_plan_compute(
                out, ctypes.cast(oversize, ctypes.POINTER(_lib.trainest_plan_request)))), "struct_size"),
            trainest.ZeroError: (lambda: trainest.plan(samples=0, global_batch=10), "samples"),
            trainest.OverflowError: (lambda: trainest.plan(samples=2**62, global_batch=1, epochs=8), "epochs"),
            trainest.NotDivisibleError: (lambda: trainest.plan(samples=1000, global_batch=10, micro_batch=3),
                                         "global_batch"),
            trainest.InconsistentError: (lambda: trainest.plan(micro_batch=3, grad_accum_steps=3, **plain),
                                         "global_batch"),
            trainest.UnknownEnumError: (lambda: trainest.plan(divisibility=7, **plain), "divisibility"),
            trainest.UnderspecifiedError: (lambda: trainest.plan(samples=1000), "global_batch"),
            trainest.ExceedsCapError: (lambda: trainest.plan(samples=1000, micro_batch=8, max_micro_batch=4),
                                       "micro_batch"),
            trainest.NoStepsError: (lambda: trainest.plan(1, global_batch=2, data_parallel=2,
                                                          sampler=trainest.Sampler.DROP), "data_parallel"),
            trainest.PresetConflictError: (lambda: trainest.plan(preset="megatron", sampler="pad", **plain),
                                           "sampler"),
            trainest.NotFiniteError: (lambda: trainest.estimate(per_sample_s=math.nan, **plain), "per_sample_s"),
            trainest.OutOfRangeError: (lambda: trainest.estimate(fixed_s=-1, **plain), "fixed_s"),
            trainest.TooFewPointsError: (lambda: trainest.calibrate([(1, 1, 0.1), (1, 1, 0.1)]), "observations"),
            trainest.UnidentifiableError: (lambda: trainest.calibrate([(1, 1, 0.1), (2, 1, 0.2), (4, 1, 0.4)]),
                                           "observations"),
            trainest.BadLayoutError: (lambda: trainest.plan(devices=100, tensor_parallel=8, pipeline_parallel=4,
                                                            **plain), "devices"),
        }
        # A status a newer library adds must get a case here.
        self.assertEqual({cls.status for cls in cases}, {s for s, _ in self.library_statuses()})
        for cls, (call, field) in cases.items():
            with self.subTest(error=cls.__name__):
                with self.assertRaises(cls) as cm:
                    call()
                exc = cm.exception
                self.assertIs(type(exc), cls)
                self.assertEqual(exc.status, cls.status)
                self.assertEqual(exc.name, errors.status_name(cls.status))
                self.assertEqual(exc.message, errors.strerror(cls.status))
                self.assertEqual(exc.field, field)
                self.assertIn(exc.name, str(exc))

    def test_not_divisible_example(self):
        with self.assertRaises(trainest.NotDivisibleError) as cm:
            trainest.plan(samples=1000, global_batch=10, micro_batch=3)
        exc = cm.exception
        self.assertIsInstance(exc, trainest.TrainestError)
        self.assertEqual((exc.status, exc.name, exc.field), (-6, "TRAINEST_E_NOT_DIVISIBLE", "global_batch"))
        self.assertEqual(exc.field_id, trainest.Field.GLOBAL_BATCH)
        self.assertIn("(field: global_batch)", str(exc))
        again = pickle.loads(pickle.dumps(exc))
        self.assertEqual((type(again), again.field), (trainest.NotDivisibleError, "global_batch"))

    def test_fit_errors_name_the_observation(self):
        with self.assertRaises(trainest.OutOfRangeError) as cm:
            trainest.calibrate([(1, 1, 0.1), (2, 1, -0.2), (4, 2, 0.4)])
        self.assertEqual((cm.exception.field, cm.exception.index), ("observation.step_s", 1))
        with self.assertRaises(trainest.TooFewPointsError) as cm:
            trainest.fit_memory([(1, 10), (1, 20)])
        self.assertEqual((cm.exception.field, cm.exception.index), ("memory_points", None))

    def test_functions_without_an_output_struct_still_raise(self):
        with self.assertRaises(trainest.ZeroError) as cm:
            trainest.suggest(samples=0, global_batch=10)
        self.assertEqual(cm.exception.field, "samples")  # recovered through trainest_plan_compute
        with self.assertRaises(trainest.ZeroError) as cm:
            trainest.EtaTracker(total_steps=0)
        self.assertEqual(cm.exception.field, "total_steps")  # in the tracker since 0.5
        with self.assertRaises(trainest.OutOfRangeError) as cm:
            trainest.EtaTracker(total_steps=10, outlier_ratio=0.5)
        self.assertEqual(cm.exception.field, "outlier_ratio")
        with self.assertRaises(trainest.NotFiniteError) as cm:
            trainest.EtaTracker(total_steps=10).update(math.inf)
        self.assertEqual(cm.exception.field, "step_s")

    def test_values_c_cannot_hold_are_python_errors(self):
        with self.assertRaises(ValueError):
            trainest.plan(samples=-1, global_batch=10)  # ctypes alone would wrap it to 2^64 - 1
        with self.assertRaises(ValueError):
            trainest.plan(samples=2**64, global_batch=10)
        with self.assertRaises(TypeError):
            trainest.plan(samples=1000.0, global_batch=10)
        with self.assertRaises(TypeError):
            trainest.estimate(fixed_s="0.1", **SEED)
        with self.assertRaises(TypeError):
            trainest.estimate(no_such_field=1, **SEED)
        with self.assertRaises(ValueError):
            trainest.PlanRequest(preset="no-such-preset")
        with self.assertRaises(TypeError):
            trainest.plan(trainest.PlanRequest(**SEED), micro_batch=5)


class TestPlan(unittest.TestCase):
    def test_seed_example(self):
        p = trainest.plan(samples=1000, global_batch=10, grad_accum_steps=2)
        self.assertEqual((p.micro_batch, p.grad_accum_steps, p.global_batch), (5, 2, 10))
        self.assertEqual((p.optimizer_steps_per_epoch, p.total_optimizer_steps), (100, 100))
        self.assertEqual((p.micro_steps_per_epoch, p.total_micro_steps), (200, 200))
        self.assertIs(p.sampler, trainest.Sampler.PAD)
        self.assertIs(p.accum_tail, trainest.AccumTail.STEP)
        self.assertEqual(trainest.plan(trainest.PlanRequest(**SEED)), p)
        with self.assertRaises(dataclasses.FrozenInstanceError):
            p.micro_batch = 6

    def test_h200_measurement(self):
        p = trainest.plan(samples=1000, global_batch=64, micro_batch=16, grad_accum_steps=4)
        self.assertEqual((p.total_micro_steps, p.total_optimizer_steps), (63, 16))
        self.assertEqual((p.last_step_micro_batches, p.last_step_samples), (3, 40))

    def test_suggest_repairs(self):
        got = trainest.suggest(samples=1000, global_batch=10, micro_batch=3, limit=3)
        self.assertEqual([(s.global_batch, s.micro_batch, s.grad_accum_steps) for s in got],
                         [(9, 3, 3), (12, 3, 4), (10, 2, 5)])
        self.assertEqual([round(s.distance_ratio, 2) for s in got], [0.1, 0.2, 0.33])
        self.assertEqual(got[0].changed, trainest.Changed.GLOBAL_BATCH)
        for s in got:
            trainest.plan(1000, global_batch=s.global_batch, micro_batch=s.micro_batch)
        self.assertEqual(trainest.suggest(samples=1000, global_batch=10, micro_batch=3, limit=0), [])

    def test_enum_arguments(self):
        a = trainest.plan(samples=1000, global_batch=9, micro_batch=2, divisibility="round_up")
        b = trainest.plan(samples=1000, global_batch=9, micro_batch=2,
                          divisibility=trainest.Divisibility.ROUND_UP)
        self.assertEqual(a, b)
        self.assertEqual((a.global_batch, a.requested_global_batch), (10, 9))


class TestTime(unittest.TestCase):
    MODEL = trainest.TimeModel(floor_s=0.004, fixed_s=0.01, per_sample_s=0.002, launch_lag_s=0.003,
                               optimizer_s=0.02, h2d_bytes_per_sample=1 << 20, h2d_bytes_per_s=1e10,
                               grad_bytes=1 << 28, bus_bytes_per_s=1e11, data_samples_per_s=2000,
                               eval_s_per_epoch=5, checkpoint_s=2, checkpoints_per_epoch=2,
                               startup_s=30)

    def test_estimate_breakdown_sums_to_total(self):
        e = trainest.estimate(trainest.PlanRequest(samples=100000, global_batch=256, micro_batch=16,
                                                   data_parallel=4, epochs=3), self.MODEL)
        parts = e.breakdown()
        self.assertEqual(set(parts), {"compute_s", "optimizer_s", "transfer_s", "data_stall_s", "comm_s",
                                      "overhead_s", "bubble_s", "tp_comm_s", "p2p_s"})
        no_model_parallelism = ("bubble_s", "tp_comm_s", "p2p_s")
        self.assertTrue(all(v > 0 for k, v in parts.items() if k not in ("data_stall_s",) + no_model_parallelism),
                        parts)
        self.assertEqual([parts[k] for k in no_model_parallelism], [0, 0, 0])
        self.assertEqual((e.bubble_ratio, e.stage_s), (0, e.micro_batch_s))
        self.assertAlmostEqual(math.fsum(parts.values()), e.total_s, delta=1e-9 * e.total_s)
        self.assertAlmostEqual(e.overhead_s, 30 + 3 * (5 + 2 * 2), places=9)

    def test_estimate_kwargs_and_objects_agree(self):
        a = trainest.estimate(samples=1000, global_batch=10, micro_batch=5, fixed_s=0.01, per_sample_s=0.002)
        b = trainest.estimate(trainest.PlanRequest(samples=1000, global_batch=10, micro_batch=5),
                              trainest.TimeModel(fixed_s=0.01, per_sample_s=0.002))
        c = trainest.estimate(trainest.PlanRequest(samples=1000, global_batch=10, micro_batch=1),
                              trainest.TimeModel(fixed_s=0.01), micro_batch=5, per_sample_s=0.002)
        self.assertEqual(a, b)
        self.assertEqual(a, c)
        # 100 steps of 2 micro-batches of 5: 2 * (0.01 + 5 * 0.002)
        self.assertAlmostEqual(a.step_s, 0.04)
        self.assertAlmostEqual(a.total_s, 4.0)

    def test_calibrate_recovers_synthetic_parameters(self):
        fixed_s, per_sample_s, lag_s, optimizer_s = 0.012, 0.0031, 0.004, 0.025
        obs = [(m, a, a * (fixed_s + per_sample_s * m) + lag_s + optimizer_s)
               for m in (1, 2, 4, 8, 16, 32) for a in (1, 2, 4, 8)]
        fit = trainest.calibrate(obs)
        self.assertEqual(fit.observations, len(obs))
        self.assertAlmostEqual(fit.fixed_s, fixed_s, delta=1e-9)
        self.assertAlmostEqual(fit.per_sample_s, per_sample_s, delta=1e-9)
        self.assertAlmostEqual(fit.launch_lag_s + fit.optimizer_s, lag_s + optimizer_s, delta=1e-9)
        self.assertLess(fit.max_residual_ratio, 1e-9)
        known = trainest.calibrate([trainest.Observation(*o) for o in obs], optimizer_s=optimizer_s)
        self.assertEqual(known.optimizer_s, optimizer_s)
        self.assertAlmostEqual(known.launch_lag_s, lag_s, delta=1e-9)
        self.assertTrue(known.flags & trainest.FitFlags.LAUNCH_LAG_FITTED)
        model = known.time_model()
        e = trainest.estimate(trainest.PlanRequest(samples=64, global_batch=16, micro_batch=8), model)
        self.assertAlmostEqual(e.step_s, 2 * (fixed_s + per_sample_s * 8) + lag_s + optimizer_s, delta=1e-9)

    def test_tradeoff_lists_every_divisor(self):
        tr = trainest.tradeoff(samples=1000, global_batch=64, max_micro_batch=16, fixed_s=0.01,
                               per_sample_s=0.001)
        self.assertEqual(tr.candidates, 7)
        self.assertEqual([p.micro_batch for p in tr.points], [1, 2, 4, 8, 16, 32, 64])
        self.assertEqual([p.fits for p in tr.points], [True] * 5 + [False] * 2)
        self.assertEqual((tr.recommended_micro_batch, tr.recommended_grad_accum_steps), (16, 4))
        self.assertEqual(len(trainest.tradeoff(samples=1000, global_batch=64, per_sample_s=0.001,
                                               limit=3).points), 3)


# ResNet-50 (224 px) on an H200 host: one epoch of 4096 samples in batches of
# 128 read from the DataLoader alone with 4 and with 12 workers
# (tests/data/h200-train-steps.jsonl, the "loader" lines).
RESNET_LOADER = [(4, 128, 4096, 1.847286309999987), (12, 128, 4096, 1.97837707299999)]


def workers_epoch_stall(batches, m, workers, startup_s, rate, consume_s):
    """Loader workers by brute force: micro-batch k is ready at
    (k mod W + 1) startup_s + (k // W + 1) m / rate; the device takes them in
    order, consume_s each. The epoch's wall time less its busy time."""
    t = 0.0
    for k in range(batches):
        ready = (k % workers + 1) * startup_s + (k // workers + 1) * m / rate
        t = max(ready, t) + consume_s
    return t - batches * consume_s


class TestLoaderWorkers(unittest.TestCase):
    PLAN = trainest.PlanRequest(samples=4096, global_batch=128, epochs=3)

    def test_loader_calibrate_resnet50(self):
        fit = trainest.loader_calibrate(RESNET_LOADER)
        # 32 batches: 4 s + 1024 u with 4 workers, 12 s + 256 u with 12
        (_, _, _, t4), (_, _, _, t12) = RESNET_LOADER
        startup_s = (4 * t12 - t4) / 44
        self.assertAlmostEqual(fit.worker_startup_s, startup_s, delta=1e-12)
        self.assertAlmostEqual(fit.samples_per_s_per_worker, 1024 / (t4 - 4 * startup_s), delta=1e-6)
        self.assertLess(fit.max_residual_ratio, 1e-9)
        self.assertLessEqual(fit.mean_residual_ratio, fit.max_residual_ratio)
        self.assertEqual(fit.observations, 2)
        self.assertEqual(trainest.loader_calibrate(trainest.LoaderObservation(*o) for o in RESNET_LOADER), fit)
        # with next to no compute, an epoch takes what the loader alone took
        for workers, _, _, seconds in RESNET_LOADER:
            model = fit.time_model(data_workers=workers, fixed_s=1e-9)
            self.assertIs(model.data_mode, trainest.DataMode.WORKERS)
            e = trainest.estimate(dataclasses.replace(self.PLAN, epochs=1), model)
            self.assertAlmostEqual(e.total_s, seconds, delta=1e-7 * seconds)
        base = trainest.TimeModel(per_sample_s=0.0003, data_workers=12)
        self.assertEqual(fit.time_model(base).per_sample_s, 0.0003)
        self.assertEqual(fit.time_model(base).data_worker_startup_s, fit.worker_startup_s)

    def test_workers_mode_matches_a_brute_force_loader(self):
        consume = 0.0003 * 128
        for workers in (1, 4, 12, 31):
            one = workers_epoch_stall(32, 128, workers, 0.1379, 790, consume)
            for persistent in (False, True):
                with self.subTest(workers=workers, persistent=persistent):
                    e = trainest.estimate(self.PLAN, per_sample_s=0.0003, data_mode="workers",
                                          data_workers=workers, data_samples_per_s_per_worker=790,
                                          data_worker_startup_s=0.1379, data_persistent_workers=persistent)
                    later = workers_epoch_stall(32, 128, workers, 0, 790, consume) if persistent else one
                    self.assertAlmostEqual(e.data_stall_s, one + 2 * later, delta=1e-9)
                    self.assertAlmostEqual(e.total_s, 96 * consume + one + 2 * later, delta=1e-9)
        # the workers share a total rate: 4 x 500 = 2000 samples/s
        shared = trainest.estimate(self.PLAN, per_sample_s=0.0003, data_mode=trainest.DataMode.WORKERS,
                                   data_workers=4, data_samples_per_s=2000)
        each = trainest.estimate(self.PLAN, per_sample_s=0.0003, data_mode=trainest.DataMode.WORKERS,
                                 data_workers=4, data_samples_per_s_per_worker=500)
        self.assertAlmostEqual(shared.total_s, each.total_s, delta=1e-12)

    def test_errors(self):
        plain = dict(samples=4096, global_batch=128, per_sample_s=0.0003)
        cases = [
            (trainest.InconsistentError, "data_worker_startup_s", None,
             lambda: trainest.estimate(data_worker_startup_s=0.1, **plain)),
            (trainest.InconsistentError, "data_persistent_workers", None,
             lambda: trainest.estimate(data_mode="serial", data_persistent_workers=1, **plain)),
            (trainest.OutOfRangeError, "data_persistent_workers", None,
             lambda: trainest.estimate(data_mode="workers", data_workers=4, data_persistent_workers=2, **plain)),
            (trainest.ZeroError, "data_workers", None, lambda: trainest.estimate(data_mode="workers", **plain)),
            (trainest.ZeroError, "loader_observation.batch_size", 1,
             lambda: trainest.loader_calibrate([RESNET_LOADER[0], (12, 0, 4096, 2.0)])),
            (trainest.OutOfRangeError, "loader_observation.seconds", 0,
             lambda: trainest.loader_calibrate([(4, 128, 4096, -1.0), RESNET_LOADER[1]])),
            (trainest.NotFiniteError, "loader_observation.seconds", 1,
             lambda: trainest.loader_calibrate([RESNET_LOADER[0], (12, 128, 4096, math.nan)])),
            (trainest.TooFewPointsError, "observations", None, lambda: trainest.loader_calibrate(RESNET_LOADER[:1])),
            (trainest.TooFewPointsError, "observations", None,
             lambda: trainest.loader_calibrate([RESNET_LOADER[0]] * 2)),
            (trainest.OutOfRangeError, "observations", None, lambda: trainest.loader_calibrate(RESNET_LOADER * 33)),
            # s + 128 u and 2 s + 256 u: one line through the origin
            (trainest.UnidentifiableError, "observations", None,
             lambda: trainest.loader_calibrate([(1, 128, 128, 1.0), (2, 128, 512, 2.0)])),
        ]
        for cls, field, index, call in cases:
            with self.subTest(error=cls.__name__, field=field):
                with self.assertRaises(cls) as cm:
                    call()
                self.assertEqual((cm.exception.field, cm.exception.index), (field, index))
        self.assertEqual(trainest.loader_calibrate(RESNET_LOADER * 32).observations, 64)
        with self.assertRaises(ValueError):
            trainest.loader_calibrate([(-4, 128, 4096, 1.8), RESNET_LOADER[1]])
        with self.assertRaises(TypeError):
            trainest.loader_calibrate([(4, 128, 4096, "1.8"), RESNET_LOADER[1]])

    def test_loader_observation_init(self):
        ob = _lib.trainest_loader_observation()
        ob.workers = 7
        self.assertEqual(_lib.lib.trainest_loader_observation_init(ctypes.byref(ob), ctypes.sizeof(ob)), 0)
        self.assertEqual(ob.struct_size, ctypes.sizeof(ob))
        self.assertEqual((ob.workers, ob.batch_size, ob.samples, ob.seconds), (0, 0, 0, 0.0))
        self.assertEqual(_lib.lib.trainest_loader_observation_init(ctypes.byref(ob), 8),
                         trainest.StructSizeError.status)


class TestMemoryAndSearch(unittest.TestCase):
    def test_memory(self):
        m = trainest.memory(params=10**9, activation_bytes_per_sample=10**8, device_memory_bytes=80 * 2**30,
                            micro_batch=8)
        self.assertEqual(m.static_bytes, 16 * 10**9)  # 16 + 16 + 96 bits per parameter
        self.assertEqual(m.total_bytes, 16 * 10**9 + 8 * 10**8)
        self.assertIs(m.fits, True)
        unlimited = trainest.memory(trainest.MemoryModel(static_bytes=10**9, activation_bytes_per_sample=10))
        self.assertEqual((unlimited.budget_bytes, unlimited.max_micro_batch),
                         (trainest.UNLIMITED, trainest.UNLIMITED))
        zero3 = trainest.memory(params=10**9, zero_stage=3, data_parallel=8)
        self.assertEqual(zero3.static_bytes, 2 * 10**9)

    def test_fit_memory(self):
        fit = trainest.fit_memory([(1, 1100), (2, 1200), (4, 1400), (8, 1800)])
        self.assertEqual((fit.static_bytes, fit.per_sample_bytes, fit.points), (1000, 100, 4))
        self.assertEqual(fit.memory_model(device_memory_bytes=2000).activation_bytes_per_sample, 100)

    def test_search_returns_sorted_plans(self):
        result = trainest.search(
            trainest.PlanRequest(samples=10000, global_batch=64),
            trainest.TimeModel(fixed_s=0.01, per_sample_s=0.001, optimizer_s=0.01),
            trainest.MemoryModel(static_bytes=10**9, activation_bytes_per_sample=10**8,
                                 device_memory_bytes=2 * 10**9),
            global_batch_min=32, global_batch_max=128, global_batch_step=32, max_devices=4, top=10)
        self.assertEqual(len(result.plans), 10)
        self.assertGreaterEqual(result.feasible, 10)
        self.assertGreater(result.rejected_does_not_fit, 0)
        totals = [p.total_s for p in result.plans]
        self.assertEqual(totals, sorted(totals))
        for p in result.plans:
            self.assertEqual(p.global_batch, p.micro_batch * p.grad_accum_steps * p.data_parallel)
            self.assertLessEqual(p.memory_bytes, 2 * 10**9)
            self.assertIn(p.global_batch, (32, 64, 96, 128))
            self.assertLessEqual(p.data_parallel, 4)
        best = result.plans[0]
        e = trainest.estimate(trainest.PlanRequest(samples=10000, global_batch=best.global_batch,
                                                   micro_batch=best.micro_batch,
                                                   data_parallel=best.data_parallel),
                              fixed_s=0.01, per_sample_s=0.001, optimizer_s=0.01)
        self.assertAlmostEqual(e.total_s, best.total_s, delta=1e-9)
        self.assertEqual(trainest.search(trainest.PlanRequest(samples=10000, global_batch=64),
                                         trainest.TimeModel(per_sample_s=0.001), top=0).plans, [])


def close(got, want, rel=1e-12):
    return abs(got - want) <= rel * max(abs(want), 1e-300)


class TestModelParallel(unittest.TestCase):
    """Tensor and pipeline parallelism (0.5.0): layouts, time, memory, search."""

    LAYOUT = trainest.PlanRequest(samples=100000, global_batch=960, devices=100, tensor_parallel=8,
                                  pipeline_parallel=4, layers=32, hidden=4096)

    def test_bad_layout_raises_and_layout_suggest_repairs_it(self):
        with self.assertRaises(trainest.BadLayoutError) as cm:
            trainest.plan(self.LAYOUT)
        exc = cm.exception
        self.assertEqual((exc.status, exc.name, exc.field), (-17, "TRAINEST_E_BAD_LAYOUT", "devices"))
        self.assertEqual(exc.field_id, trainest.Field.DEVICES)
        got = trainest.layout_suggest(self.LAYOUT, limit=16)
        self.assertEqual((got[0].devices, got[0].data_parallel, got[0].tensor_parallel,
                          got[0].pipeline_parallel), (96, 3, 8, 4))
        self.assertEqual(got[0].changed, trainest.Changed.DEVICES)
        self.assertAlmostEqual(got[0].distance_ratio, 0.04, delta=1e-12)
        self.assertIn((128, 8, 4), [(s.devices, s.tensor_parallel, s.pipeline_parallel) for s in got])
        for i, s in enumerate(got):
            self.assertEqual(s.data_parallel * s.tensor_parallel * s.pipeline_parallel, s.devices)
            if i:
                self.assertLessEqual(got[i - 1].distance_ratio, s.distance_ratio)
            if s.devices == 100:
                self.assertTrue(s.changed & (trainest.Changed.TENSOR_PARALLEL | trainest.Changed.PIPELINE_PARALLEL))
            repaired = s.apply(self.LAYOUT)
            try:
                p = trainest.plan(repaired)
            except trainest.NotDivisibleError as exc:
                # The repair is of the layout only: the batch may not split over
                # the new data-parallel size; suggest() repairs the batch.
                self.assertEqual(exc.field, "global_batch")
                b = trainest.suggest(repaired, limit=1)[0]
                p = trainest.plan(dataclasses.replace(repaired, global_batch=b.global_batch,
                                                      micro_batch=b.micro_batch,
                                                      grad_accum_steps=b.grad_accum_steps))
            self.assertEqual((p.devices, p.data_parallel, p.tensor_parallel, p.pipeline_parallel),
                             (s.devices, s.data_parallel, s.tensor_parallel, s.pipeline_parallel))
        self.assertEqual(trainest.layout_suggest(devices=100, tensor_parallel=8, pipeline_parallel=4,
                                                 layers=32, hidden=4096, limit=16), got)
        self.assertEqual(trainest.layout_suggest(self.LAYOUT, limit=0), [])
        self.assertEqual(len(trainest.layout_suggest(self.LAYOUT, limit=1)), 1)

    def test_the_model_must_split_over_the_layout(self):
        base = dict(samples=100000, global_batch=960, devices=64, tensor_parallel=8, pipeline_parallel=4)
        for extra, field in ((dict(layers=30), "layers"), (dict(hidden=4100), "hidden"),
                             (dict(attention_heads=12), "attention_heads")):
            with self.subTest(field=field):
                with self.assertRaises(trainest.BadLayoutError) as cm:
                    trainest.plan(**dict(base, **extra))
                self.assertEqual(cm.exception.field, field)
        with self.assertRaises(trainest.BadLayoutError) as cm:
            trainest.plan(samples=1000, global_batch=8, devices=8, virtual_stages=2)  # no pipeline
        self.assertEqual(cm.exception.field, "virtual_stages")
        # interleaving needs whole rounds of PP micro-batches (Megatron)
        ok = dict(samples=100000, global_batch=48, micro_batch=1, devices=8, pipeline_parallel=4,
                  virtual_stages=2, layers=24)
        p = trainest.plan(**ok)
        self.assertEqual((p.data_parallel, p.micro_batches_per_step, p.virtual_stages), (2, 24, 2))
        with self.assertRaises(trainest.NotDivisibleError) as cm:
            trainest.plan(**dict(ok, global_batch=36))
        self.assertEqual(cm.exception.field, "virtual_stages")
        with self.assertRaises(trainest.InconsistentError) as cm:
            trainest.plan(samples=1000, global_batch=64, data_parallel=2, devices=64, tensor_parallel=8,
                          pipeline_parallel=2)
        self.assertEqual(cm.exception.field, "data_parallel")

    def test_plan_splits_the_batch_over_data_parallelism_only(self):
        p = trainest.plan(samples=100000, global_batch=512, micro_batch=2, data_parallel=4, tensor_parallel=8,
                          pipeline_parallel=2)
        self.assertEqual((p.devices, p.data_parallel, p.grad_accum_steps, p.micro_batches_per_step),
                         (64, 4, 64, 64))
        self.assertEqual((p.tensor_parallel, p.pipeline_parallel, p.virtual_stages), (8, 2, 1))
        plain = trainest.plan(samples=1000, global_batch=10, grad_accum_steps=2)
        self.assertEqual((plain.tensor_parallel, plain.pipeline_parallel, plain.virtual_stages, plain.devices),
                         (1, 1, 1, 1))

    def test_pipeline_estimate_1f1b_and_interleaved(self):
        fixed, per, seq, hidden, p2p_bw, m = 0.004, 0.002, 1024, 4096, 5e10, 4
        for pp in (1, 2, 4, 8):
            for v in (1, 2, 4):
                for M in (8, 32):
                    if v > 1 and pp == 1:
                        continue
                    with self.subTest(pp=pp, v=v, M=M):
                        request = trainest.PlanRequest(samples=4096 * 8, micro_batch=m, grad_accum_steps=M,
                                                       devices=pp, pipeline_parallel=pp, virtual_stages=v,
                                                       seq_len_tokens=seq, hidden=hidden, layers=64)
                        e = trainest.estimate(request, fixed_s=fixed, per_sample_s=per, bus_bytes_per_s=1e11,
                                              p2p_bytes_per_s=p2p_bw)
                        p2p = 2.0 * v * m * seq * hidden * 2 / p2p_bw if pp > 1 else 0
                        stage = (fixed + per * m) / pp + p2p
                        self.assertTrue(close(e.stage_s, stage), (e.stage_s, stage))
                        self.assertTrue(close(e.step_s, (M + (pp - 1) / v) * stage))
                        self.assertTrue(close(e.bubble_ratio, (pp - 1) / (v * M)) if pp > 1
                                        else e.bubble_ratio == 0)
                        steps = 4096 * 8 / (m * M)
                        self.assertTrue(close(e.bubble_s, steps * (pp - 1) / v * stage, 1e-9) if pp > 1
                                        else e.bubble_s == 0)
                        self.assertTrue(close(math.fsum(e.breakdown().values()), e.total_s))
                        self.assertEqual(trainest.plan(request).micro_batches_per_step, M)

    def test_tensor_parallel_communication(self):
        seq, hidden, layers, bw, lat = 2048, 8192, 32, 2e11, 5e-6
        for tp in (1, 2, 8):
            for recompute in trainest.Recompute:
                with self.subTest(tp=tp, recompute=recompute.name):
                    e = trainest.estimate(
                        trainest.PlanRequest(samples=100000, global_batch=64, micro_batch=2, devices=32 * tp,
                                             tensor_parallel=tp, seq_len_tokens=seq, hidden=hidden, layers=layers),
                        fixed_s=0.01, per_sample_s=0.003, bus_bytes_per_s=1e11, tp_bytes_per_s=bw,
                        latency_s=lat, recompute=recompute)
                    n = (6 if recompute == trainest.Recompute.FULL else 4) * layers
                    bytes_ = 2 * seq * hidden * 2
                    per_mb = n * (2.0 * (tp - 1) / tp * bytes_ / bw + 2.0 * (tp - 1) * lat) if tp > 1 else 0
                    self.assertTrue(close(e.stage_s, (0.01 + 0.003 * 2) / tp + per_mb))
                    self.assertEqual(e.tp_comm_s > 0, tp > 1)
                    self.assertTrue(close(math.fsum(e.breakdown().values()), e.total_s))
        with self.assertRaises(trainest.UnderspecifiedError) as cm:
            trainest.estimate(samples=1000, global_batch=64, devices=64, tensor_parallel=2, layers=32,
                              per_sample_s=0.003, bus_bytes_per_s=1e11)
        self.assertEqual(cm.exception.field, "hidden")

    def test_comm_activation_bytes_per_sample_stands_in_for_seq_times_hidden(self):
        # 0.6: one layer's activations of one sample, in bytes, given directly
        seq, hidden = 2048, 8192
        base = dict(samples=100000, global_batch=64, micro_batch=2, devices=64, tensor_parallel=2, layers=32,
                    fixed_s=0.01, per_sample_s=0.003, bus_bytes_per_s=1e11, tp_bytes_per_s=2e11, latency_s=5e-6)
        want = trainest.estimate(**base, hidden=hidden, seq_len_tokens=seq)  # 2 bytes per element by default
        got = trainest.estimate(**base, comm_activation_bytes_per_sample=seq * hidden * 2)
        self.assertGreater(want.tp_comm_s, 0)
        self.assertTrue(close(got.tp_comm_s, want.tp_comm_s), (got.tp_comm_s, want.tp_comm_s))
        self.assertTrue(close(got.total_s, want.total_s))
        self.assertEqual(trainest.TimeModel().comm_activation_bytes_per_sample, 0)  # 0 = from the plan
        self.assertEqual(errors.field_name(trainest.Field.COMM_ACTIVATION_BYTES_PER_SAMPLE),
                         "comm_activation_bytes_per_sample")
        with self.assertRaises(trainest.UnderspecifiedError) as cm:  # TP still counts its all-reduces per layer
            trainest.estimate(**dict(base, layers=0), comm_activation_bytes_per_sample=seq * hidden * 2)
        self.assertEqual(cm.exception.field, "layers")

    def test_memory_for_plan_boundary(self):
        model = trainest.MemoryModel(static_bytes=1000, activation_bytes_per_sample=64, device_memory_bytes=2000)
        request = trainest.PlanRequest(samples=100000, micro_batch=1, grad_accum_steps=4, devices=8,
                                       tensor_parallel=2, pipeline_parallel=4)
        # 4 micro-batches in flight, each m * 64 / (TP * PP) bytes: 1000 + 32 m <= 2000
        m = trainest.memory_for_plan(model, request)
        self.assertEqual((m.max_micro_batch, m.micro_batches_in_flight, m.activation_bytes_per_micro_batch),
                         (31, 4, 8))
        fits = trainest.memory_for_plan(model, request, micro_batch=31)
        self.assertEqual((fits.fits, fits.total_bytes), (True, 1000 + 4 * 31 * 8))
        self.assertIs(trainest.memory_for_plan(model, request, micro_batch=32).fits, False)
        with self.assertRaises(trainest.BadLayoutError):
            trainest.memory_for_plan(model, request, devices=12)

    def test_memory_for_plan_splits_states_by_tp_pp_then_zero(self):
        request = trainest.PlanRequest(samples=1000000, global_batch=1536, micro_batch=1, devices=1024,
                                       tensor_parallel=8, pipeline_parallel=16)  # DP 8, 192 micro-batches
        model = trainest.MemoryModel(params=175 * 10**9, zero_stage=1, activation_bytes_per_sample=10**6)
        m = trainest.memory_for_plan(model, request)
        shard = (175 * 10**9 + 127) // 128
        self.assertEqual((m.weights_bytes, m.grads_bytes), (2 * shard, 2 * shard))
        self.assertEqual(m.optimizer_bytes, (shard + 7) // 8 * 12)
        self.assertEqual(m.micro_batches_in_flight, 16)  # the first stage under 1F1B
        self.assertEqual(m.activation_bytes_per_micro_batch, (10**6 + 127) // 128)
        self.assertEqual(m.activation_bytes, (16 * 10**6 + 127) // 128)
        interleaved = trainest.memory_for_plan(model, request, virtual_stages=2)
        self.assertTrue(close(interleaved.micro_batches_in_flight, 16 * (1 + 15 / 32)))

    def test_memory_for_plan_activations_from_the_model_shape(self):
        request = trainest.PlanRequest(samples=100000, global_batch=64, micro_batch=2, seq_len_tokens=2048,
                                       hidden=12288, attention_heads=96, layers=96, devices=64,
                                       tensor_parallel=8, pipeline_parallel=8)  # DP 1, 32 micro-batches
        s, b, h, a, t, layers = 2048, 2, 12288, 96, 8, 12  # 12 layers per stage
        # Korthikanti et al. 2022, with sequence parallelism
        want = {trainest.Recompute.NONE: s * b * h * (34 + 5 * a * s / h) / t * layers,
                trainest.Recompute.SELECTIVE: 34 * s * b * h / t * layers,
                trainest.Recompute.FULL: 2 * s * b * h / t * layers}
        for recompute, per_mb in want.items():
            with self.subTest(recompute=recompute.name):
                m = trainest.memory_for_plan(trainest.MemoryModel(params=1000, recompute=recompute.name.lower()),
                                             request)
                self.assertTrue(close(m.activation_bytes_per_micro_batch, per_mb))
                self.assertTrue(close(m.activation_bytes, 8 * per_mb))
        with self.assertRaises(trainest.UnderspecifiedError) as cm:
            trainest.memory_for_plan(trainest.MemoryModel(params=1000), request, attention_heads=0)
        self.assertEqual(cm.exception.field, "attention_heads")
        with self.assertRaises(trainest.UnknownEnumError) as cm:
            trainest.memory_for_plan(trainest.MemoryModel(params=1000, recompute=7), request)
        self.assertEqual(cm.exception.field, "memory.recompute")

    def test_search_over_layouts(self):
        request = trainest.PlanRequest(samples=4096, seq_len_tokens=256, hidden=512, attention_heads=8, layers=8)
        time_model = trainest.TimeModel(fixed_s=0.002, per_sample_s=0.001, floor_s=0.003, optimizer_s=0.004,
                                        grad_bytes=10**8, latency_s=1e-5, bus_bytes_per_s=1e11)
        memory_model = trainest.MemoryModel(params=5 * 10**7, zero_stage=1, device_memory_bytes=2 * 10**9)
        result = trainest.search(request, time_model, memory_model, global_batch_min=16, global_batch_max=64,
                                 global_batch_step=16, max_devices=16, max_tensor_parallel=4,
                                 max_pipeline_parallel=4, devices_per_node=2, top=20)
        self.assertEqual(len(result.plans), 20)
        self.assertEqual([p.total_s for p in result.plans], sorted(p.total_s for p in result.plans))
        self.assertTrue(any(p.tensor_parallel > 1 or p.pipeline_parallel > 1 for p in result.plans))
        for p in result.plans:
            self.assertIn(p.tensor_parallel, (1, 2))  # within devices_per_node
            self.assertIn(p.pipeline_parallel, (1, 2, 4))
            self.assertLessEqual(p.data_parallel * p.tensor_parallel * p.pipeline_parallel, 16)
            one = dataclasses.replace(request, global_batch=p.global_batch, micro_batch=p.micro_batch,
                                      data_parallel=p.data_parallel, tensor_parallel=p.tensor_parallel,
                                      pipeline_parallel=p.pipeline_parallel)
            self.assertEqual(trainest.estimate(one, time_model).total_s, p.total_s)
            self.assertEqual(trainest.memory_for_plan(memory_model, one).total_bytes, p.memory_bytes)
        data_only = trainest.search(request, time_model, memory_model, global_batch_min=16, global_batch_max=64,
                                    global_batch_step=16, max_devices=16, top=20)
        self.assertTrue(all(p.tensor_parallel == p.pipeline_parallel == 1 for p in data_only.plans))
        self.assertLess(data_only.candidates_evaluated, result.candidates_evaluated)

    def test_request_defaults_come_from_the_c_init_functions(self):
        def c_default(init, ctype):
            struct = ctype()
            self.assertEqual(init(ctypes.byref(struct), ctypes.sizeof(ctype)), 0)
            return struct

        for fn, init, ctype, names in (
                (trainest.search, _lib.lib.trainest_search_request_init, _lib.trainest_search_request,
                 ("global_batch_min", "global_batch_max", "global_batch_step", "max_devices",
                  "max_tensor_parallel", "max_pipeline_parallel", "devices_per_node")),
                (trainest.critical, _lib.lib.trainest_critical_request_init, _lib.trainest_critical_request,
                 ("min_steps", "min_samples", "max_global_batch"))):
            with self.subTest(function=fn.__name__):
                want = c_default(init, ctype)
                params = inspect.signature(fn).parameters
                self.assertEqual({n: params[n].default for n in names}, {n: getattr(want, n) for n in names})
        self.assertEqual(inspect.signature(trainest.search).parameters["max_devices"].default, 1)
        self.assertEqual(bytes(c_default(_lib.lib.trainest_rampup_request_init, _lib.trainest_rampup_request))[4:],
                         bytes(ctypes.sizeof(_lib.trainest_rampup_request) - 4))
        self.assertIs(trainest.MemoryModel().recompute, trainest.Recompute.NONE)
        self.assertEqual((trainest.PlanRequest().tensor_parallel, trainest.PlanRequest().devices), (0, 0))

    def test_an_older_library_is_refused(self):
        class Fn:
            def __init__(self, value):
                self.value = value

            def __call__(self):
                return self.value

        class OldLibrary:
            trainest_version = Fn(600)
            trainest_version_string = Fn(b"0.6.0")

        self.assertEqual(_lib.MIN_MINOR, 7)
        with unittest.mock.patch.object(_lib, "lib", OldLibrary()):
            with self.assertRaises(ImportError) as cm:
                _lib._check_version()
        self.assertIn("is version 0.6.0; this package needs 0.7", str(cm.exception))
        with unittest.mock.patch.object(_lib, "lib", type("NewLibrary", (), {
                "trainest_version": Fn(907), "trainest_version_string": Fn(b"0.9.7")})()):
            _lib._check_version()  # a later 0.x only appends


class TestRunLevel(unittest.TestCase):
    def test_failures_daly_interval(self):
        # Daly (2006): Ts = 500 h, R = 10 min, delta = 5 min, M = 24 h -> 117 min (docs/run-level.md)
        f = trainest.failures(work_s=500 * 3600, devices=1, mtbf_hours_per_device=24,
                              checkpoint_write_s=300, restart_s=600)
        self.assertAlmostEqual(f.checkpoint_interval_s / 60, 116.7, delta=0.05)
        self.assertEqual(f.job_mtbf_s, 24 * 3600)
        self.assertLess(f.p50_total_s, f.p90_total_s)
        self.assertAlmostEqual(f.effective_time_ratio, 500 * 3600 / f.expected_total_s)
        young = trainest.failures(work_s=500 * 3600, devices=1, mtbf_hours_per_device=24,
                                  checkpoint_write_s=300, interval_rule="young")
        self.assertAlmostEqual(young.checkpoint_interval_s, math.sqrt(2 * 300 * 24 * 3600), delta=1e-6)

    def test_rampup(self):
        request = trainest.PlanRequest(samples=100000, global_batch=64, micro_batch=4,
                                       preset=trainest.Preset.MEGATRON)
        r = trainest.rampup(request, start_global_batch=16, increment=16, ramp_samples=20000)
        self.assertEqual(r.increments, 3)
        self.assertEqual(r.total_steps, r.rampup_steps + r.steps_after)
        self.assertEqual(r.total_s, 0)
        timed = trainest.rampup(request, 16, 16, 20000, time_model=trainest.TimeModel(per_sample_s=0.001))
        self.assertGreater(timed.total_s, timed.rampup_s)
        with self.assertRaises(trainest.NotDivisibleError) as cm:
            trainest.rampup(request, start_global_batch=16, increment=15, ramp_samples=20000)
        self.assertEqual(cm.exception.field, "rampup.increment")

    def test_critical(self):
        c = trainest.critical(trainest.PlanRequest(samples=100000, global_batch=64, micro_batch=8),
                              trainest.TimeModel(fixed_s=0.01, per_sample_s=0.001, optimizer_s=0.02),
                              noise_scale=256, min_steps=1000)
        self.assertEqual(c.critical_batch, 256)
        self.assertEqual(c.steps_to_target, 1000 * (1 + 256 / 64))
        self.assertLessEqual(c.best_time_to_target_s, c.time_to_target_s)
        with self.assertRaises(trainest.InconsistentError):
            trainest.critical(trainest.PlanRequest(samples=1000, global_batch=64),
                              trainest.TimeModel(per_sample_s=0.01), noise_scale=10, min_steps=1,
                              min_samples=10)

    def test_eta_after_constant_steps(self):
        eta = trainest.EtaTracker(total_steps=100)
        for _ in range(40):
            eta.update(0.5, samples=10)
        r = eta.report(now_unix_s=1000.0)
        self.assertEqual((r.steps_done, r.steps_remaining, r.samples_done, r.outliers), (40, 60, 400, 0))
        self.assertEqual((r.progress_ratio, r.elapsed_s, r.step_s, r.step_sd_s), (0.4, 20.0, 0.5, 0.0))
        self.assertEqual(r.samples_per_s, 20.0)
        self.assertEqual((r.remaining_p10_s, r.remaining_p50_s, r.remaining_p90_s), (30.0, 30.0, 30.0))
        self.assertEqual(r.finish_p50_unix_s, 1030.0)
        before = time.time()
        now = eta.report()
        self.assertTrue(before + 30 <= now.finish_p50_unix_s <= time.time() + 30)

    def test_eta_outliers_copy_and_config(self):
        eta = trainest.EtaTracker(total_steps=1000, steps_done=100, warmup_steps=2, prior_step_s=0.4)
        self.assertEqual(eta.report(0).step_s, 0.4)  # the prior, before any step
        for i in range(50):
            eta.update(10.0 if i == 30 else 0.5)  # one checkpoint spike
        r = eta.report(0)
        self.assertEqual((r.steps_done, r.outliers), (150, 1))
        self.assertAlmostEqual(r.step_s, 0.5)
        self.assertAlmostEqual(r.elapsed_s, 49 * 0.5 + 10)
        twin = eta.copy()
        twin.update(0.5)
        self.assertEqual(eta.report(0).steps_done, 150)
        self.assertEqual(twin.report(0).steps_done, 151)
        again = trainest.EtaTracker.from_config(eta.config)
        self.assertEqual(again.report(0).steps_done, 100)
        with self.assertRaises(trainest.OutOfRangeError):
            eta.update(-1)
        self.assertEqual(eta.report(0).steps_done, 150)  # unchanged on failure


def ramp_trace(total, a, b):
    """tests/test_eta.c's ramp-up: the batch grows from 64 by 64 every 2000
    samples to 512, the last step partial; each step takes a + b x batch."""
    batch, step_s, done = [], [], 0
    while done < total:
        g = min(64 + 64 * (done // 2000), 512, total - done)
        batch.append(g)
        step_s.append(a + b * g)
        done += g
    return batch, step_s


class TestEtaSamples(unittest.TestCase):
    """EtaTracker.set_samples (trainest_eta_set_samples, 0.6.0)."""

    def test_remaining_time_follows_a_ramp(self):
        total = 200_000
        batch, step_s = ramp_trace(total, 0.01, 0.0005)
        n = len(batch)
        with_samples, without = trainest.EtaTracker(total_steps=n), trainest.EtaTracker(total_steps=n)
        self.assertIsNone(with_samples.set_samples(total))
        for fed in range(100):
            with_samples.update(step_s[fed], samples=batch[fed])
            without.update(step_s[fed], samples=batch[fed])
        truth = sum(step_s[100:])
        r, r0 = with_samples.report(0), without.report(0)
        self.assertEqual(r.outliers, 0)  # the growing batch is no pause (without: outliers)
        self.assertEqual((r.steps_remaining, r.samples_done), (r0.steps_remaining, sum(batch[:100])))
        self.assertGreater(r.remaining_s, r0.remaining_s)
        self.assertAlmostEqual(r.remaining_s, truth, delta=1e-9 * truth)  # a and b exactly
        self.assertLess(r0.remaining_s, 0.7 * truth)  # the mean step so far says far too little
        twin = with_samples.copy()  # the copy keeps the samples model
        self.assertEqual(twin.report(0).remaining_s, r.remaining_s)
        # a step without its samples: back to remaining steps x the mean step
        with_samples.update(step_s[100], samples=0)
        r = with_samples.report(0)
        self.assertAlmostEqual(r.remaining_s, r.steps_remaining * r.step_s, delta=1e-12 * r.remaining_s)

    def test_resuming_counts_the_samples_done(self):
        total = 200_000
        batch, step_s = ramp_trace(total, 0.01, 0.0005)
        eta = trainest.EtaTracker(total_steps=len(batch), steps_done=50)
        eta.set_samples(total, samples_done=sum(batch[:50]))
        for i in range(50, 200):
            eta.update(step_s[i], samples=batch[i])
        truth = sum(step_s[200:])
        self.assertAlmostEqual(eta.report(0).remaining_s, truth, delta=1e-9 * truth)

    def test_errors(self):
        eta = trainest.EtaTracker(total_steps=100)
        before = bytes(eta.state)
        with self.assertRaises(trainest.ZeroError) as cm:
            eta.set_samples(0)
        self.assertEqual((cm.exception.name, cm.exception.field), ("TRAINEST_E_ZERO", "eta.total_samples"))
        self.assertEqual(cm.exception.field_id, trainest.Field.ETA_TOTAL_SAMPLES)
        with self.assertRaises(trainest.InconsistentError) as cm:
            eta.set_samples(10, samples_done=11)
        self.assertEqual((cm.exception.name, cm.exception.field),
                         ("TRAINEST_E_INCONSISTENT", "eta.samples_done"))
        self.assertEqual(bytes(eta.state), before)  # unchanged on failure
        with self.assertRaises(ValueError):
            eta.set_samples(-1)
        with self.assertRaises(TypeError):
            eta.set_samples(1000.0)
        self.assertEqual(bytes(eta.state), before)
        eta.set_samples(10, samples_done=10)  # every sample done is fine
        # not an initialised tracker
        blank = trainest.EtaTracker.__new__(trainest.EtaTracker)
        blank._state = _lib.new(_lib.trainest_eta)
        with self.assertRaises(trainest.UnsupportedError) as cm:
            blank.set_samples(10)
        self.assertEqual(cm.exception.field, "eta_state")
        # a tracker of the 0.5 size has no room for the samples
        old = _lib.trainest_eta()
        config = trainest.EtaConfig(total_steps=100).to_c()
        self.assertEqual(_lib.lib.trainest_eta_init(ctypes.byref(old), 312, ctypes.byref(config)), 0)
        self.assertEqual(_lib.lib.trainest_eta_set_samples(ctypes.byref(old), 10, 0), trainest.Status.E_STRUCT_SIZE)
        self.assertEqual(bytes(old)[312:], bytes(368 - 312))  # nothing written past 312 bytes


class TestLoader(unittest.TestCase):
    """The lookup order, in fresh interpreters."""

    def run_python(self, env, code="import trainest; print(trainest.library_path)"):
        return subprocess.run([sys.executable, "-c", code], cwd=PKG_ROOT, env=env, capture_output=True,
                              text=True, timeout=60, check=False)

    def base_env(self):
        env = {k: v for k, v in os.environ.items()
               if k not in ("TRAINEST_LIBRARY", "PKG_CONFIG_PATH", "PKG_CONFIG", "LD_LIBRARY_PATH")}
        return env

    def test_trainest_library_must_load(self):
        env = dict(self.base_env(), TRAINEST_LIBRARY="/nonexistent/libtrainest.so.0")
        res = self.run_python(env)
        self.assertNotEqual(res.returncode, 0)
        self.assertIn("ImportError", res.stderr)
        self.assertIn("/nonexistent/libtrainest.so.0", res.stderr)

    def test_pkg_config_libdir(self):
        libdir = os.path.dirname(os.path.realpath(trainest.library_path))
        pcdir = os.path.join(libdir, "pkgconfig")
        if not os.path.isfile(os.path.join(pcdir, "trainest.pc")):
            self.skipTest("the library under test has no trainest.pc beside it (%s)" % pcdir)
        res = self.run_python(dict(self.base_env(), PKG_CONFIG_PATH=pcdir))
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(res.stdout.strip(), os.path.join(libdir, "libtrainest.so.0"))

    def test_import_error_lists_what_was_tried(self):
        env = dict(self.base_env(), PKG_CONFIG="/nonexistent-pkg-config")
        found = ctypes.util.find_library("trainest")
        if found:
            self.skipTest("libtrainest is on the system search path (%s)" % found)
        res = self.run_python(env)
        self.assertNotEqual(res.returncode, 0)
        for text in ("ImportError", "TRAINEST_LIBRARY", "pkg-config", "find_library", "libtrainest.so.0"):
            self.assertIn(text, res.stderr)


class TestExamples(unittest.TestCase):
    """The README's snippets, run as CI runs them."""

    def run_example(self, name):
        res = subprocess.run([sys.executable, os.path.join(PKG_ROOT, name)], cwd=PKG_ROOT,
                             capture_output=True, text=True, timeout=120, check=False)
        self.assertEqual(res.returncode, 0, res.stderr)
        return res.stdout.splitlines()

    def test_plan_example(self):
        out = self.run_example("plan_example.py")
        self.assertEqual(out[0], "micro-batch 5, 100 optimizer steps, 200 micro-steps")
        self.assertEqual(out[1], "TRAINEST_E_NOT_DIVISIBLE (field global_batch); nearest valid plans:")
        self.assertEqual(out[2].split(), "global 9 = micro 3 x accum 3 (distance 0.10)".split())
        self.assertEqual(len(out), 5)

    def test_parallel_example(self):
        out = self.run_example("parallel_example.py")
        self.assertEqual(out[0], "TRAINEST_E_BAD_LAYOUT (field devices); nearest layouts:")
        self.assertEqual(out[1].split(), "1024 GPUs = DP 8 x TP 8 x PP 16 (distance 0.024)".split())
        self.assertTrue(out[3].startswith("1024 GPUs, 192 micro-batches per step: bubble 7.8%,"), out[3])
        self.assertTrue(out[4].startswith("memory per GPU "), out[4])
        self.assertEqual(len(out), 5)

    def test_eta_example(self):
        out = self.run_example("eta_example.py")
        self.assertTrue(out[0].startswith("300 steps of 128 samples"), out[0])
        self.assertEqual(len(out), 1 + 300 // 25)
        self.assertIn("step  300/300  100.0%", out[-1])
        self.assertIn("remaining 0:00:00", out[-1])
        self.assertTrue(out[-1].endswith("outliers 3"), out[-1])

    def test_loader_example(self):
        out = self.run_example("loader_example.py")
        self.assertEqual(out[0], "one worker starts 137.9 ms after the previous one and reads 790 samples/s")
        for line in out[1:3]:  # the fit from loader-only epochs predicts training epochs within 5 %
            predicted, measured = (float(x) for x in re.findall(r"(\d+\.\d+) s", line))
            self.assertLess(abs(predicted / measured - 1), 0.05, line)
        self.assertEqual(out[3], "num_workers=1   ten epochs  53.5 s, with persistent_workers=True  52.3 s")
        self.assertEqual(len(out), 3 + 6)


if __name__ == "__main__":
    unittest.main()
