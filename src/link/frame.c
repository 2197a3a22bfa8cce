/* Frames in pieces (struct nst_frame): made whole, checksum finished.
 *
 * This is the software half of checksum offload: a link that copies the
 * frames it is given (a queue, a simulated wire, a driver with a bounce
 * buffer) sums the payload while it copies it, so the stack never reads
 * the payload of a data segment at all (RFC 1071 2(B): the sum of a whole
 * is the sum of its parts, a part at an odd offset byte-swapped). */
#include <string.h>

#include <nstack/stack.h>

#include "wire/checksum.h"

void nst_frame_copy(const struct nst_frame *f, uint8_t *out)
{
    if (out != f->head)
        memcpy(out, f->head, f->head_len);
    uint8_t *o = out + f->head_len;
    if (!f->csum_partial) {
        for (int i = 0; i < 2; i++) {
            if (f->frag_len[i])
                memcpy(o, f->frag[i], f->frag_len[i]);
            o += f->frag_len[i];
        }
        return;
    }
    /* The covered bytes: the transport header (its checksum field holding
     * the pseudo-header sum; its sum given), then the payload spans. */
    size_t at = f->head_len - f->csum_start;
    uint32_t sum = f->head_sum;
    for (int i = 0; i < 2; i++) {
        if (!f->frag_len[i])
            continue;
        sum = nst_csum_block_add(sum, nst_csum_copy(0, o, f->frag[i], f->frag_len[i]), at);
        o += f->frag_len[i];
        at += f->frag_len[i];
    }
    nst_put16(out + f->csum_start + f->csum_offset, nst_csum_finish(sum));
}
