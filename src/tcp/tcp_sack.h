/* The sender's SACK scoreboard (RFC 6675): which bytes above SND.UNA the
 * receiver has reported holding, and from that which are lost, the pipe
 * estimate and the next segment to send during recovery. Bounded. */
#ifndef NST_TCP_SACK_H
#define NST_TCP_SACK_H

#include <stdint.h>

#define NST_SACK_MAX_BLOCKS 32
#define NST_DUPTHRESH 3

struct nst_sack_block {
    uint32_t start, end; /* absolute sequence numbers */
};

struct nst_sack_board {
    struct nst_sack_block b[NST_SACK_MAX_BLOCKS]; /* sorted, disjoint */
    unsigned n;
    uint32_t sacked_bytes;
};

void nst_sack_init(struct nst_sack_board *s);
/* A board on the heap, empty (NULL if out of memory), and its release (NULL
 * is a no-op): a connection holds one only while the peer reports SACKed
 * data above SND.UNA. */
struct nst_sack_board *nst_sack_new(void);
void nst_sack_delete(struct nst_sack_board *s);
/* The empty board, for readers of a connection that holds none. */
extern const struct nst_sack_board nst_sack_empty_board;
/* Records a block from an incoming ACK, ignoring what is below una or above
 * snd_max (RFC 6675 / RFC 2883 D-SACK blocks fall below una). Merges with
 * overlapping or adjacent blocks; when a new slot is needed and all are in
 * use, the highest block is forgotten (the new one itself if it is the
 * highest). Returns the number of newly SACKed bytes. */
uint32_t nst_sack_add(struct nst_sack_board *s, uint32_t start, uint32_t end, uint32_t una, uint32_t snd_max);
/* SND.UNA advanced: drop what is now cumulatively acknowledged. */
void nst_sack_advance(struct nst_sack_board *s, uint32_t una);
void nst_sack_clear(struct nst_sack_board *s);
/* RFC 6675 IsLost(seq): DupThresh discontiguous SACKed blocks, or more than
 * (DupThresh - 1) * SMSS SACKed bytes, above seq. */
int nst_sack_is_lost(const struct nst_sack_board *s, uint32_t seq, uint32_t smss);
int nst_sack_is_sacked(const struct nst_sack_board *s, uint32_t seq);
/* The first sequence at or above seq that is not SACKed; *room gets the
 * bytes from there to the next SACKed block (UINT32_MAX if none above). */
uint32_t nst_sack_skip(const struct nst_sack_board *s, uint32_t seq, uint32_t *room);
/* SACKed bytes below seq. */
uint32_t nst_sack_bytes_below(const struct nst_sack_board *s, uint32_t seq);
/* RFC 6675 SetPipe: bytes in flight, given una, snd_nxt and high_rxt (one
 * past the highest sequence retransmitted in this recovery, i.e. RFC 6675's
 * HighRxt + 1; pass una if none). */
uint32_t nst_sack_pipe(const struct nst_sack_board *s, uint32_t una, uint32_t snd_nxt, uint32_t high_rxt,
                       uint32_t smss);
/* RFC 6675 NextSeg rule 1: the first unSACKed, lost sequence in
 * [max(una, high_rxt), snd_nxt), with the length up to the next SACKed byte
 * (capped at smss). Returns 1 with seq and len set, or 0. */
int nst_sack_next_lost(const struct nst_sack_board *s, uint32_t una, uint32_t high_rxt, uint32_t snd_nxt,
                       uint32_t smss, uint32_t *seq, uint32_t *len);

#endif
