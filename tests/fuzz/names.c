/* SPDX-License-Identifier: MIT */
/* Fuzz target: names and versions for any value (trainest_status_name,
 * trainest_strerror, trainest_field_name, trainest_struct_size,
 * trainest_version, trainest_version_string). See tests/fuzz/README.md.
 *
 * Input: any number of 32-bit values (little endian); each is tried as a
 * status, a field and a struct id. */
#define FZ_TARGET "names"
#define FZ_MAX_LEN 256
#include "fuzz_util.h"

/* A returned name: not NULL, not empty, printable ASCII. */
static int good_text(const char *s)
{
    if (!s || !*s)
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7E)
            return 0;
    return 1;
}

static uint32_t size_of(uint32_t id)
{
    static const uint32_t sizes[] = {
        0,
        sizeof(trainest_plan_request), sizeof(trainest_plan), sizeof(trainest_plan_suggestion),
        sizeof(trainest_estimate_request), sizeof(trainest_estimate), sizeof(trainest_step_observation),
        sizeof(trainest_calibration_request), sizeof(trainest_step_fit), sizeof(trainest_tradeoff),
        sizeof(trainest_tradeoff_point), sizeof(trainest_memory_request), sizeof(trainest_memory),
        sizeof(trainest_memory_point), sizeof(trainest_memory_fit), sizeof(trainest_search_request),
        sizeof(trainest_search), sizeof(trainest_search_result), sizeof(trainest_failure_request),
        sizeof(trainest_failure), sizeof(trainest_rampup_request), sizeof(trainest_rampup),
        sizeof(trainest_critical_request), sizeof(trainest_critical), sizeof(trainest_eta_config),
        sizeof(trainest_eta), sizeof(trainest_eta_report), sizeof(trainest_layout_suggestion),
        sizeof(trainest_loader_observation), sizeof(trainest_loader_fit)};
    return id < sizeof sizes / sizeof sizes[0] ? sizes[id] : 0;
}

static void check_value(uint32_t v)
{
    const int st = (int)v;
    const char *name = trainest_status_name(st), *text = trainest_strerror(st);
    const int known = st <= 0 && st >= TRAINEST_E_BAD_LAYOUT;
    FZ_SCHECK("trainest_status_name", "text", good_text(name), "status %d: bad name", st);
    FZ_SCHECK("trainest_strerror", "text", good_text(text), "status %d: bad text", st);
    if (!FZ_TAINTED()) {
        FZ_SCHECK("trainest_status_name", "known",
                  known ? strncmp(name, "TRAINEST_", 9) == 0 && strcmp(name, "TRAINEST_E_UNKNOWN_STATUS") != 0
                        : strcmp(name, "TRAINEST_E_UNKNOWN_STATUS") == 0,
                  "status %d: name %s", st, name);
        FZ_SCHECK("trainest_status_name", "prefix",
                  !known || (st == 0 ? strcmp(name, "TRAINEST_OK") == 0 : strncmp(name, "TRAINEST_E_", 11) == 0),
                  "status %d: name %s", st, name);
        FZ_SCHECK("trainest_strerror", "known", known == (strcmp(text, "unknown status") != 0), "status %d: text %s",
                  st, text);
        FZ_SCHECK("trainest_strerror", "static", trainest_strerror(st) == text && trainest_status_name(st) == name,
                  "status %d: not the same static string twice", st);
    }
    const char *field = trainest_field_name(v);
    FZ_SCHECK("trainest_field_name", "text", good_text(field), "field %u: bad name", (unsigned)v);
    FZ_SCHECK("trainest_field_name", "known", (v <= TRAINEST_FIELD_LOADER_SECONDS) == (strcmp(field, "unknown") != 0),
              "field %u: name %s", (unsigned)v, field);
    FZ_SCHECK("trainest_struct_size", "sizes", trainest_struct_size(v) == size_of(v),
              "struct id %u: size %u, the header's is %u", (unsigned)v, (unsigned)trainest_struct_size(v),
              (unsigned)size_of(v));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_begin();
    fz_in in = {data, size};
    FZ_SCHECK("trainest_version", "version", trainest_version() == TRAINEST_VERSION_NUMBER,
              "library %u, header %u", (unsigned)trainest_version(), (unsigned)TRAINEST_VERSION_NUMBER);
    FZ_SCHECK("trainest_version_string", "version", strcmp(trainest_version_string(), TRAINEST_VERSION_STRING) == 0,
              "library %s, header %s", trainest_version_string(), TRAINEST_VERSION_STRING);
    do
        check_value(fz_u32(&in));
    while (in.n && !FZ_TAINTED());
    return 0;
}

static void fz_seeds(void)
{
    static const uint32_t values[] = {0, 1, 2, 17, 27, 28, 29, 30, 106, 107, 108, 109, 110, 115, 116, UINT32_MAX,
                                      (uint32_t)-17, (uint32_t)-18, (uint32_t)INT32_MIN, INT32_MAX};
    fz_seed_begin();
    for (unsigned i = 0; i < sizeof values / sizeof values[0]; i++)
        fz_emit_u32(values[i]);
    fz_seed_end("seed-edges");
    fz_seed_begin();
    for (uint32_t v = 0; v < 40; v++)
        fz_emit_u32((uint32_t)-(int32_t)v);
    fz_seed_end("seed-every-status");
    fz_seed_begin();
    for (uint32_t v = 0; v < 110; v++)
        fz_emit_u32(v);
    fz_seed_end("seed-every-field-and-struct");
}
