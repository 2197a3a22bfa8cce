/* A pcap writer: the classic libpcap file format with nanosecond
 * timestamps, which tshark, Wireshark and tcpdump all read.
 *
 * Every field is written little-endian on every host: readers detect the
 * byte order from the magic number, so one fixed order keeps the bytes of a
 * capture identical across machines (the simulator's determinism tests
 * compare captures byte for byte). */
#include <nstack/pcap.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* The nanosecond variant of the pcap magic (libpcap's "modified" formats
 * list it as 0xa1b23c4d): record timestamps carry ns, not us. */
#define PCAP_MAGIC_NSEC 0xa1b23c4du
#define PCAP_VERSION_MAJOR 2
#define PCAP_VERSION_MINOR 4
/* Large enough for any frame nstack emits (64 KiB TSO-sized frames
 * included); it matches what tcpdump uses by default. */
#define PCAP_SNAPLEN 262144u
#define PCAP_LINKTYPE_ETHERNET 1u
#define PCAP_GLOBAL_HDR_LEN 24
#define PCAP_RECORD_HDR_LEN 16
/* stdio's default (BUFSIZ, 8 KiB) means a write() per few frames; a larger
 * buffer batches a busy capture into fewer system calls. */
#define PCAP_STDIO_BUF (256 * 1024)

struct nst_pcap {
    FILE *f;
    char *buf; /* stdio's buffer; must outlive f */
};

static void put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* Writes n bytes; -errno (or -EIO if stdio gave no reason) on failure. */
static int write_all(FILE *f, const void *buf, size_t n)
{
    errno = 0;
    if (n && fwrite(buf, 1, n, f) != n)
        return errno ? -errno : -EIO;
    return 0;
}

static int write_global_header(FILE *f)
{
    uint8_t h[PCAP_GLOBAL_HDR_LEN];
    put_le32(h + 0, PCAP_MAGIC_NSEC);
    put_le16(h + 4, PCAP_VERSION_MAJOR);
    put_le16(h + 6, PCAP_VERSION_MINOR);
    put_le32(h + 8, 0);  /* thiszone: timestamps are already "UTC" (virtual) */
    put_le32(h + 12, 0); /* sigfigs: always 0 in practice */
    put_le32(h + 16, PCAP_SNAPLEN);
    put_le32(h + 20, PCAP_LINKTYPE_ETHERNET);
    return write_all(f, h, sizeof h);
}

static void pcap_destroy(struct nst_pcap *p)
{
    if (p->f)
        fclose(p->f);
    free(p->buf);
    free(p);
}

struct nst_pcap *nst_pcap_open(const char *path)
{
    if (!path) {
        errno = EINVAL;
        return NULL;
    }
    struct nst_pcap *p = calloc(1, sizeof *p);
    if (!p) {
        errno = ENOMEM;
        return NULL;
    }
    p->f = fopen(path, "wb");
    if (!p->f) {
        int e = errno;
        pcap_destroy(p);
        errno = e;
        return NULL;
    }
    /* Without the big buffer the file still works, just slower. */
    p->buf = malloc(PCAP_STDIO_BUF);
    if (p->buf && setvbuf(p->f, p->buf, _IOFBF, PCAP_STDIO_BUF) != 0) {
        free(p->buf);
        p->buf = NULL;
    }
    int err = write_global_header(p->f);
    if (err) {
        pcap_destroy(p);
        errno = -err;
        return NULL;
    }
    return p;
}

int nst_pcap_write(struct nst_pcap *p, nst_time_t ts, const uint8_t *frame, size_t len)
{
    if (!p || (!frame && len))
        return -EINVAL;
    if (len > UINT32_MAX)
        return -EMSGSIZE;
    /* pcap cannot express times before its epoch; virtual time starts at 0. */
    if (ts < 0)
        ts = 0;
    uint32_t caplen = len > PCAP_SNAPLEN ? PCAP_SNAPLEN : (uint32_t)len;
    uint8_t h[PCAP_RECORD_HDR_LEN];
    put_le32(h + 0, (uint32_t)(ts / 1000000000));
    put_le32(h + 4, (uint32_t)(ts % 1000000000));
    put_le32(h + 8, caplen);
    put_le32(h + 12, (uint32_t)len); /* orig_len: the frame's real length */
    int err = write_all(p->f, h, sizeof h);
    if (!err)
        err = write_all(p->f, frame, caplen);
    return err;
}

void nst_pcap_close(struct nst_pcap *p)
{
    if (p)
        pcap_destroy(p);
}
