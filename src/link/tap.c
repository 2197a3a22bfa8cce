/* The Linux TAP link driver: Ethernet frames through /dev/net/tun.
 *
 * Frames cross one per system call (a TAP has no batched read): a receive
 * loops read() until the device is empty or `batch` frames were read, so a
 * burst is handled in one go, yet timers and other descriptors get their
 * turn between batches. The stack's send op writes at once (the kernel
 * copies the frame), unless the tx impairment holds it back.
 *
 * The capture shows what crossed the device, as `tshark -i TAP` would:
 * frames as read from the kernel (before the rx impairment) and frames as
 * written to it (after the tx impairment: a lost one is not there, a
 * duplicated one is there twice).
 *
 * With a vnet header (IFF_VNET_HDR, the default) the kernel's offloads are
 * on: a read may bring a 64 KB GSO frame (TCP over IPv4 or IPv6), cut here
 * into MTU-sized segments
 * (tap_vnet.c), so one system call carries ~45 segments of a bulk stream
 * instead of one; frames with a partial checksum are finished here. The
 * capture then holds the segments, checksums finished, as the stack got
 * them. */
#include <nstack/pcap.h>
#include <nstack/tap.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "link/arp_share.h"
#include "link/ifreq.h"
#include "link/impair.h"
#include "link/tap_vnet.h"
#include "wire/eth.h"

#define TUN_PATH "/dev/net/tun"
/* The largest frame a TAP can carry: a 65535-byte IP MTU plus the header
 * (a VLAN tag included). Longer reads are truncated by the kernel. */
#define TAP_FRAME_MAX (65535 + NST_ETH_HLEN + 4)
#define TAP_BATCH_DEFAULT 64
#define TAP_HOLD_DEFAULT 1024

/* The TAPs of one multi-queue device, one per stack. */
struct nst_tap_group {
    struct nst_arp_group arp;
};

struct nst_tap {
    int fd;
    int vnet;                   /* frames cross with a struct virtio_net_hdr in front */
    int offloads;               /* and the kernel may send GSO frames and partial checksums */
    int tso6;                   /* the offloads include TCP/IPv6 GSO (TUN_F_TSO6) */
    int tso;                    /* nst_tap_config.tso: TCP may send TSO frames */
    char name[IFNAMSIZ];
    nst_time_t now;
    unsigned batch;
    struct nst_stack *st;       /* where received frames go (NULL: dropped) */
    int ifindex;
    struct nst_impair imp[2];   /* NST_TAP_DIR_TX, NST_TAP_DIR_RX */
    struct nst_pcap *pcap;
    nst_time_t pcap_offset;
    uint64_t pcap_max_frames;
    struct nst_tap_stats stats;
    struct nst_tap_group *group; /* multi-queue: the device's other TAPs */
    unsigned slot;
    struct nst_arp_inbox inbox;  /* ARP the others posted */
    uint8_t buf[NST_VNET_HLEN + TAP_FRAME_MAX];
    uint8_t txbuf[TAP_FRAME_MAX]; /* frames in pieces made whole (capture, impairment) */
};

void nst_tap_config_default(struct nst_tap_config *c)
{
    memset(c, 0, sizeof(*c));
    c->batch = TAP_BATCH_DEFAULT;
    c->hold_max = TAP_HOLD_DEFAULT;
    c->seed = 1;
    c->vnet_hdr = 1;
    c->tso = 1;
}

/* Returns err after writing "what: strerror. hint" into why. */
static int explain(int err, char *why, size_t why_len, const char *what, const char *hint)
{
    if (why && why_len)
        snprintf(why, why_len, "%s: %s%s%s", what, strerror(-err), hint ? ". " : "", hint ? hint : "");
    return err;
}

static int open_tun(char *why, size_t why_len)
{
    int fd = open(TUN_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0)
        return fd;
    int err = -errno;
    const char *hint = NULL;
    if (err == -ENOENT || err == -ENODEV || err == -ENXIO)
        hint = "Load the tun module (modprobe tun); in a container, pass the device in (--device /dev/net/tun)";
    else if (err == -EACCES || err == -EPERM)
        hint = "Run as root, or give this user access to " TUN_PATH;
    return explain(err, why, why_len, "cannot open " TUN_PATH, hint);
}

static const char *setiff_hint(int err)
{
    switch (err) {
    case -EPERM:
        return "Creating or attaching a TAP needs CAP_NET_ADMIN; or create it for this user first: "
               "ip tuntap add dev NAME mode tap user $USER";
    case -EBUSY:
        return "Another process has the device open";
    case -EINVAL:
        return "The name belongs to a device that is not a TAP (a tun, a bridge, ...)";
    default: return NULL;
    }
}

/* Binds fd to the TAP `name` (created if missing; "" lets the kernel pick)
 * with `flags` added to IFF_TAP | IFF_NO_PI. Writes the kernel's name for it
 * into out. 0 or -errno (why not written). */
static int tunsetiff(int fd, const char *name, short flags, char out[IFNAMSIZ])
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    /* IFF_NO_PI: no 4-byte packet-information prefix, plain Ethernet frames. */
    ifr.ifr_flags = (short)(IFF_TAP | IFF_NO_PI | flags);
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0)
        return -errno;
    snprintf(out, IFNAMSIZ, "%s", ifr.ifr_name);
    return 0;
}

/* With the vnet header: the offloads the driver can take from the kernel
 * (checksums left to finish, TCP GSO frames over IPv4 and IPv6; a kernel
 * that refuses TSO6 still gets the others). The TUN_F_ flags the kernel
 * took, or -errno. */
static int set_offloads(int fd)
{
    unsigned off = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
    int hdr_len = NST_VNET_HLEN;
    if (ioctl(fd, TUNSETVNETHDRSZ, &hdr_len) < 0)
        return -errno;
    if (ioctl(fd, TUNSETOFFLOAD, off) == 0)
        return (int)off;
    off &= ~(unsigned)TUN_F_TSO6;
    return ioctl(fd, TUNSETOFFLOAD, off) == 0 ? (int)off : -errno;
}

static int set_iff(struct nst_tap *tap, const char *name, int want_vnet, short mq, char *why, size_t why_len)
{
    int err = want_vnet ? tunsetiff(tap->fd, name, (short)(IFF_VNET_HDR | mq), tap->name) : -EINVAL;
    if (err == 0) {
        tap->vnet = 1;
        /* Without the offloads the header stays (empty, frames plain). */
        int off = set_offloads(tap->fd);
        tap->offloads = off > 0;
        tap->tso6 = off > 0 && (off & TUN_F_TSO6);
        return 0;
    }
    /* A kernel without vnet headers (EINVAL): plain frames. */
    if (err == -EINVAL)
        err = tunsetiff(tap->fd, name, mq, tap->name);
    /* Plain frames: no offloads either, whatever an earlier user of a
     * persistent device asked for (the kernel would otherwise go on sending
     * GSO frames and partial checksums, with no header to say so). */
    if (err == 0)
        ioctl(tap->fd, TUNSETOFFLOAD, 0u);
    if (err) {
        char what[64];
        snprintf(what, sizeof(what), "cannot attach to TAP '%s' (TUNSETIFF)", name[0] ? name : "tap%d");
        return explain(err, why, why_len, what, setiff_hint(err));
    }
    return 0;
}

static int tap_setup(struct nst_tap *tap, const struct nst_tap_config *c, char *why, size_t why_len)
{
    int err;
    tap->batch = c->batch ? c->batch : TAP_BATCH_DEFAULT;
    tap->tso = c->tso;
    tap->ifindex = -1;
    /* One generator per direction: the n-th frame of a direction meets the
     * same fate whatever the other direction did meanwhile. */
    for (int d = 0; d < 2; d++) {
        err = nst_impair_init(&tap->imp[d], d == NST_TAP_DIR_TX ? &c->tx : &c->rx,
                              c->seed + (uint64_t)d * 0x9e3779b97f4a7c15ULL, c->hold_max,
                              d == NST_TAP_DIR_TX ? &tap->stats.tx : &tap->stats.rx);
        if (err)
            return explain(err, why, why_len, "cannot allocate the impairment queues", NULL);
    }
    if (c->pcap_path) {
        tap->pcap = nst_pcap_open(c->pcap_path);
        if (!tap->pcap) {
            char what[300];
            snprintf(what, sizeof(what), "cannot write the capture %s", c->pcap_path);
            return explain(-errno, why, why_len, what, NULL);
        }
        tap->pcap_offset = c->pcap_offset;
        tap->pcap_max_frames = c->pcap_max_frames;
    }
    tap->fd = open_tun(why, why_len);
    if (tap->fd < 0)
        return tap->fd;
    err = set_iff(tap, c->ifname ? c->ifname : "", c->vnet_hdr, c->multi_queue ? IFF_MULTI_QUEUE : 0, why, why_len);
    if (err || !c->group)
        return err;
    err = nst_arp_inbox_init(&tap->inbox);
    if (!err)
        err = nst_arp_group_join(&c->group->arp, c->group_slot, &tap->inbox);
    if (err)
        return explain(err, why, why_len, "cannot join the device's other queues", NULL);
    tap->group = c->group;
    tap->slot = c->group_slot;
    return 0;
}

struct nst_tap_group *nst_tap_group_new(void) { return calloc(1, sizeof(struct nst_tap_group)); }
void nst_tap_group_free(struct nst_tap_group *g) { free(g); }
int nst_tap_group_fd(const struct nst_tap *tap) { return tap->group ? tap->inbox.efd : -1; }

void nst_tap_group_counts(const struct nst_tap *tap, uint64_t *shared, uint64_t *taken)
{
    *shared = tap->inbox.shared;
    *taken = tap->inbox.taken;
}

int nst_tap_open(const struct nst_tap_config *cfg, struct nst_tap **out, char *why, size_t why_len)
{
    struct nst_tap_config defaults;
    if (!cfg) {
        nst_tap_config_default(&defaults);
        cfg = &defaults;
    }
    *out = NULL;
    if (cfg->ifname && strlen(cfg->ifname) >= IFNAMSIZ)
        return explain(-EINVAL, why, why_len, "TAP name too long",
                       "Interface names have at most 15 characters");
    struct nst_tap *tap = calloc(1, sizeof(*tap));
    if (!tap)
        return explain(-ENOMEM, why, why_len, "cannot allocate the TAP driver", NULL);
    tap->fd = -1;
    tap->inbox.efd = -1;
    int err = tap_setup(tap, cfg, why, why_len);
    if (err) {
        nst_tap_close(tap);
        return err;
    }
    *out = tap;
    return 0;
}

void nst_tap_close(struct nst_tap *tap)
{
    if (!tap)
        return;
    if (tap->group)
        nst_arp_group_leave(&tap->group->arp, tap->slot, &tap->inbox);
    if (tap->inbox.efd >= 0)
        nst_arp_inbox_fini(&tap->inbox);
    if (tap->fd >= 0)
        close(tap->fd);
    nst_impair_fini(&tap->imp[0]);
    nst_impair_fini(&tap->imp[1]);
    nst_pcap_close(tap->pcap);
    free(tap);
}

int nst_tap_fd(const struct nst_tap *tap) { return tap->fd; }
int nst_tap_vnet(const struct nst_tap *tap) { return tap->vnet && tap->offloads; }
const char *nst_tap_name(const struct nst_tap *tap) { return tap->name; }
const struct nst_tap_stats *nst_tap_stats(const struct nst_tap *tap) { return &tap->stats; }

int nst_tap_kernel_mtu(const struct nst_tap *tap)
{
    struct ifreq ifr;
    int rc = nst_ifreq_get(tap->name, SIOCGIFMTU, &ifr);
    return rc ? rc : ifr.ifr_mtu;
}

int nst_tap_kernel_state(const struct nst_tap *tap, int *admin_up)
{
    struct ifreq ifr;
    int rc = nst_ifreq_get(tap->name, SIOCGIFFLAGS, &ifr);
    if (rc)
        return rc;
    if (admin_up)
        *admin_up = (ifr.ifr_flags & IFF_UP) != 0;
    return (ifr.ifr_flags & (IFF_UP | IFF_RUNNING)) == (IFF_UP | IFF_RUNNING);
}

static void capture(struct nst_tap *tap, const uint8_t *frame, size_t len)
{
    if (!tap->pcap)
        return;
    /* A failing capture (disk full) must not stop the traffic: count it,
     * stop capturing and carry on. */
    if (nst_pcap_write(tap->pcap, tap->now + tap->pcap_offset, frame, len) < 0) {
        tap->stats.pcap_errors++;
        nst_pcap_close(tap->pcap);
        tap->pcap = NULL;
        return;
    }
    /* A bounded slice of a long run (its first frames) is what a reader of
     * the capture can use; the rest would only fill the disk. */
    if (++tap->stats.pcap_frames == tap->pcap_max_frames) {
        nst_pcap_close(tap->pcap);
        tap->pcap = NULL;
    }
}

/* Writes one frame to the kernel (behind an empty vnet header if the
 * device has them: checksums complete, no GSO). 0 or -errno. */
static int tap_write(struct nst_tap *tap, const uint8_t *frame, size_t len)
{
    uint8_t vh[NST_VNET_HLEN] = {0};
    struct iovec iov[2] = {{vh, sizeof(vh)}, {(void *)frame, len}};
    ssize_t n = tap->vnet ? writev(tap->fd, iov, 2) - (ssize_t)sizeof(vh) : write(tap->fd, frame, len);
    if (n < 0 || (size_t)n != len) {
        tap->stats.tx.errors++;
        return n < 0 ? -errno : -EIO;
    }
    tap->stats.tx.frames++;
    tap->stats.tx.bytes += len;
    capture(tap, frame, len);
    return 0;
}

static void tx_out(void *arg, const uint8_t *frame, size_t len) { tap_write(arg, frame, len); }


/* nst_link_ops.send. A frame the impairment drops or holds counts as sent,
 * as on a wire; only a frame written at once can report the kernel's error. */
static int tap_send(void *ctx, const uint8_t *frame, size_t len)
{
    struct nst_tap *tap = ctx;
    struct nst_impair *im = &tap->imp[NST_TAP_DIR_TX];
    if (nst_impair_is_clean(im))
        return tap_write(tap, frame, len);
    nst_impair_frame(im, tap->now, frame, len, tx_out, tap);
    return 0;
}

/* One segment of a TSO frame cut in software, sent as any frame. */
static void tx_send_one(void *arg, const uint8_t *frame, size_t len) { tap_send(arg, frame, len); }

/* Writes a frame in pieces with one writev, the payload straight from the
 * stack's send ring; the kernel finishes a partial checksum (or, delivering
 * locally, trusts it: CHECKSUM_PARTIAL) as virtio-net's NEEDS_CSUM asks. */
static int tap_write_frame(struct nst_tap *tap, const struct nst_frame *f)
{
    uint8_t vh[NST_VNET_HLEN];
    struct nst_vnet_hdr h;
    /* TSO: the kernel cuts it (virtio-net's GSO_TCPV4 or GSO_TCPV6, as a
     * guest's NIC driver would hand it over). */
    if (nst_vnet_hdr_for_frame(f, &h) < 0) {
        tap->stats.tx.errors++;
        return -EINVAL;
    }
    if (f->csum_partial)
        tap->stats.tx.csum_finished++;
    if (f->gso_size) {
        tap->stats.tx.gso_frames++;
        tap->stats.tx.gso_segments += (f->len - f->head_len + f->gso_size - 1) / f->gso_size;
    }
    nst_vnet_hdr_emit(&h, vh);
    struct iovec iov[4] = {{vh, sizeof(vh)}, {(void *)f->head, f->head_len}};
    int n = 2;
    for (int i = 0; i < 2; i++)
        if (f->frag_len[i])
            iov[n++] = (struct iovec){(void *)f->frag[i], f->frag_len[i]};
    ssize_t w = writev(tap->fd, iov, n) - (ssize_t)sizeof(vh);
    if (w < 0 || (size_t)w != f->len) {
        tap->stats.tx.errors++;
        return w < 0 ? -errno : -EIO;
    }
    tap->stats.tx.frames++;
    tap->stats.tx.bytes += f->len;
    return 0;
}

/* nst_link_ops.send_frame. Without a vnet header, with a capture (which
 * shows frames whole, checksums finished) or with impairment (which may
 * hold a frame) the frame is made whole first. */
static int tap_send_frame(void *ctx, const struct nst_frame *f)
{
    struct nst_tap *tap = ctx;
    if (f->len > TAP_FRAME_MAX)
        return -EMSGSIZE;
    if (tap->vnet && !tap->pcap && nst_impair_is_clean(&tap->imp[NST_TAP_DIR_TX]))
        return tap_write_frame(tap, f);
    nst_frame_copy(f, tap->txbuf);
    if (!f->gso_size)
        return tap_send(tap, tap->txbuf, f->len);
    /* A TSO frame the kernel is not to cut here: cut in software, each
     * segment whole and summed, then captured or impaired as any frame. */
    tap->stats.tx.gso_frames++;
    int n = nst_vnet_split_tcp(tap->txbuf, f->len, f->gso_size, tx_send_one, tap);
    if (n < 0)
        return n;
    tap->stats.tx.gso_segments += (uint64_t)n;
    return 0;
}

static void rx_out(void *arg, const uint8_t *frame, size_t len)
{
    struct nst_tap *tap = arg;
    if (!tap->st)
        return;
    tap->stats.rx.delivered++;
    nst_stack_input(tap->st, tap->ifindex, frame, len, tap->now);
}

int nst_tap_attach(struct nst_tap *tap, struct nst_stack *st, const struct nst_iface_config *ifc)
{
    if (!tap || !st || !ifc)
        return -EINVAL;
    if (tap->st)
        return -EBUSY;
    struct nst_iface_config c = *ifc;
    c.ops.send = tap_send;
    c.ops.send_frame = tap_send_frame;
    /* With a vnet header the kernel takes TCP frames up to 64 KB and cuts
     * them itself (TSO); the driver cuts them when capturing or impairing.
     * IPv6 too where the kernel took TSO6 (it then hands us such frames
     * as well, so it knows them). */
    c.gso_max = tap->vnet && tap->tso ? 65535 : 0;
    c.gso6_max = tap->vnet && tap->tso && tap->tso6 ? 65535 : 0;
    c.ctx = tap;
    if (!c.name)
        c.name = tap->name;
    if (!c.mtu) {
        int mtu = nst_tap_kernel_mtu(tap);
        c.mtu = mtu >= 68 ? (uint32_t)mtu : 1500;
    }
    int idx = nst_iface_add(st, &c);
    if (idx < 0)
        return idx;
    tap->st = st;
    tap->ifindex = idx;
    return idx;
}

/* A frame as the stack is to get it: captured, then through the rx
 * impairment. */
static void rx_frame(void *arg, const uint8_t *frame, size_t len)
{
    struct nst_tap *tap = arg;
    capture(tap, frame, len);
    if (tap->group)
        nst_arp_group_share(&tap->group->arp, &tap->inbox, frame, len);
    nst_impair_frame(&tap->imp[NST_TAP_DIR_RX], tap->now, frame, len, rx_out, tap);
}

/* A frame read behind a vnet header: finished or cut as it says. */
static void rx_vnet(struct nst_tap *tap, uint8_t *frame, size_t len, const struct nst_vnet_hdr *h)
{
    struct nst_tap_dir_stats *s = &tap->stats.rx;
    int gso = h->gso_type & (uint8_t)~NST_VNET_GSO_ECN;
    if (gso == NST_VNET_GSO_TCPV4 || gso == NST_VNET_GSO_TCPV6) {
        /* Every segment's checksum is computed anew: NEEDS_CSUM needs no
         * separate pass. The header's type must match the frame's. */
        int n = gso == NST_VNET_GSO_TCPV4 ? nst_vnet_split_tcp4(frame, len, h->gso_size, rx_frame, tap)
                                          : nst_vnet_split_tcp6(frame, len, h->gso_size, rx_frame, tap);
        if (n > 0) {
            s->gso_frames++;
            s->gso_segments += (uint64_t)n;
            return;
        }
    } else if (gso == NST_VNET_GSO_NONE) {
        if (!(h->flags & NST_VNET_F_NEEDS_CSUM)) {
            rx_frame(tap, frame, len);
            return;
        }
        if (nst_vnet_finish_csum(frame, len, h->csum_start, h->csum_offset) == 0) {
            s->csum_finished++;
            rx_frame(tap, frame, len);
            return;
        }
    }
    /* UDP GSO (never asked for), or a header that does not fit the frame
     * (an IPv6 one with extension headers among them): dropped, counted. */
    s->vnet_bad++;
    s->errors++;
}

/* One read(): 1 if a frame was read, 0 if the device is empty, -errno. */
static int read_one(struct nst_tap *tap)
{
    ssize_t n = read(tap->fd, tap->buf, sizeof(tap->buf));
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        if (errno == EINTR)
            return 0;
        tap->stats.rx.errors++;
        return -errno;
    }
    uint8_t *frame = tap->buf;
    size_t len = (size_t)n;
    struct nst_vnet_hdr vh;
    if (tap->vnet) {
        if (len < NST_VNET_HLEN) {
            tap->stats.rx.vnet_bad++;
            tap->stats.rx.errors++;
            return 1;
        }
        nst_vnet_hdr_parse(frame, &vh);
        frame += NST_VNET_HLEN;
        len -= NST_VNET_HLEN;
    }
    tap->stats.rx.frames++;
    tap->stats.rx.bytes += (uint64_t)len;
    if ((size_t)n > sizeof(tap->buf)) {
        tap->stats.rx.truncated++;
        return 1;
    }
    if (tap->vnet)
        rx_vnet(tap, frame, len, &vh);
    else
        rx_frame(tap, frame, len);
    return 1;
}

int nst_tap_receive(struct nst_tap *tap, nst_time_t now)
{
    if (now > tap->now)
        tap->now = now;
    int got = 0;
    while ((unsigned)got < tap->batch) {
        int rc = read_one(tap);
        if (rc < 0)
            return got ? got : rc;
        if (rc == 0)
            break;
        got++;
    }
    return got;
}

void nst_tap_advance(struct nst_tap *tap, nst_time_t now)
{
    if (now > tap->now)
        tap->now = now;
    nst_impair_release(&tap->imp[NST_TAP_DIR_RX], tap->now, rx_out, tap);
    nst_impair_release(&tap->imp[NST_TAP_DIR_TX], tap->now, tx_out, tap);
}

nst_time_t nst_tap_next_deadline(const struct nst_tap *tap)
{
    nst_time_t a = nst_impair_next(&tap->imp[0]), b = nst_impair_next(&tap->imp[1]);
    return a < b ? a : b;
}

void nst_tap_group_take(struct nst_tap *tap, nst_time_t now)
{
    if (now > tap->now)
        tap->now = now;
    if (tap->group)
        nst_arp_inbox_drain(&tap->inbox, rx_out, tap);
}
