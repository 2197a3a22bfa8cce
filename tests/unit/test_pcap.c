/* The pcap writer: exact bytes of the global and record headers, snaplen
 * truncation, errors as errno codes, and a file that holds only whole
 * records at any moment: while still open, and after a write error. */
#include <errno.h>
#include <nstack/pcap.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "test.h"

static long read_file(const char *path, uint8_t *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return (long)n;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Opens NAME in the tests' output folder (its path left in path). */
static struct nst_pcap *open_out(char *path, size_t cap, const char *name)
{
    snprintf(path, cap, "%s/%s", nst_test_out_dir(), name);
    struct nst_pcap *p = nst_pcap_open(path);
    CHECK(p != NULL);
    return p;
}

static void test_headers_exact(void)
{
    char path[512];
    struct nst_pcap *p = open_out(path, sizeof path, "unit_pcap_headers.pcap");
    if (!p)
        return;
    const uint8_t frame[3] = {0xde, 0xad, 0x01};
    CHECK_EQ(nst_pcap_write(p, NST_SEC(1) + 500000007, frame, sizeof frame), 0);
    CHECK_EQ(nst_pcap_write(p, 0, frame, 0), 0);
    nst_pcap_close(p);

    static const uint8_t expect[] = {
        /* global header: nanosecond magic, 2.4, zone 0, sigfigs 0, snaplen 262144, Ethernet */
        0x4d, 0x3c, 0xb2, 0xa1, 0x02, 0x00, 0x04, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
        0x00, 0x00, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00,
        /* record 1: 1 s, 500000007 ns, 3 of 3 bytes */
        0x01, 0, 0, 0, 0x07, 0x65, 0xcd, 0x1d, 3, 0, 0, 0, 3, 0, 0, 0, 0xde, 0xad, 0x01,
        /* record 2: time 0, empty */
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    };
    uint8_t got[256];
    long n = read_file(path, got, sizeof got);
    CHECK_EQ(n, (long)sizeof expect);
    if (n == (long)sizeof expect)
        CHECK_MEM(got, expect, sizeof expect);
}

static void test_snaplen_truncates(void)
{
    char path[512];
    struct nst_pcap *p = open_out(path, sizeof path, "unit_pcap_snaplen.pcap");
    if (!p)
        return;
    size_t big = 300000;
    uint8_t *frame = malloc(big);
    for (size_t i = 0; i < big; i++)
        frame[i] = (uint8_t)(i * 7);
    CHECK_EQ(nst_pcap_write(p, NST_MSEC(3), frame, big), 0);
    nst_pcap_close(p);

    uint8_t *got = malloc(big + 64);
    long n = read_file(path, got, big + 64);
    CHECK_EQ(n, 24 + 16 + 262144);
    CHECK_EQ(le32(got + 24), 0);          /* seconds */
    CHECK_EQ(le32(got + 28), 3000000);    /* ns */
    CHECK_EQ(le32(got + 32), 262144);     /* captured */
    CHECK_EQ(le32(got + 36), 300000);     /* original length */
    CHECK_MEM(got + 40, frame, 262144);
    free(got);
    free(frame);
}

static void test_errors(void)
{
    errno = 0;
    CHECK(nst_pcap_open("/nonexistent-dir/x.pcap") == NULL);
    CHECK_EQ(errno, ENOENT);
    CHECK(nst_pcap_open(NULL) == NULL);
    CHECK_EQ(errno, EINVAL);
    CHECK_EQ(nst_pcap_write(NULL, 0, NULL, 0), -EINVAL);
    nst_pcap_close(NULL); /* accepted */

    /* A full disk shows up as a negative errno, not a crash: here the
     * header, written at once, already fails. */
    errno = 0;
    CHECK(nst_pcap_open("/dev/full") == NULL);
    CHECK_EQ(errno, ENOSPC);
}

#define FRAME_LEN 1500
#define REC_LEN (16 + FRAME_LEN)
/* Whole records in the writer's 256 KiB buffer. */
#define RECS_PER_BUF ((256 * 1024) / REC_LEN)

static long file_len(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static void fill_frame(uint8_t *frame, int i)
{
    for (int k = 0; k < FRAME_LEN; k++)
        frame[k] = (uint8_t)(i + k);
}

/* A reader of a capture still being written (or whose writer was killed
 * before closing it) finds the header and whole records only: the file
 * grows by whole buffers of records, never cut inside one. */
static void test_whole_records_while_open(void)
{
    char path[512];
    struct nst_pcap *p = open_out(path, sizeof path, "unit_pcap_open.pcap");
    if (!p)
        return;
    CHECK_EQ(file_len(path), 24); /* a valid, empty capture at once */
    uint8_t frame[FRAME_LEN];
    for (int i = 0; i < 400; i++) {
        fill_frame(frame, i);
        CHECK_EQ(nst_pcap_write(p, NST_MSEC(i), frame, sizeof frame), 0);
    }
    /* 400 records: two buffers of 172 written, 56 still buffered. */
    CHECK_EQ(RECS_PER_BUF, 172);
    CHECK_EQ(file_len(path), 24 + 2 * RECS_PER_BUF * REC_LEN);
    nst_pcap_close(p);

    long n = file_len(path);
    CHECK_EQ(n, 24 + 400 * REC_LEN);
    uint8_t *got = malloc((size_t)n);
    CHECK_EQ(read_file(path, got, (size_t)n), n);
    /* The last record, whole: 399 ms, 1500 of 1500 bytes, its bytes. */
    const uint8_t *last = got + 24 + 399 * REC_LEN;
    CHECK_EQ(le32(last + 4), 399000000);
    CHECK_EQ(le32(last + 8), FRAME_LEN);
    CHECK_EQ(le32(last + 12), FRAME_LEN);
    fill_frame(frame, 399);
    CHECK_MEM(last + 16, frame, FRAME_LEN);
    free(got);
}

/* The file may not grow past a limit that falls inside a record (as a
 * full disk would stop it): the write reports EFBIG and the file is cut
 * back to its last whole record, readable. */
static void test_error_keeps_whole_records(void)
{
    char path[512];
    struct nst_pcap *p = open_out(path, sizeof path, "unit_pcap_limit.pcap");
    if (!p)
        return;
    struct rlimit old, lim;
    CHECK_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 24 + 200 * REC_LEN + 700; /* in the middle of record 201 */
    void (*old_xfsz)(int) = signal(SIGXFSZ, SIG_IGN); /* EFBIG, not the signal */
    CHECK_EQ(setrlimit(RLIMIT_FSIZE, &lim), 0);
    uint8_t frame[FRAME_LEN];
    int err = 0, i;
    for (i = 0; i < 600 && !err; i++) {
        fill_frame(frame, i);
        err = nst_pcap_write(p, NST_MSEC(i), frame, sizeof frame);
    }
    CHECK_EQ(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, old_xfsz);
    /* The second buffer (records 173..344) fails, when record 345 is written. */
    CHECK_EQ(err, -EFBIG);
    CHECK_EQ(i, 2 * RECS_PER_BUF + 1);
    CHECK_EQ(file_len(path), 24 + RECS_PER_BUF * REC_LEN);
    nst_pcap_close(p);
    CHECK_EQ(file_len(path), 24 + RECS_PER_BUF * REC_LEN);
}

int main(void)
{
    RUN(test_headers_exact);
    RUN(test_snaplen_truncates);
    RUN(test_errors);
    RUN(test_whole_records_while_open);
    RUN(test_error_keeps_whole_records);
    return nst_test_done();
}
