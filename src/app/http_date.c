/* The Date field's value (RFC 9110 6.6.1, in the IMF-fixdate form of 5.6.7),
 * formatted from a time the caller passes, at most once a second: a server
 * answering many requests a second formats it once and copies it after. */
#include <nstack/http.h>

#include <stdio.h>

static const char wday_names[7][4] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"}; /* from 1970-01-01 */
static const char month_names[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Floor division: times before 1970 count down from the right day. */
static int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

/* Year, month (1-12) and day of the proleptic Gregorian calendar for a day
 * count since 1970-01-01: eras of 400 years (146,097 days), each year
 * counted from March so the leap day falls last. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468; /* days from 0000-03-01 to 1970-01-01 */
    int64_t era = floor_div(z, 146097);
    unsigned doe = (unsigned)(z - era * 146097);                           /* [0, 146096] */
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    unsigned mp = (5 * doy + 2) / 153;                                     /* March = 0 */
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

const char *nst_http_date(struct nst_http_date *d, nst_time_t unix_ns, size_t *len)
{
    int64_t sec = floor_div(unix_ns, NST_SEC(1));
    if (!d->len || sec != d->sec) {
        int64_t days = floor_div(sec, 86400), y;
        int64_t s = sec - days * 86400;
        unsigned m, day;
        civil_from_days(days, &y, &m, &day);
        int n = snprintf(d->text, sizeof d->text, "%s, %02u %s %04lld %02d:%02d:%02d GMT",
                         wday_names[(unsigned)(days - floor_div(days, 7) * 7)], day, month_names[m - 1], (long long)y,
                         (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60));
        d->len = n > 0 && (size_t)n < sizeof d->text ? (size_t)n : 0;
        d->sec = sec;
        d->formatted++;
    }
    if (len)
        *len = d->len;
    return d->text;
}
