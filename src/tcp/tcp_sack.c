/* The RFC 6675 scoreboard. Blocks are absolute sequence numbers kept sorted
 * and disjoint within [SND.UNA, SND.MAX), so ordinary modular comparisons
 * (RFC 9293 3.4) order them correctly across a wrap of the sequence space. */
#include "tcp_sack.h"

#include <stdlib.h>
#include <string.h>

#include "tcp_seq.h"

const struct nst_sack_board nst_sack_empty_board = {.n = 0, .sacked_bytes = 0};

void nst_sack_init(struct nst_sack_board *s)
{
    s->n = 0;
    s->sacked_bytes = 0;
}

struct nst_sack_board *nst_sack_new(void)
{
    struct nst_sack_board *s = malloc(sizeof(*s));
    if (s)
        nst_sack_init(s);
    return s;
}

void nst_sack_delete(struct nst_sack_board *s) { free(s); }

void nst_sack_clear(struct nst_sack_board *s)
{
    nst_sack_init(s);
}

static void sack_remove(struct nst_sack_board *s, unsigned from, unsigned to)
{
    memmove(&s->b[from], &s->b[to], (s->n - to) * sizeof(s->b[0]));
    s->n -= to - from;
}

/* Puts [start, end) at index i, which no block touches. When every slot is
 * in use the highest block goes (or the new one, if it is the highest):
 * forgetting SACK information is safe, it only means a possibly needless
 * retransmission (RFC 2018 8: the sender must be ready for that anyway). */
static uint32_t sack_insert(struct nst_sack_board *s, unsigned i, uint32_t start, uint32_t end)
{
    if (s->n == NST_SACK_MAX_BLOCKS) {
        if (i == s->n)
            return 0;
        s->n--;
        s->sacked_bytes -= s->b[s->n].end - s->b[s->n].start;
    }
    memmove(&s->b[i + 1], &s->b[i], (s->n - i) * sizeof(s->b[0]));
    s->b[i].start = start;
    s->b[i].end = end;
    s->n++;
    s->sacked_bytes += end - start;
    return end - start;
}

uint32_t nst_sack_add(struct nst_sack_board *s, uint32_t start, uint32_t end, uint32_t una, uint32_t snd_max)
{
    /* RFC 2883: a D-SACK block lies at or below SND.UNA; RFC 6675 5 only
     * counts SACKed data the sender actually sent. Clip to [una, snd_max). */
    if (!nst_seq_lt(start, end))
        return 0;
    start = nst_seq_max(start, una);
    end = nst_seq_min(end, snd_max);
    if (!nst_seq_lt(start, end))
        return 0;
    unsigned i = 0;
    while (i < s->n && nst_seq_lt(s->b[i].end, start))
        i++;
    unsigned j = i;
    uint32_t held = 0; /* bytes already SACKed inside the merged span */
    while (j < s->n && nst_seq_leq(s->b[j].start, end)) {
        held += s->b[j].end - s->b[j].start;
        j++;
    }
    if (i == j)
        return sack_insert(s, i, start, end);
    start = nst_seq_min(start, s->b[i].start);
    end = nst_seq_max(end, s->b[j - 1].end);
    s->b[i].start = start;
    s->b[i].end = end;
    sack_remove(s, i + 1, j);
    s->sacked_bytes += (end - start) - held;
    return (end - start) - held;
}

void nst_sack_advance(struct nst_sack_board *s, uint32_t una)
{
    unsigned gone = 0;
    while (gone < s->n && nst_seq_leq(s->b[gone].end, una)) {
        s->sacked_bytes -= s->b[gone].end - s->b[gone].start;
        gone++;
    }
    sack_remove(s, 0, gone);
    if (s->n && nst_seq_lt(s->b[0].start, una)) {
        s->sacked_bytes -= una - s->b[0].start;
        s->b[0].start = una;
    }
}

int nst_sack_is_sacked(const struct nst_sack_board *s, uint32_t seq)
{
    for (unsigned i = 0; i < s->n; i++)
        if (nst_seq_in(seq, s->b[i].start, s->b[i].end))
            return 1;
    return 0;
}

uint32_t nst_sack_skip(const struct nst_sack_board *s, uint32_t seq, uint32_t *room)
{
    *room = UINT32_MAX;
    for (unsigned i = 0; i < s->n; i++) {
        if (nst_seq_in(seq, s->b[i].start, s->b[i].end)) {
            seq = s->b[i].end; /* blocks are disjoint: the next starts above */
        } else if (nst_seq_gt(s->b[i].start, seq)) {
            *room = s->b[i].start - seq;
            break;
        }
    }
    return seq;
}

uint32_t nst_sack_bytes_below(const struct nst_sack_board *s, uint32_t seq)
{
    uint32_t sum = 0;
    for (unsigned i = 0; i < s->n && nst_seq_lt(s->b[i].start, seq); i++)
        sum += nst_seq_min(s->b[i].end, seq) - s->b[i].start;
    return sum;
}

int nst_sack_is_lost(const struct nst_sack_board *s, uint32_t seq, uint32_t smss)
{
    /* RFC 6675 4 IsLost(SeqNum): true when DupThresh discontiguous SACKed
     * sequences lie above SeqNum, or more than (DupThresh - 1) * SMSS SACKed
     * bytes do. */
    unsigned blocks = 0;
    uint64_t bytes = 0;
    uint32_t above = seq + 1;
    for (unsigned i = s->n; i-- > 0;) {
        if (nst_seq_leq(s->b[i].end, above))
            break;
        uint32_t from = nst_seq_max(s->b[i].start, above);
        blocks++;
        bytes += s->b[i].end - from;
    }
    return blocks >= NST_DUPTHRESH || bytes > (uint64_t)(NST_DUPTHRESH - 1) * smss;
}

/* Bytes of [a, b) that lie below lim (modular, with a <= b). */
static uint32_t span_below(uint32_t a, uint32_t b, uint32_t lim)
{
    if (nst_seq_leq(lim, a))
        return 0;
    return nst_seq_min(b, lim) - a;
}

/* RFC 6675 4 SetPipe, hole by hole: within one hole between SACKed blocks
 * every octet has the same SACKed data above it, so IsLost is constant over
 * the hole and one query per hole gives the same sum as the per-octet walk. */
uint32_t nst_sack_pipe(const struct nst_sack_board *s, uint32_t una, uint32_t snd_nxt, uint32_t high_rxt,
                       uint32_t smss)
{
    uint32_t pipe = 0;
    uint32_t a = una;
    for (unsigned i = 0; i <= s->n && nst_seq_lt(a, snd_nxt); i++) {
        uint32_t b = i < s->n ? nst_seq_min(s->b[i].start, snd_nxt) : snd_nxt;
        if (nst_seq_lt(a, b)) {
            /* (a) octets not deemed lost are in flight */
            if (!nst_sack_is_lost(s, a, smss))
                pipe += b - a;
            /* (b) octets retransmitted in this recovery are in flight again */
            pipe += span_below(a, b, high_rxt);
        }
        if (i < s->n)
            a = nst_seq_max(a, s->b[i].end);
    }
    return pipe;
}

int nst_sack_next_lost(const struct nst_sack_board *s, uint32_t una, uint32_t high_rxt, uint32_t snd_nxt,
                       uint32_t smss, uint32_t *seq, uint32_t *len)
{
    /* RFC 6675 4 NextSeg (1): the smallest unSACKed S2 > HighRxt (high_rxt
     * is one past it, so S2 >= high_rxt) that IsLost. (1.b), S2 below the
     * highest SACKed octet, follows from IsLost needing SACKed data above. */
    uint32_t a = nst_seq_max(una, high_rxt);
    for (unsigned i = 0; i <= s->n && nst_seq_lt(a, snd_nxt); i++) {
        uint32_t b = i < s->n ? nst_seq_min(s->b[i].start, snd_nxt) : snd_nxt;
        if (nst_seq_lt(a, b)) {
            if (!nst_sack_is_lost(s, a, smss))
                return 0; /* IsLost only weakens going up: nothing above is lost */
            *seq = a;
            *len = b - a < smss ? b - a : smss;
            return 1;
        }
        if (i < s->n)
            a = nst_seq_max(a, s->b[i].end);
    }
    return 0;
}
