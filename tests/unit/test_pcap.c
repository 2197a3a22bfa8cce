/* The pcap writer: exact bytes of the global and record headers, snaplen
 * truncation, and errors as errno codes. */
#include <errno.h>
#include <nstack/pcap.h>

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

static void test_headers_exact(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/unit_pcap_headers.pcap", nst_test_out_dir());
    struct nst_pcap *p = nst_pcap_open(path);
    CHECK(p != NULL);
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
    snprintf(path, sizeof path, "%s/unit_pcap_snaplen.pcap", nst_test_out_dir());
    struct nst_pcap *p = nst_pcap_open(path);
    CHECK(p != NULL);
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

    /* A full disk shows up as a negative errno, not a crash. */
    struct nst_pcap *p = nst_pcap_open("/dev/full");
    if (p) {
        uint8_t frame[1500] = {0};
        int err = 0;
        for (int i = 0; i < 1000 && !err; i++)
            err = nst_pcap_write(p, i, frame, sizeof frame);
        CHECK_EQ(err, -ENOSPC);
        nst_pcap_close(p);
    } else {
        CHECK_EQ(errno, ENOSPC); /* the header itself may already fail */
    }
}

int main(void)
{
    RUN(test_headers_exact);
    RUN(test_snaplen_truncates);
    RUN(test_errors);
    return nst_test_done();
}
