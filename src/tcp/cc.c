/* Module lookup and the window rules every congestion controller shares. */
#include "tcp/cc_internal.h"

#include <string.h>

#include "core/util.h"

static const struct nst_cc_ops *const cc_modules[] = {
    &nst_cc_newreno,
    &nst_cc_cubic,
    &nst_cc_bbr,
};

const struct nst_cc_ops *nst_cc_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < NST_ARRAY_LEN(cc_modules); i++) {
        if (strcmp(cc_modules[i]->name, name) == 0)
            return cc_modules[i];
    }
    return NULL;
}

uint32_t nst_cc_initial_window(uint32_t mss)
{
    /* RFC 6928 2: min(10*MSS, max(2*MSS, 14600)); 64-bit so that an absurd
     * MSS cannot wrap. */
    uint64_t ten = (uint64_t)mss * 10u;
    uint64_t two = (uint64_t)mss * 2u;
    uint64_t iw = NST_MIN(ten, NST_MAX(two, (uint64_t)14600));
    return (uint32_t)NST_MIN(iw, (uint64_t)NST_CC_WND_MAX);
}

void nst_cc_common_init(struct nst_cc *cc, uint32_t mss)
{
    cc->mss = mss;
    cc->mss = nst_cc_smss(cc);
    /* RFC 5681 3.1: IW per RFC 6928; ssthresh "arbitrarily high". */
    cc->cwnd = nst_cc_initial_window(cc->mss);
    cc->ssthresh = NST_CC_SSTHRESH_INITIAL;
    cc->bytes_acked = 0;
    memset(cc->priv, 0, sizeof(cc->priv));
}

uint32_t nst_cc_restart_window(const struct nst_cc *cc)
{
    /* RFC 5681 4.1: RW = min(IW, cwnd). */
    return NST_MIN(nst_cc_initial_window(cc->mss), cc->cwnd);
}

bool nst_cc_cwnd_limited(const struct nst_cc *cc, uint32_t flight)
{
    return (uint64_t)flight * 2u >= cc->cwnd;
}

void nst_cc_slow_start(struct nst_cc *cc, uint32_t acked)
{
    /* RFC 5681 3.1 eq. (2) (= RFC 3465 with L = 1): at most one SMSS per
     * ACK, so a stretch ACK cannot cause a line-rate burst. */
    cc->cwnd = nst_cc_wnd_add(cc->cwnd, NST_MIN(acked, cc->mss));
}

uint32_t nst_cc_post_recovery_window(const struct nst_cc *cc, uint32_t flight)
{
    uint64_t w = (uint64_t)NST_MAX(flight, cc->mss) + cc->mss;
    return (uint32_t)NST_MIN(w, (uint64_t)cc->ssthresh);
}

uint32_t nst_cc_wnd_add(uint32_t cwnd, uint64_t inc)
{
    uint64_t w = (uint64_t)cwnd + inc;
    return (uint32_t)NST_MIN(w, (uint64_t)NST_CC_WND_MAX);
}
