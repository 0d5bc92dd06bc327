/* SPDX-License-Identifier: MIT */
#include "json_check.h"

#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

static const char *ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

/* Four hex digits after "\u"; -1 if malformed. */
static long hex4(const char *p)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        const char c = p[i];
        const int d = c >= '0' && c <= '9'   ? c - '0'
                      : c >= 'a' && c <= 'f' ? c - 'a' + 10
                      : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                             : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* Length of the well-formed UTF-8 sequence at p (non-ASCII lead), or 0.
 * The second byte's range excludes overlongs, surrogates and > U+10FFFF. */
static int utf8_len(const unsigned char *p)
{
    const int n = p[0] >= 0xF0 && p[0] <= 0xF4   ? 4
                  : p[0] >= 0xE0 && p[0] <= 0xEF ? 3
                  : p[0] >= 0xC2 && p[0] <= 0xDF ? 2
                                                 : 0;
    const unsigned char lo = p[0] == 0xE0 ? 0xA0 : p[0] == 0xF0 ? 0x90 : 0x80;
    const unsigned char hi = p[0] == 0xED ? 0x9F : p[0] == 0xF4 ? 0x8F : 0xBF;
    if (n == 0 || p[1] < lo || p[1] > hi)
        return 0;
    for (int i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return n;
}

static const char *skip_string(const char *p)
{
    if (*p++ != '"')
        return NULL;
    for (;;) {
        const unsigned char c = (unsigned char)*p;
        if (c == '"')
            return p + 1;
        if (c < 0x20) /* also the terminating NUL */
            return NULL;
        if (c == '\\') {
            p++;
            if (*p == 'u' && hex4(p + 1) >= 0)
                p += 5;
            else if (*p && strchr("\"\\/bfnrt", *p))
                p++;
            else
                return NULL;
        } else {
            const int n = c < 0x80 ? 1 : utf8_len((const unsigned char *)p);
            if (!n)
                return NULL;
            p += n;
        }
    }
}

static const char *skip_digits(const char *p)
{
    if (*p < '0' || *p > '9')
        return NULL;
    while (*p >= '0' && *p <= '9')
        p++;
    return p;
}

static const char *skip_number(const char *p)
{
    if (*p == '-')
        p++;
    if (*p == '0')
        p++;
    else if (!(p = skip_digits(p)))
        return NULL;
    if (*p == '.' && !(p = skip_digits(p + 1)))
        return NULL;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        p = skip_digits(p);
    }
    return p;
}

static const char *skip_value(const char *p, int depth);

/* An object ('{') or array ('['), after its opening character. */
static const char *skip_container(const char *p, char close, int depth)
{
    p = ws(p);
    if (*p == close)
        return p + 1;
    for (;;) {
        if (close == '}') {
            if (!(p = skip_string(p)))
                return NULL;
            p = ws(p);
            if (*p++ != ':')
                return NULL;
        }
        if (!(p = skip_value(ws(p), depth + 1)))
            return NULL;
        p = ws(p);
        if (*p == close)
            return p + 1;
        if (*p++ != ',')
            return NULL;
        p = ws(p);
    }
}

/* Skip the value at p (no leading whitespace); NULL if malformed. */
static const char *skip_value(const char *p, int depth)
{
    if (depth > MAX_DEPTH)
        return NULL;
    switch (*p) {
    case '{':
        return skip_container(p + 1, '}', depth);
    case '[':
        return skip_container(p + 1, ']', depth);
    case '"':
        return skip_string(p);
    case 't':
        return strncmp(p, "true", 4) == 0 ? p + 4 : NULL;
    case 'f':
        return strncmp(p, "false", 5) == 0 ? p + 5 : NULL;
    case 'n':
        return strncmp(p, "null", 4) == 0 ? p + 4 : NULL;
    default:
        return skip_number(p);
    }
}

bool jc_valid(const char *text)
{
    const char *end = text ? skip_value(ws(text), 0) : NULL;
    return end && *ws(end) == '\0';
}

/* Append code point cp to buf as UTF-8, leaving room for a NUL. */
static bool put_utf8(char *buf, size_t cap, size_t *n, unsigned long cp)
{
    static const unsigned char lead[] = {0, 0x00, 0xC0, 0xE0, 0xF0};
    const size_t len = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (*n + len >= cap)
        return false;
    for (size_t i = len - 1; i > 0; i--, cp >>= 6)
        buf[*n + i] = (char)(0x80 | (cp & 0x3F));
    buf[*n] = (char)(lead[len] | cp);
    *n += len;
    return true;
}

bool jc_string(const char *value, char *buf, size_t cap)
{
    const char *end = value ? skip_string(value) : NULL;
    if (!end || cap == 0)
        return false;
    size_t n = 0;
    for (const char *p = value + 1; p < end - 1;) {
        unsigned long cp;
        if (*p != '\\') {
            if (n + 1 >= cap) /* copy validated UTF-8 through */
                return false;
            buf[n++] = *p++;
            continue;
        } else if (p[1] != 'u') {
            static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
            cp = (unsigned char)to[strchr(from, p[1]) - from];
            p += 2;
        } else {
            cp = (unsigned long)hex4(p + 2);
            p += 6;
            long lo = p[0] == '\\' && p[1] == 'u' ? hex4(p + 2) : -1;
            if (cp >= 0xD800 && cp <= 0xDBFF && lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + ((unsigned long)lo - 0xDC00);
                p += 6;
            }
        }
        if (!put_utf8(buf, cap, &n, cp))
            return false;
    }
    buf[n] = '\0';
    return true;
}

/* The first item of a valid container opened by `open` at value, or NULL
 * if value is not one or is empty. */
static const char *first_item(const char *value, char open)
{
    const char *p = value ? ws(value) : NULL;
    if (!p || *p != open || !skip_value(p, 0))
        return NULL;
    p = ws(p + 1);
    return *p == '}' || *p == ']' ? NULL : p;
}

/* After an item ending at p: the next item, or NULL at the container's end. */
static const char *next_item(const char *p)
{
    p = ws(p);
    return *p == ',' ? ws(p + 1) : NULL;
}

const char *jc_member(const char *obj, const char *key)
{
    for (const char *p = first_item(obj, '{'); p;) {
        char name[256];
        const bool match = jc_string(p, name, sizeof name) && strcmp(name, key) == 0;
        const char *value = ws(ws(skip_string(p)) + 1); /* past the ':' */
        if (match)
            return value;
        p = next_item(skip_value(value, 0));
    }
    return NULL;
}

const char *jc_array_at(const char *value, size_t i)
{
    size_t k = 0;
    for (const char *p = first_item(value, '['); p; p = next_item(skip_value(p, 0)))
        if (k++ == i)
            return p;
    return NULL;
}

long jc_array_len(const char *value)
{
    const char *p = value ? ws(value) : NULL;
    if (!p || *p != '[' || !skip_value(p, 0))
        return -1;
    long n = 0;
    for (p = first_item(p, '['); p; p = next_item(skip_value(p, 0)))
        n++;
    return n;
}

bool jc_u64(const char *value, uint64_t *out)
{
    const char *end = value ? skip_number(value) : NULL;
    if (!end || *value == '-')
        return false;
    uint64_t v = 0;
    for (const char *p = value; p < end; p++) {
        if (*p < '0' || *p > '9')
            return false; /* fraction or exponent */
        const uint64_t d = (uint64_t)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

bool jc_number(const char *value, double *out)
{
    if (!value || !skip_number(value))
        return false;
    *out = strtod(value, NULL);
    return true;
}

bool jc_is_null(const char *value)
{
    return value && strncmp(value, "null", 4) == 0;
}

bool jc_bool(const char *value, bool *out)
{
    if (value && strncmp(value, "true", 4) == 0)
        *out = true;
    else if (value && strncmp(value, "false", 5) == 0)
        *out = false;
    else
        return false;
    return true;
}

bool jc_get_u64(const char *obj, const char *key, uint64_t *out)
{
    return jc_u64(jc_member(obj, key), out);
}

bool jc_get_string(const char *obj, const char *key, char *buf, size_t cap)
{
    return jc_string(jc_member(obj, key), buf, cap);
}

bool jc_get_number(const char *obj, const char *key, double *out)
{
    return jc_number(jc_member(obj, key), out);
}

bool jc_get_bool(const char *obj, const char *key, bool *out)
{
    return jc_bool(jc_member(obj, key), out);
}
