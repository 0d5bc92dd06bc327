# SPDX-License-Identifier: MIT
"""Low-level layer: find and load libtrainest, mirror its structs, declare
its functions.

Everything here follows include/trainest.h one to one: the Structure
classes carry the C typedef names and exactly the header's field names and
types, and every exported function (lib/trainest.map) has its argtypes and
restype set. The Pythonic layer is in api.py; use this module only to reach
the C API directly.
"""

import ctypes
import ctypes.util
import os
import subprocess
import sys

#: The ABI major version this package mirrors (the SONAME's number).
EXPECTED_MAJOR = 0
#: The minor release whose structs and functions are mirrored here (0.7:
#: loader workers). An older library lacks fields and functions this
#: package uses, so it is refused; a newer 0.x only appends and is accepted.
MIN_MINOR = 7

if sys.platform == "darwin":
    _SONAMES = ("libtrainest.0.dylib",)
elif sys.platform == "win32":
    _SONAMES = ("trainest.dll", "libtrainest.dll")
else:
    _SONAMES = ("libtrainest.so.0",)


def _pkg_config_libdir():
    """libdir from ``pkg-config --variable=libdir trainest``, or an error text."""
    prog = os.environ.get("PKG_CONFIG", "pkg-config")
    try:
        res = subprocess.run([prog, "--print-errors", "--variable=libdir", "trainest"], capture_output=True,
                             text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        return None, "%s: %s" % (prog, exc)
    libdir = res.stdout.strip()
    if res.returncode != 0 or not libdir:
        msg = res.stderr.strip().splitlines()
        return None, "%s --variable=libdir trainest: exit %d%s" % (
            prog, res.returncode, (": " + msg[0]) if msg else "")
    return libdir, None


def load_library():
    """Find and load libtrainest; return (CDLL, path it was loaded from).

    Order: $TRAINEST_LIBRARY (a path; if set, it must work), then the libdir
    pkg-config reports, then ctypes.util.find_library("trainest"), then the
    system loader with the SONAME. Raises ImportError listing every attempt.
    """
    tried = []
    env = os.environ.get("TRAINEST_LIBRARY")
    if env:
        try:
            return ctypes.CDLL(env), env
        except OSError as exc:
            raise ImportError("trainest: TRAINEST_LIBRARY=%s cannot be loaded: %s" % (env, exc)) from None
    tried.append("TRAINEST_LIBRARY: not set")

    libdir, err = _pkg_config_libdir()
    if libdir:
        for soname in _SONAMES:
            path = os.path.join(libdir, soname)
            try:
                return ctypes.CDLL(path), path
            except OSError as exc:
                tried.append("pkg-config libdir: %s: %s" % (path, exc))
    else:
        tried.append("pkg-config: " + err)

    found = ctypes.util.find_library("trainest")
    if found:
        try:
            return ctypes.CDLL(found), found
        except OSError as exc:
            tried.append("find_library: %s: %s" % (found, exc))
    else:
        tried.append('ctypes.util.find_library("trainest"): nothing found')

    for soname in _SONAMES:
        try:
            return ctypes.CDLL(soname), soname
        except OSError as exc:
            tried.append("system loader: %s: %s" % (soname, exc))

    raise ImportError(
        "trainest: cannot find libtrainest. Set TRAINEST_LIBRARY to the library's path, or "
        "PKG_CONFIG_PATH to the directory holding trainest.pc. Tried:\n  " + "\n  ".join(tried))


lib, library_path = load_library()


# --------------------------------------------------------------------------
# Struct mirrors: the header's typedefs, field for field.
# --------------------------------------------------------------------------

class trainest_plan_request(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("preset", ctypes.c_uint32),
        ("samples", ctypes.c_uint64),
        ("global_batch", ctypes.c_uint64),
        ("micro_batch", ctypes.c_uint64),
        ("grad_accum_steps", ctypes.c_uint64),
        ("data_parallel", ctypes.c_uint64),
        ("max_micro_batch", ctypes.c_uint64),
        ("epochs", ctypes.c_uint64),
        ("seq_len_tokens", ctypes.c_uint64),
        ("divisibility", ctypes.c_uint32),
        ("sampler", ctypes.c_uint32),
        ("last_micro_batch", ctypes.c_uint32),
        ("accum_tail", ctypes.c_uint32),
        ("tensor_parallel", ctypes.c_uint64),
        ("pipeline_parallel", ctypes.c_uint64),
        ("virtual_stages", ctypes.c_uint64),
        ("devices", ctypes.c_uint64),
        ("layers", ctypes.c_uint64),
        ("hidden", ctypes.c_uint64),
        ("attention_heads", ctypes.c_uint64),
        ("vocab", ctypes.c_uint64),
    ]


class trainest_plan(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("invalid_field", ctypes.c_uint32),
        ("preset", ctypes.c_uint32),
        ("divisibility", ctypes.c_uint32),
        ("sampler", ctypes.c_uint32),
        ("last_micro_batch", ctypes.c_uint32),
        ("accum_tail", ctypes.c_uint32),
        ("reserved0", ctypes.c_uint32),
        ("requested_global_batch", ctypes.c_uint64),
        ("global_batch", ctypes.c_uint64),
        ("micro_batch", ctypes.c_uint64),
        ("grad_accum_steps", ctypes.c_uint64),
        ("data_parallel", ctypes.c_uint64),
        ("samples", ctypes.c_uint64),
        ("epochs", ctypes.c_uint64),
        ("seq_len_tokens", ctypes.c_uint64),
        ("samples_per_rank", ctypes.c_uint64),
        ("micro_steps_per_epoch", ctypes.c_uint64),
        ("optimizer_steps_per_epoch", ctypes.c_uint64),
        ("samples_per_epoch", ctypes.c_uint64),
        ("samples_dropped_per_epoch", ctypes.c_uint64),
        ("samples_padded_per_epoch", ctypes.c_uint64),
        ("last_step_samples", ctypes.c_uint64),
        ("last_step_micro_batches", ctypes.c_uint64),
        ("last_micro_batch_samples", ctypes.c_uint64),
        ("total_optimizer_steps", ctypes.c_uint64),
        ("total_micro_steps", ctypes.c_uint64),
        ("total_samples", ctypes.c_uint64),
        ("tokens_per_step", ctypes.c_uint64),
        ("total_tokens", ctypes.c_uint64),
        ("tensor_parallel", ctypes.c_uint64),
        ("pipeline_parallel", ctypes.c_uint64),
        ("virtual_stages", ctypes.c_uint64),
        ("devices", ctypes.c_uint64),
        ("micro_batches_per_step", ctypes.c_uint64),
    ]


class trainest_plan_suggestion(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("changed", ctypes.c_uint32),
        ("distance_ratio", ctypes.c_double),
        ("global_batch", ctypes.c_uint64),
        ("micro_batch", ctypes.c_uint64),
        ("grad_accum_steps", ctypes.c_uint64),
        ("data_parallel", ctypes.c_uint64),
    ]


class trainest_estimate_request(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("step_source", ctypes.c_uint32),
        ("floor_s", ctypes.c_double),
        ("fixed_s", ctypes.c_double),
        ("per_sample_s", ctypes.c_double),
        ("launch_lag_s", ctypes.c_double),
        ("optimizer_s", ctypes.c_double),
        ("params", ctypes.c_uint64),
        ("tokens_per_sample", ctypes.c_uint64),
        ("flops_per_sample", ctypes.c_double),
        ("peak_flops_per_s", ctypes.c_double),
        ("efficiency_ratio", ctypes.c_double),
        ("observed_step_s", ctypes.c_double),
        ("observed_micro_batch", ctypes.c_uint64),
        ("observed_grad_accum_steps", ctypes.c_uint64),
        ("recompute", ctypes.c_uint32),
        ("data_mode", ctypes.c_uint32),
        ("data_samples_per_s", ctypes.c_double),
        ("data_samples_per_s_per_worker", ctypes.c_double),
        ("data_workers", ctypes.c_uint64),
        ("h2d_bytes_per_sample", ctypes.c_uint64),
        ("h2d_bytes_per_s", ctypes.c_double),
        ("grad_bytes", ctypes.c_uint64),
        ("bus_bytes_per_s", ctypes.c_double),
        ("latency_s", ctypes.c_double),
        ("devices_per_node", ctypes.c_uint64),
        ("inter_node_bytes_per_s", ctypes.c_double),
        ("comm_overlap_ratio", ctypes.c_double),
        ("eval_s_per_epoch", ctypes.c_double),
        ("checkpoint_s", ctypes.c_double),
        ("checkpoints_per_epoch", ctypes.c_uint64),
        ("startup_s", ctypes.c_double),
        ("activation_bytes_per_element", ctypes.c_uint64),
        ("tp_bytes_per_s", ctypes.c_double),
        ("p2p_bytes_per_s", ctypes.c_double),
        ("comm_activation_bytes_per_sample", ctypes.c_uint64),  # 0.6
        ("data_worker_startup_s", ctypes.c_double),  # 0.7
        ("data_persistent_workers", ctypes.c_uint32),
        ("reserved1", ctypes.c_uint32),
    ]


class trainest_estimate(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("invalid_field", ctypes.c_uint32),
        ("micro_batch_s", ctypes.c_double),
        ("step_s", ctypes.c_double),
        ("step_compute_s", ctypes.c_double),
        ("step_transfer_s", ctypes.c_double),
        ("step_comm_s", ctypes.c_double),
        ("step_data_stall_s", ctypes.c_double),
        ("epoch_s", ctypes.c_double),
        ("total_s", ctypes.c_double),
        ("compute_s", ctypes.c_double),
        ("optimizer_s", ctypes.c_double),
        ("transfer_s", ctypes.c_double),
        ("data_stall_s", ctypes.c_double),
        ("comm_s", ctypes.c_double),
        ("overhead_s", ctypes.c_double),
        ("samples_per_s", ctypes.c_double),
        ("tokens_per_s", ctypes.c_double),
        ("per_sample_s", ctypes.c_double),
        ("flops_per_sample", ctypes.c_double),
        ("total_flops", ctypes.c_double),
        ("achieved_flops_per_s", ctypes.c_double),
        ("efficiency_ratio", ctypes.c_double),
        ("mfu_ratio", ctypes.c_double),
        ("bubble_ratio", ctypes.c_double),
        ("stage_s", ctypes.c_double),
        ("bubble_s", ctypes.c_double),
        ("tp_comm_s", ctypes.c_double),
        ("p2p_s", ctypes.c_double),
    ]


class trainest_step_observation(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("reserved0", ctypes.c_uint32),
        ("micro_batch", ctypes.c_uint64),
        ("grad_accum_steps", ctypes.c_uint64),
        ("step_s", ctypes.c_double),
    ]


class trainest_calibration_request(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),
        ("optimizer_s", ctypes.c_double),
    ]


class trainest_step_fit(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("invalid_field", ctypes.c_uint32),
        ("invalid_index", ctypes.c_uint32),
        ("flags", ctypes.c_uint32),
        ("floor_s", ctypes.c_double),
        ("fixed_s", ctypes.c_double),
        ("per_sample_s", ctypes.c_double),
        ("launch_lag_s", ctypes.c_double),
        ("optimizer_s", ctypes.c_double),
        ("max_residual_ratio", ctypes.c_double),
        ("mean_residual_ratio", ctypes.c_double),
        ("observations", ctypes.c_uint64),
    ]


class trainest_tradeoff_point(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("fits", ctypes.c_uint32),
        ("micro_batch", ctypes.c_uint64),
        ("grad_accum_steps", ctypes.c_uint64),
        ("step_s", ctypes.c_double),
        ("total_s", ctypes.c_double),
    ]


class trainest_tradeoff(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("invalid_field", ctypes.c_uint32),
        ("candidates", ctypes.c_uint64),
        ("recommended_micro_batch", ctypes.c_uint64),
        ("recommended_grad_accum_steps", ctypes.c_uint64),
        ("recommended_total_s", ctypes.c_double),
        ("fastest_micro_batch", ctypes.c_uint64),
        ("fastest_total_s", ctypes.c_double),
    ]


class trainest_memory_request(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("zero_stage", ctypes.c_uint32),
        ("params", ctypes.c_uint64),
        ("weight_bits_per_param", ctypes.c_uint32),
        ("grad_bits_per_param", ctypes.c_uint32),
        ("optimizer_bits_per_param", ctypes.c_uint32),
        ("reserved0", ctypes.c_uint32),
        ("overhead_bytes", ctypes.c_uint64),
        ("static_bytes", ctypes.c_uint64),
        ("activation_bytes_per_sample", ctypes.c_uint64),
        ("device_memory_bytes", ctypes.c_uint64),
        ("headroom_ratio", ctypes.c_double),
        ("recompute", ctypes.c_uint32),
        ("reserved1", ctypes.c_uint32),
    ]


class trainest_memory(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("invalid_field", ctypes.c_uint32),
        ("fits", ctypes.c_uint32),
        ("reserved0", ctypes.c_uint32),
        ("weights_bytes", ctypes.c_uint64),
        ("grads_bytes", ctypes.c_uint64),
        ("optimizer_bytes", ctypes.c_uint64),
        ("static_bytes", ctypes.c_uint64),
        ("activation_bytes", ctypes.c_uint64),
        ("total_bytes", ctypes.c_uint64),
        ("budget_bytes", ctypes.c_uint64),
        ("max_micro_batch", ctypes.c_uint64),
        ("headroom_ratio", ctypes.c_double),
        ("activation_bytes_per_micro_batch", ctypes.c_uint64),
        ("micro_batches_in_flight", ctypes.c_double),
    ]


class trainest_memory_point(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("reserved0", ctypes.c_uint32),
        ("micro_batch", ctypes.c_uint64),
        ("peak_bytes", ctypes.c_uint64),
    ]


class trainest_memory_fit(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("invalid_field", ctypes.c_uint32),
        ("invalid_index", ctypes.c_uint32),
        ("reserved0", ctypes.c_uint32),
        ("static_bytes", ctypes.c_uint64),
        ("per_sample_bytes", ctypes.c_uint64),
        ("max_residual_ratio", ctypes.c_double),
        ("points", ctypes.c_uint64),
    ]


class trainest_search_request(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("reserved0", ctypes.c_uint32),
        ("global_batch_min", ctypes.c_uint64),
        ("global_batch_max", ctypes.c_uint64),
        ("global_batch_step", ctypes.c_uint64),
        ("max_devices", ctypes.c_uint64),
        ("max_tensor_parallel", ctypes.c_uint64),
        ("max_pipeline_parallel", ctypes.c_uint64),
        ("devices_per_node", ctypes.c_uint64),
    ]


class trainest_search_result(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("reserved0", ctypes.c_uint32),
        ("global_batch", ctypes.c_uint64),
        ("micro_batch", ctypes.c_uint64),
        ("grad_accum_steps", ctypes.c_uint64),
        ("data_parallel", ctypes.c_uint64),
        ("total_optimizer_steps", ctypes.c_uint64),
        ("memory_bytes", ctypes.c_uint64),
        ("headroom_ratio", ctypes.c_double),
        ("step_s", ctypes.c_double),
        ("total_s", ctypes.c_double),
        ("tensor_parallel", ctypes.c_uint64),
        ("pipeline_parallel", ctypes.c_uint64),
    ]


class trainest_search(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("invalid_field", ctypes.c_uint32),
        ("candidates_evaluated", ctypes.c_uint64),
        ("feasible", ctypes.c_uint64),
        ("rejected_not_divisible", ctypes.c_uint64),
        ("rejected_does_not_fit", ctypes.c_uint64),
        ("rejected_overflow", ctypes.c_uint64),
        ("rejected_no_steps", ctypes.c_uint64),
        ("duplicates", ctypes.c_uint64),
    ]


class trainest_failure_request(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("interval_rule", ctypes.c_uint32),
        ("work_s", ctypes.c_double),
        ("devices", ctypes.c_uint64),
        ("devices_per_node", ctypes.c_uint64),
        ("mtbf_hours_per_device", ctypes.c_double),
        ("mtbf_hours_per_node", ctypes.c_double),
        ("checkpoint_write_s", ctypes.c_double),
        ("restart_s", ctypes.c_double),
        ("checkpoint_interval_s", ctypes.c_double),
    ]


class trainest_failure(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("invalid_field", ctypes.c_uint32),
        ("job_mtbf_s", ctypes.c_double),
        ("checkpoint_interval_s", ctypes.c_double),
        ("checkpoints", ctypes.c_uint64),
        ("reserved0", ctypes.c_uint64),
        ("expected_interruptions", ctypes.c_double),
        ("checkpoint_s", ctypes.c_double),
        ("expected_lost_work_s", ctypes.c_double),
        ("expected_restart_s", ctypes.c_double),
        ("expected_total_s", ctypes.c_double),
        ("effective_time_ratio", ctypes.c_double),
        ("p50_total_s", ctypes.c_double),
        ("p90_total_s", ctypes.c_double),
    ]


class trainest_rampup_request(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("reserved0", ctypes.c_uint32),
        ("start_global_batch", ctypes.c_uint64),
        ("increment", ctypes.c_uint64),
        ("ramp_samples", ctypes.c_uint64),
    ]


class trainest_rampup(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("invalid_field", ctypes.c_uint32),
        ("increments", ctypes.c_uint64),
        ("rampup_steps", ctypes.c_uint64),
        ("rampup_samples", ctypes.c_uint64),
        ("steps_after", ctypes.c_uint64),
        ("total_steps", ctypes.c_uint64),
        ("total_samples", ctypes.c_uint64),
        ("extra_steps", ctypes.c_uint64),
        ("rampup_s", ctypes.c_double),
        ("total_s", ctypes.c_double),
    ]


class trainest_critical_request(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("reserved0", ctypes.c_uint32),
        ("noise_scale", ctypes.c_double),
        ("min_steps", ctypes.c_double),
        ("min_samples", ctypes.c_double),
        ("max_global_batch", ctypes.c_uint64),
    ]


class trainest_critical(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("invalid_field", ctypes.c_uint32),
        ("critical_batch", ctypes.c_double),
        ("steps_to_target", ctypes.c_double),
        ("samples_to_target", ctypes.c_double),
        ("step_s", ctypes.c_double),
        ("time_to_target_s", ctypes.c_double),
        ("best_global_batch", ctypes.c_uint64),
        ("best_micro_batch", ctypes.c_uint64),
        ("best_grad_accum_steps", ctypes.c_uint64),
        ("best_steps_to_target", ctypes.c_double),
        ("best_time_to_target_s", ctypes.c_double),
        ("best_batch_ratio", ctypes.c_double),
        ("best_step_efficiency_ratio", ctypes.c_double),
        ("best_data_efficiency_ratio", ctypes.c_double),
    ]


class trainest_eta_config(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("reserved0", ctypes.c_uint32),
        ("total_steps", ctypes.c_uint64),
        ("steps_done", ctypes.c_uint64),
        ("warmup_steps", ctypes.c_uint64),
        ("outlier_ratio", ctypes.c_double),
        ("prior_step_s", ctypes.c_double),
        ("steps_per_epoch", ctypes.c_uint64),
        ("overhead_s_per_epoch", ctypes.c_double),
        ("job_mtbf_s", ctypes.c_double),
        ("restart_s", ctypes.c_double),
        ("checkpoint_write_s", ctypes.c_double),
        ("checkpoint_interval_s", ctypes.c_double),
    ]


class trainest_eta(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("magic", ctypes.c_uint32),
        ("config", trainest_eta_config),
        ("steps", ctypes.c_uint64),
        ("samples", ctypes.c_uint64),
        ("inliers", ctypes.c_uint64),
        ("outliers", ctypes.c_uint64),
        ("elapsed_s", ctypes.c_double),
        ("elapsed_carry_s", ctypes.c_double),
        ("mean_s", ctypes.c_double),
        ("m2_s2", ctypes.c_double),
        ("outlier_s", ctypes.c_double),
        ("outlier_carry_s", ctypes.c_double),
        ("marker_s", ctypes.c_double * 5),
        ("marker_pos", ctypes.c_double * 5),
        ("marker_want", ctypes.c_double * 5),
        ("invalid_field", ctypes.c_uint32),  # 0.5
        ("reserved1", ctypes.c_uint32),
        ("total_samples", ctypes.c_uint64),  # 0.6
        ("samples_before", ctypes.c_uint64),
        ("unsized_steps", ctypes.c_uint64),
        ("fit_samples", ctypes.c_double),
        ("reserved2", ctypes.c_double),
        ("fit_var_samples", ctypes.c_double),
        ("fit_cov_s", ctypes.c_double),
    ]


class trainest_eta_report(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("invalid_field", ctypes.c_uint32),
        ("steps_done", ctypes.c_uint64),
        ("steps_remaining", ctypes.c_uint64),
        ("samples_done", ctypes.c_uint64),
        ("outliers", ctypes.c_uint64),
        ("progress_ratio", ctypes.c_double),
        ("elapsed_s", ctypes.c_double),
        ("step_s", ctypes.c_double),
        ("step_sd_s", ctypes.c_double),
        ("samples_per_s", ctypes.c_double),
        ("remaining_s", ctypes.c_double),
        ("remaining_p10_s", ctypes.c_double),
        ("remaining_p50_s", ctypes.c_double),
        ("remaining_p90_s", ctypes.c_double),
        ("finish_p10_unix_s", ctypes.c_double),
        ("finish_p50_unix_s", ctypes.c_double),
        ("finish_p90_unix_s", ctypes.c_double),
    ]


class trainest_layout_suggestion(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("changed", ctypes.c_uint32),
        ("distance_ratio", ctypes.c_double),
        ("devices", ctypes.c_uint64),
        ("data_parallel", ctypes.c_uint64),
        ("tensor_parallel", ctypes.c_uint64),
        ("pipeline_parallel", ctypes.c_uint64),
    ]


class trainest_loader_observation(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("reserved0", ctypes.c_uint32),
        ("workers", ctypes.c_uint64),
        ("batch_size", ctypes.c_uint64),
        ("samples", ctypes.c_uint64),
        ("seconds", ctypes.c_double),
    ]


class trainest_loader_fit(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("invalid_field", ctypes.c_uint32),
        ("invalid_index", ctypes.c_uint32),
        ("reserved0", ctypes.c_uint32),
        ("worker_startup_s", ctypes.c_double),
        ("samples_per_s_per_worker", ctypes.c_double),
        ("max_residual_ratio", ctypes.c_double),
        ("mean_residual_ratio", ctypes.c_double),
        ("observations", ctypes.c_uint64),
    ]


#: C typedef name -> (Structure class, TRAINEST_STRUCT_* id).
STRUCTS = {
    "trainest_plan_request": (trainest_plan_request, 1),
    "trainest_plan": (trainest_plan, 2),
    "trainest_plan_suggestion": (trainest_plan_suggestion, 3),
    "trainest_estimate_request": (trainest_estimate_request, 4),
    "trainest_estimate": (trainest_estimate, 5),
    "trainest_step_observation": (trainest_step_observation, 6),
    "trainest_calibration_request": (trainest_calibration_request, 7),
    "trainest_step_fit": (trainest_step_fit, 8),
    "trainest_tradeoff": (trainest_tradeoff, 9),
    "trainest_tradeoff_point": (trainest_tradeoff_point, 10),
    "trainest_memory_request": (trainest_memory_request, 11),
    "trainest_memory": (trainest_memory, 12),
    "trainest_memory_point": (trainest_memory_point, 13),
    "trainest_memory_fit": (trainest_memory_fit, 14),
    "trainest_search_request": (trainest_search_request, 15),
    "trainest_search": (trainest_search, 16),
    "trainest_search_result": (trainest_search_result, 17),
    "trainest_failure_request": (trainest_failure_request, 18),
    "trainest_failure": (trainest_failure, 19),
    "trainest_rampup_request": (trainest_rampup_request, 20),
    "trainest_rampup": (trainest_rampup, 21),
    "trainest_critical_request": (trainest_critical_request, 22),
    "trainest_critical": (trainest_critical, 23),
    "trainest_eta_config": (trainest_eta_config, 24),
    "trainest_eta": (trainest_eta, 25),
    "trainest_eta_report": (trainest_eta_report, 26),
    "trainest_layout_suggestion": (trainest_layout_suggestion, 27),
    "trainest_loader_observation": (trainest_loader_observation, 28),
    "trainest_loader_fit": (trainest_loader_fit, 29),
}


# --------------------------------------------------------------------------
# Function prototypes: every symbol of lib/trainest.map.
# --------------------------------------------------------------------------

_u32, _u64, _dbl, _int = ctypes.c_uint32, ctypes.c_uint64, ctypes.c_double, ctypes.c_int
_P = ctypes.POINTER

#: name -> (restype, argtypes), in the order of lib/trainest.map.
PROTOTYPES = {
    # TRAINEST_0.1
    "trainest_version": (_u32, []),
    "trainest_version_string": (ctypes.c_char_p, []),
    "trainest_strerror": (ctypes.c_char_p, [_int]),
    "trainest_status_name": (ctypes.c_char_p, [_int]),
    "trainest_field_name": (ctypes.c_char_p, [_u32]),
    "trainest_struct_size": (_u32, [_u32]),
    "trainest_plan_request_init": (_int, [_P(trainest_plan_request), _u32]),
    "trainest_plan_compute": (_int, [_P(trainest_plan), _P(trainest_plan_request)]),
    "trainest_plan_suggest": (_int, [_P(trainest_plan_suggestion), _u32, _P(_u32),
                                     _P(trainest_plan_request)]),
    # TRAINEST_0.2
    "trainest_estimate_request_init": (_int, [_P(trainest_estimate_request), _u32]),
    "trainest_estimate_run": (_int, [_P(trainest_estimate), _P(trainest_plan_request),
                                     _P(trainest_estimate_request)]),
    "trainest_step_calibrate": (_int, [_P(trainest_step_fit), _P(trainest_step_observation), _u32,
                                       _P(trainest_calibration_request)]),
    "trainest_tradeoff_compute": (_int, [_P(trainest_tradeoff), _P(trainest_tradeoff_point), _u32,
                                         _P(_u32), _P(trainest_plan_request),
                                         _P(trainest_estimate_request)]),
    # TRAINEST_0.3
    "trainest_memory_request_init": (_int, [_P(trainest_memory_request), _u32]),
    "trainest_memory_compute": (_int, [_P(trainest_memory), _P(trainest_memory_request), _u64, _u64]),
    "trainest_memory_calibrate": (_int, [_P(trainest_memory_fit), _P(trainest_memory_point), _u32]),
    "trainest_search_run": (_int, [_P(trainest_search), _P(trainest_search_result), _u32, _P(_u32),
                                   _P(trainest_plan_request), _P(trainest_estimate_request),
                                   _P(trainest_memory_request), _P(trainest_search_request)]),
    # TRAINEST_0.4
    "trainest_failure_request_init": (_int, [_P(trainest_failure_request), _u32]),
    "trainest_failure_compute": (_int, [_P(trainest_failure), _P(trainest_failure_request)]),
    "trainest_rampup_compute": (_int, [_P(trainest_rampup), _P(trainest_plan_request),
                                       _P(trainest_rampup_request), _P(trainest_estimate_request)]),
    "trainest_critical_compute": (_int, [_P(trainest_critical), _P(trainest_plan_request),
                                         _P(trainest_estimate_request), _P(trainest_memory_request),
                                         _P(trainest_critical_request)]),
    "trainest_eta_config_init": (_int, [_P(trainest_eta_config), _u32]),
    "trainest_eta_init": (_int, [_P(trainest_eta), _u32, _P(trainest_eta_config)]),
    "trainest_eta_update": (_int, [_P(trainest_eta), _dbl, _u64]),
    "trainest_eta_report_compute": (_int, [_P(trainest_eta_report), _P(trainest_eta), _dbl]),
    # TRAINEST_0.5
    "trainest_layout_suggest": (_int, [_P(trainest_layout_suggestion), _u32, _P(_u32),
                                       _P(trainest_plan_request)]),
    "trainest_memory_for_plan": (_int, [_P(trainest_memory), _P(trainest_memory_request),
                                        _P(trainest_plan_request)]),
    "trainest_search_request_init": (_int, [_P(trainest_search_request), _u32]),
    "trainest_rampup_request_init": (_int, [_P(trainest_rampup_request), _u32]),
    "trainest_critical_request_init": (_int, [_P(trainest_critical_request), _u32]),
    "trainest_calibration_request_init": (_int, [_P(trainest_calibration_request), _u32]),
    # TRAINEST_0.6
    "trainest_eta_set_samples": (_int, [_P(trainest_eta), _u64, _u64]),
    "trainest_step_observation_init": (_int, [_P(trainest_step_observation), _u32]),
    "trainest_memory_point_init": (_int, [_P(trainest_memory_point), _u32]),
    # TRAINEST_0.7
    "trainest_loader_observation_init": (_int, [_P(trainest_loader_observation), _u32]),
    "trainest_loader_calibrate": (_int, [_P(trainest_loader_fit), _P(trainest_loader_observation), _u32]),
}


def _declare(name):
    restype, argtypes = PROTOTYPES[name]
    fn = getattr(lib, name)
    fn.restype = restype
    fn.argtypes = argtypes


def _check_version():
    """Refuse a library of another major version or an older minor one,
    before looking up symbols that such a library would lack."""
    for name in ("trainest_version", "trainest_version_string"):
        _declare(name)
    number = lib.trainest_version()
    major, minor = number // 10000, number // 100 % 100
    if major != EXPECTED_MAJOR or minor < MIN_MINOR:
        raise ImportError(
            "trainest: %s is version %s; this package needs %d.%d or a later %d.x" % (
                library_path, lib.trainest_version_string().decode(), EXPECTED_MAJOR, MIN_MINOR,
                EXPECTED_MAJOR))


def _declare_all():
    missing = []
    for name in PROTOTYPES:
        try:
            _declare(name)
        except AttributeError:
            missing.append(name)
    if missing:
        raise ImportError("trainest: %s lacks %s" % (library_path, ", ".join(missing)))
    # A library of this major may have grown its structs (fields are only
    # appended), never shrunk them below what is mirrored here.
    for name, (cls, sid) in STRUCTS.items():
        size = lib.trainest_struct_size(sid)
        if size < ctypes.sizeof(cls):
            raise ImportError("trainest: %s reports sizeof(%s) = %d, below the mirrored %d" % (
                library_path, name, size, ctypes.sizeof(cls)))


_check_version()
_declare_all()


def new(cls):
    """A zeroed struct with struct_size set to the mirror's size."""
    obj = cls()
    obj.struct_size = ctypes.sizeof(cls)
    return obj


def new_array(cls, count):
    """A zeroed array of at least one element; element 0's struct_size is the stride."""
    arr = (cls * max(count, 1))()
    for item in arr:
        item.struct_size = ctypes.sizeof(cls)
    return arr
