/*
 * ld.c -- the few floating point conversions that need the C library.
 *
 * Rust has no `long double`, yet INCRBYFLOAT and HINCRBYFLOAT do their
 * arithmetic in the 80-bit x87 format and print it with printf's %Lf / %Lg,
 * and users see the difference (1 + -1.1 is -0.1 there, not
 * -0.10000000000000009).  So the value lives on the Rust side as 16 opaque,
 * suitably aligned bytes and every operation on it happens here.
 *
 * strtod() is here as well: the server must accept exactly the double
 * syntax the C library accepts (hex floats, "infinity", ...), and reading
 * errno is simplest from C.
 *
 * The process never calls setlocale(LC_NUMERIC/LC_CTYPE), so all of this
 * runs in the "C" locale, as in redis-server.
 */

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The Rust side reserves 16 bytes with 16-byte alignment. */
_Static_assert(sizeof(long double) <= 16, "long double larger than 16 bytes");
_Static_assert(_Alignof(long double) <= 16, "long double aligned above 16");

/* Same limit as MAX_LONG_DOUBLE_CHARS in the server: longer input is
 * rejected before it is parsed. */
#define RM_LD_MAX_CHARS (5 * 1024)

/* Shared acceptance rule of string2ld/string2d: the whole input must be the
 * number, it may not start with white space, overflow and underflow to zero
 * are errors, NaN is an error. */
static int rm_reject(const char *buf, const char *end, size_t len, int range_err,
                     int is_huge, int is_zero, int is_nan) {
    if (isspace((unsigned char)buf[0])) return 1;
    if (*end != '\0' || (size_t)(end - buf) != len) return 1;
    if (range_err && (is_huge || is_zero)) return 1;
    return is_nan;
}

int redis_mio_string2ld(const char *s, size_t len, long double *out) {
    char buf[RM_LD_MAX_CHARS];
    char *end;

    if (len == 0 || len >= sizeof(buf)) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    long double v = strtold(buf, &end);
    int range_err = errno == ERANGE;
    if (errno == EINVAL) return 0;
    if (rm_reject(buf, end, len, range_err, isinf(v), fpclassify(v) == FP_ZERO, isnan(v)))
        return 0;
    *out = v;
    return 1;
}

int redis_mio_string2d(const char *s, size_t len, double *out) {
    char small[128];
    char *buf = small;
    char *end;
    int ok;

    if (len == 0) return 0;
    if (len >= sizeof(small)) {
        buf = malloc(len + 1);
        if (buf == NULL) return 0;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    double v = strtod(buf, &end);
    ok = !rm_reject(buf, end, len, errno == ERANGE, isinf(v), fpclassify(v) == FP_ZERO, isnan(v));
    if (buf != small) free(buf);
    if (ok) *out = v;
    return ok;
}

void redis_mio_ld_from_ll(long long v, long double *out) { *out = (long double)v; }
void redis_mio_ld_from_double(double v, long double *out) { *out = (long double)v; }
double redis_mio_ld_to_double(const long double *v) { return (double)*v; }
void redis_mio_ld_add(const long double *a, const long double *b, long double *out) { *out = *a + *b; }
int redis_mio_ld_is_finite(const long double *v) { return !isnan(*v) && !isinf(*v); }

/* Formats like the server's ld2string(); mode 0 = %.17Lg, 1 = %.17Lf with
 * trailing zeros (and a bare dot) dropped and "-0" shown as "0", 2 = %La.
 * Returns the length written, or 0 when `cap` is too small. */
size_t redis_mio_ld2string(char *buf, size_t cap, const long double *vp, int mode) {
    long double v = *vp;
    int n;

    if (isinf(v)) {
        /* Spelled out so the result does not depend on the libc. */
        const char *txt = v > 0 ? "inf" : "-inf";
        size_t tl = strlen(txt);
        if (cap < 5) return 0;
        memcpy(buf, txt, tl + 1);
        return tl;
    }
    switch (mode) {
    case 0: n = snprintf(buf, cap, "%.17Lg", v); break;
    case 2: n = snprintf(buf, cap, "%La", v); break;
    case 1: n = snprintf(buf, cap, "%.17Lf", v); break;
    default: return 0;
    }
    if (n < 0 || (size_t)n + 1 > cap) return 0;
    if (mode == 1) {
        if (memchr(buf, '.', (size_t)n) != NULL) {
            while (buf[n - 1] == '0') n--;
            if (buf[n - 1] == '.') n--;
        }
        if (n == 2 && buf[0] == '-' && buf[1] == '0') {
            buf[0] = '0';
            n = 1;
        }
        buf[n] = '\0';
    }
    return (size_t)n;
}
