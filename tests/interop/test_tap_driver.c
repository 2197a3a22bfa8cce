/* The TAP driver against the real kernel, in a private network namespace
 * made by this process (unshare(CLONE_NEWNET)): batched reads, writes,
 * errors with their explanation, the capture. A packet socket on the device
 * plays the kernel's side. Exits 77 (skipped) without root or /dev/net/tun. */
#include <nstack/socket.h>
#include <nstack/tap.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "test.h"

#define TAPNAME "nsttest0"
#define ETH_P_TEST 0x88b5 /* IEEE 802 local experimental EtherType */

static const struct nst_mac our_mac = {{0x02, 0x6e, 0, 0, 0, 2}};

static int link_up(const char *name)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
    int rc = ioctl(s, SIOCGIFFLAGS, &ifr);
    ifr.ifr_flags |= IFF_UP;
    if (rc == 0)
        rc = ioctl(s, SIOCSIFFLAGS, &ifr);
    close(s);
    return rc;
}

/* A packet socket on the device: what it sends, the TAP reads; what the
 * TAP writes, it receives. */
static int packet_socket(const char *name, int *ifindex)
{
    int s = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    CHECK(s >= 0);
    *ifindex = (int)if_nametoindex(name);
    struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = *ifindex};
    CHECK_EQ(bind(s, (struct sockaddr *)&sll, sizeof(sll)), 0);
    struct timeval tv = {2, 0};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return s;
}

static void send_test_frame(int s, int ifindex, uint8_t id)
{
    uint8_t f[60];
    memset(f, id, sizeof(f));
    memcpy(f, our_mac.b, 6);
    memcpy(f + 6, "\x02\x00\x00\x00\x00\x01", 6);
    f[12] = ETH_P_TEST >> 8;
    f[13] = ETH_P_TEST & 0xff;
    struct sockaddr_ll to = {.sll_family = AF_PACKET, .sll_ifindex = ifindex, .sll_halen = 6};
    memcpy(to.sll_addr, our_mac.b, 6);
    CHECK_EQ(sendto(s, f, sizeof(f), 0, (struct sockaddr *)&to, sizeof(to)), (ssize_t)sizeof(f));
}

/* Waits (bounded) until the device has n frames to read. */
static void wait_readable(int fd)
{
    fd_set r;
    FD_ZERO(&r);
    FD_SET(fd, &r);
    struct timeval tv = {2, 0};
    CHECK_EQ(select(fd + 1, &r, NULL, NULL, &tv), 1);
}

static void test_errors_are_explained(void)
{
    struct nst_tap *tap;
    char why[256] = "";
    struct nst_tap_config c;
    nst_tap_config_default(&c);
    c.ifname = "a-name-far-too-long";
    CHECK_EQ(nst_tap_open(&c, &tap, why, sizeof(why)), -EINVAL);
    CHECK(tap == NULL);
    CHECK(strstr(why, "15 characters") != NULL);

    c.ifname = TAPNAME;
    struct nst_tap *first;
    CHECK_EQ(nst_tap_open(&c, &first, why, sizeof(why)), 0);
    /* The device is taken: the second open says so. */
    CHECK_EQ(nst_tap_open(&c, &tap, why, sizeof(why)), -EBUSY);
    CHECK(strstr(why, "TUNSETIFF") != NULL && strstr(why, "Another process") != NULL);
    nst_tap_close(first);

    c.pcap_path = "/nonexistent-dir/x.pcap";
    CHECK_EQ(nst_tap_open(&c, &tap, why, sizeof(why)), -ENOENT);
    CHECK(strstr(why, "/nonexistent-dir/x.pcap") != NULL);
    nst_tap_close(NULL);
}

static void test_kernel_names_it(void)
{
    struct nst_tap *tap;
    char why[256];
    CHECK_EQ(nst_tap_open(NULL, &tap, why, sizeof(why)), 0);
    if (!tap)
        return;
    CHECK(strncmp(nst_tap_name(tap), "tap", 3) == 0);
    CHECK(fcntl(nst_tap_fd(tap), F_GETFL) & O_NONBLOCK);
    nst_tap_close(tap);
}

/* Five frames waiting, a batch of 2: reads of 2, 2, 1, then nothing. The
 * capture, limited to 3 frames, holds the first three read, byte for byte,
 * and is closed then (the rest of a long run is not written). */
static void test_batched_receive_and_capture(const char *dir)
{
    char pcap[512];
    snprintf(pcap, sizeof(pcap), "%s/tap_driver.pcap", dir);
    struct nst_tap_config c;
    nst_tap_config_default(&c);
    c.ifname = TAPNAME;
    c.batch = 2;
    c.pcap_path = pcap;
    c.pcap_max_frames = 3;
    struct nst_tap *tap;
    char why[256];
    CHECK_EQ(nst_tap_open(&c, &tap, why, sizeof(why)), 0);
    if (!tap) {
        fprintf(stderr, "%s\n", why);
        return;
    }
    int up = 1;
    CHECK_EQ(nst_tap_kernel_state(tap, &up), 0); /* down on the kernel side */
    CHECK_EQ(up, 0);
    CHECK_EQ(link_up(TAPNAME), 0);
    /* The kernel turns the carrier on asynchronously: poll, 3 s at most. */
    int running = 0;
    for (int i = 0; i < 300 && (running = nst_tap_kernel_state(tap, &up)) == 0; i++)
        usleep(10000);
    CHECK_EQ(running, 1);
    CHECK_EQ(up, 1);
    CHECK_EQ(nst_tap_kernel_mtu(tap), 1500);
    int ifindex, s = packet_socket(TAPNAME, &ifindex);
    CHECK_EQ(nst_tap_receive(tap, NST_SEC(1)), 0); /* empty: EAGAIN is not an error */
    for (uint8_t i = 1; i <= 5; i++)
        send_test_frame(s, ifindex, i);
    wait_readable(nst_tap_fd(tap));
    CHECK_EQ(nst_tap_receive(tap, NST_SEC(1)), 2);
    CHECK_EQ(nst_tap_receive(tap, NST_SEC(1)), 2);
    CHECK_EQ(nst_tap_receive(tap, NST_SEC(1)), 1);
    CHECK_EQ(nst_tap_receive(tap, NST_SEC(1)), 0);
    const struct nst_tap_stats *st = nst_tap_stats(tap);
    CHECK_EQ(st->rx.frames, 5);
    CHECK_EQ(st->rx.bytes, 300);
    CHECK_EQ(st->rx.errors, 0);
    CHECK_EQ(st->rx.delivered, 0); /* no stack attached */
    CHECK_EQ(st->pcap_frames, 3);
    CHECK_EQ(st->pcap_errors, 0);
    struct stat sb;
    CHECK_EQ(stat(pcap, &sb), 0); /* complete already: closed at the third frame */
    CHECK_EQ(sb.st_size, 24 + 3 * (16 + 60));
    nst_tap_close(tap);
    close(s);
    CHECK_EQ(stat(pcap, &sb), 0);
    CHECK_EQ(sb.st_size, 24 + 3 * (16 + 60));
}

/* A stack on the device: what it sends reaches the kernel (an ARP request
 * for a neighbour it wants), and what the kernel sends reaches it (the
 * reply resolves the neighbour, and the datagram waiting follows). */
static void test_attached_stack_talks_to_the_kernel(void)
{
    struct nst_tap_config c;
    nst_tap_config_default(&c);
    c.ifname = TAPNAME;
    struct nst_tap *tap;
    char why[256];
    CHECK_EQ(nst_tap_open(&c, &tap, why, sizeof(why)), 0);
    if (!tap)
        return;
    CHECK_EQ(link_up(TAPNAME), 0);
    int ifindex, s = packet_socket(TAPNAME, &ifindex);
    struct nst_stack *st = nst_stack_new(NULL);
    struct nst_iface_config ic = {.mac = our_mac, .addr = NST_IP4(10, 99, 0, 2), .prefix_len = 24};
    CHECK_EQ(nst_tap_attach(tap, st, &ic), 0);
    CHECK_EQ(nst_tap_attach(tap, st, &ic), -EBUSY);
    struct nst_iface_info ii;
    nst_iface_get(st, 0, &ii);
    CHECK_EQ(ii.mtu, 1500);
    CHECK(strcmp(ii.name, TAPNAME) == 0);

    nst_tap_advance(tap, NST_SEC(1));
    nst_stack_poll(st, NST_SEC(1));
    int fd = nst_socket(st, NST_SOCK_DGRAM);
    struct nst_sockaddr to = {NST_IP4(10, 99, 0, 1), 9};
    CHECK_EQ(nst_sendto(st, fd, "hello", 5, 0, &to), 5);
    CHECK_EQ(nst_tap_stats(tap)->tx.frames, 1);
    uint8_t f[1600];
    ssize_t n = recv(s, f, sizeof(f), 0);
    CHECK_EQ(n, 60);
    CHECK_MEM(f, "\xff\xff\xff\xff\xff\xff", 6);
    CHECK_MEM(f + 6, our_mac.b, 6);
    CHECK(f[12] == 0x08 && f[13] == 0x06);          /* ARP */
    CHECK(f[20] == 0 && f[21] == 1);                /* request */
    CHECK_MEM(f + 38, "\x0a\x63\x00\x01", 4);       /* who has 10.99.0.1 */

    /* The kernel side answers (built by hand, as 02:00:00:00:00:01). */
    uint8_t r[60] = {0};
    memcpy(r, our_mac.b, 6);
    memcpy(r + 6, "\x02\x00\x00\x00\x00\x01", 6);
    memcpy(r + 12, "\x08\x06\x00\x01\x08\x00\x06\x04\x00\x02", 10);
    memcpy(r + 22, "\x02\x00\x00\x00\x00\x01\x0a\x63\x00\x01", 10);
    memcpy(r + 32, our_mac.b, 6);
    memcpy(r + 38, "\x0a\x63\x00\x02", 4);
    struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_ifindex = ifindex, .sll_halen = 6};
    memcpy(sll.sll_addr, our_mac.b, 6);
    CHECK_EQ(sendto(s, r, sizeof(r), 0, (struct sockaddr *)&sll, sizeof(sll)), 60);
    wait_readable(nst_tap_fd(tap));
    CHECK_EQ(nst_tap_receive(tap, NST_SEC(2)), 1);
    CHECK_EQ(nst_tap_stats(tap)->rx.delivered, 1);
    CHECK_EQ(nst_tap_stats(tap)->tx.frames, 2); /* the datagram that waited for ARP */
    n = recv(s, f, sizeof(f), 0);
    CHECK_EQ(n, 60);                                /* padded to the Ethernet minimum */
    CHECK(f[16] == 0 && f[17] == 20 + 8 + 5);       /* IP total length: the padding is not IP's */
    CHECK_MEM(f, "\x02\x00\x00\x00\x00\x01", 6);
    CHECK_MEM(f + 42, "hello", 5);
    nst_stack_free(st);
    nst_tap_close(tap);
    close(s);
}

/* Impairment in the driver: tx loss 1 writes nothing and says so; a tx
 * delay holds the frame until its time, then writes it. */
static void test_tx_impairment(void)
{
    struct nst_tap_config c;
    nst_tap_config_default(&c);
    c.ifname = TAPNAME;
    c.tx.delay = NST_MSEC(5);
    struct nst_tap *tap;
    char why[256];
    CHECK_EQ(nst_tap_open(&c, &tap, why, sizeof(why)), 0);
    if (!tap)
        return;
    CHECK_EQ(link_up(TAPNAME), 0);
    struct nst_stack *st = nst_stack_new(NULL);
    struct nst_iface_config ic = {.mac = our_mac, .addr = NST_IP4(10, 99, 0, 2), .prefix_len = 24};
    CHECK_EQ(nst_tap_attach(tap, st, &ic), 0);
    nst_tap_advance(tap, NST_SEC(1));
    nst_stack_poll(st, NST_SEC(1));
    int fd = nst_socket(st, NST_SOCK_DGRAM);
    struct nst_sockaddr to = {NST_IP4(10, 99, 0, 1), 9};
    CHECK_EQ(nst_sendto(st, fd, "x", 1, 0, &to), 1);
    const struct nst_tap_stats *ts = nst_tap_stats(tap);
    CHECK_EQ(ts->tx.frames, 0);
    CHECK_EQ(ts->tx.delayed, 1);
    CHECK_EQ(nst_tap_next_deadline(tap), NST_SEC(1) + NST_MSEC(5));
    nst_tap_advance(tap, NST_SEC(1) + NST_MSEC(5) - 1);
    CHECK_EQ(ts->tx.frames, 0);
    nst_tap_advance(tap, NST_SEC(1) + NST_MSEC(5));
    CHECK_EQ(ts->tx.frames, 1);
    CHECK_EQ(nst_tap_next_deadline(tap), NST_TIME_NEVER);
    nst_stack_free(st);
    nst_tap_close(tap);
}

int main(void)
{
    if (geteuid() != 0) {
        printf("SKIP: needs root (makes a network namespace and a TAP)\n");
        return 77;
    }
    if (access("/dev/net/tun", R_OK | W_OK) != 0) {
        printf("SKIP: /dev/net/tun is missing\n");
        return 77;
    }
    /* Everything below happens in a namespace of our own, gone when we exit. */
    if (unshare(CLONE_NEWNET) != 0) {
        printf("SKIP: cannot make a network namespace: %s\n", strerror(errno));
        return 77;
    }
    /* No IPv6 chatter (router solicitations, MLD) on the devices: the
     * frame counts below are exact. */
    for (int i = 0; i < 2; i++) {
        FILE *f = fopen(i ? "/proc/sys/net/ipv6/conf/default/disable_ipv6" : "/proc/sys/net/ipv6/conf/all/disable_ipv6", "w");
        if (f) {
            fputs("1\n", f);
            fclose(f);
        }
    }
    RUN(test_errors_are_explained);
    RUN(test_kernel_names_it);
    const char *dir = nst_test_out_dir();
    test_batched_receive_and_capture(dir);
    fprintf(stderr, "%s test_batched_receive_and_capture\n", nst_test_failures ? "FAIL" : "ok  ");
    RUN(test_attached_stack_talks_to_the_kernel);
    RUN(test_tx_impairment);
    return nst_test_done();
}
