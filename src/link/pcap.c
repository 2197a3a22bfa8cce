/* A pcap writer: the classic libpcap file format with nanosecond
 * timestamps, which tshark, Wireshark and tcpdump all read.
 *
 * Every field is written little-endian on every host: readers detect the
 * byte order from the magic number, so one fixed order keeps the bytes of a
 * capture identical across machines (the simulator's determinism tests
 * compare captures byte for byte). */
#include <nstack/pcap.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
/* Records gather here and go out in one write() when the next would not
 * fit: a busy capture costs a system call per ~170 full-size frames. */
#define PCAP_BUF_LEN (256 * 1024)

/* The file only ever receives whole records (the buffer is written when
 * the next record would not fit, never cut at a fixed size as stdio
 * would): a reader of a capture still being written, or of one whose
 * writer was killed (SIGKILL) before it closed, sees a valid file that
 * ends at a record boundary -- the frames still buffered are missing, no
 * record is cut short. */
struct nst_pcap {
    int fd;
    size_t used;  /* bytes of whole records in buf */
    off_t whole;  /* the file's length up to the last whole record written */
    uint8_t buf[PCAP_BUF_LEN];
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

/* Writes n bytes, through short writes and EINTR. 0 or -errno. */
static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? -errno : -EIO;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Writes whole records -- n bytes at a, then m at b -- after the last
 * whole one. On an error (disk full) the file is cut back to that record,
 * so that what it holds stays readable. 0 or -errno. */
static int write_records(struct nst_pcap *p, const uint8_t *a, size_t n, const uint8_t *b, size_t m)
{
    int err = write_all(p->fd, a, n);
    if (!err)
        err = write_all(p->fd, b, m);
    if (err) {
        if (ftruncate(p->fd, p->whole) == 0)
            lseek(p->fd, p->whole, SEEK_SET);
        return err;
    }
    p->whole += (off_t)(n + m);
    return 0;
}

static int flush_buf(struct nst_pcap *p)
{
    int err = write_records(p, p->buf, p->used, NULL, 0);
    p->used = 0;
    return err;
}

static void global_header(uint8_t *h)
{
    put_le32(h + 0, PCAP_MAGIC_NSEC);
    put_le16(h + 4, PCAP_VERSION_MAJOR);
    put_le16(h + 6, PCAP_VERSION_MINOR);
    put_le32(h + 8, 0);  /* thiszone: timestamps are already "UTC" (virtual) */
    put_le32(h + 12, 0); /* sigfigs: always 0 in practice */
    put_le32(h + 16, PCAP_SNAPLEN);
    put_le32(h + 20, PCAP_LINKTYPE_ETHERNET);
}

static void pcap_destroy(struct nst_pcap *p)
{
    if (p->fd >= 0)
        close(p->fd);
    free(p);
}

struct nst_pcap *nst_pcap_open(const char *path)
{
    if (!path) {
        errno = EINVAL;
        return NULL;
    }
    struct nst_pcap *p = malloc(sizeof *p);
    if (!p) {
        errno = ENOMEM;
        return NULL;
    }
    p->used = 0;
    p->whole = 0;
    p->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    /* The header at once: from the start the file is a valid capture. */
    uint8_t h[PCAP_GLOBAL_HDR_LEN];
    global_header(h);
    int err = p->fd < 0 ? -errno : write_records(p, h, sizeof h, NULL, 0);
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
    size_t rec = sizeof h + caplen;
    if (p->used + rec > sizeof p->buf) {
        int err = flush_buf(p);
        if (err)
            return err;
    }
    /* A record larger than the buffer goes straight out, whole. */
    if (rec > sizeof p->buf) {
        return write_records(p, h, sizeof h, frame, caplen);
    }
    memcpy(p->buf + p->used, h, sizeof h);
    memcpy(p->buf + p->used + sizeof h, frame, caplen);
    p->used += rec;
    return 0;
}

void nst_pcap_close(struct nst_pcap *p)
{
    if (!p)
        return;
    flush_buf(p);
    pcap_destroy(p);
}
