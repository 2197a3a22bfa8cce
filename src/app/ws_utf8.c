/* Incremental UTF-8 validation: the RFC 3629 4 table, one byte at a time,
 * so a character split across fragments or reads is judged the same as a
 * whole one. */
#include "app/ws_utf8.h"

/* RFC 3629 4: the lead byte fixes how many continuation bytes follow and,
 * for E0, ED, F0 and F4, a narrower range for the first of them (no
 * overlong forms, no surrogates, nothing past U+10FFFF). */
static int lead(struct nst_utf8 *u, uint8_t c)
{
    u->lo = 0x80;
    u->hi = 0xbf;
    if (c < 0x80)
        u->need = 0;
    else if (c >= 0xc2 && c <= 0xdf)
        u->need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
        u->need = 2;
        if (c == 0xe0)
            u->lo = 0xa0;
        else if (c == 0xed)
            u->hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        u->need = 3;
        if (c == 0xf0)
            u->lo = 0x90;
        else if (c == 0xf4)
            u->hi = 0x8f;
    } else
        return -1; /* C0, C1, F5..FF, or a stray continuation byte */
    return 0;
}

int nst_utf8_feed(struct nst_utf8 *u, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t c = p[i];
        if (!u->need) {
            if (c < 0x80)
                continue; /* the common case, ASCII */
            if (lead(u, c))
                return -1;
            continue;
        }
        if (c < u->lo || c > u->hi)
            return -1;
        u->need--;
        u->lo = 0x80;
        u->hi = 0xbf;
    }
    return 0;
}

int nst_utf8_valid(const uint8_t *p, size_t len)
{
    struct nst_utf8 u;
    nst_utf8_init(&u);
    return nst_utf8_feed(&u, p, len) == 0 && nst_utf8_complete(&u);
}
