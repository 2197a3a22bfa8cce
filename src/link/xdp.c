/* The AF_XDP link driver: see <nstack/xdp.h>.
 *
 * The UMEM is one anonymous mapping cut into 4096-byte buffers: the first
 * half receives (each always either in the fill ring, in the RX ring, or
 * for an instant here), the second half sends (each free on a stack here,
 * in the TX ring, in the kernel, or in the completion ring). The fill ring
 * can hold every receive buffer and the TX ring every send buffer, so a
 * reservation on either never fails when a buffer is at hand.
 *
 * The stack copies what it keeps of a received frame, so a receive buffer
 * goes back to the fill ring as soon as its frame is handed over; a batch's
 * buffers go back together. A frame sent is written straight into a send
 * buffer (nst_frame_copy finishes the TCP checksum in the same pass) and
 * waits in the TX ring for the kick that nst_xdp_flush gives for the whole
 * turn's output, or that a send gives when `batch` frames are waiting.
 *
 * The XDP program (xdp_redirect.bpf.c) is compiled at build time and
 * embedded (xdp_prog.h); libbpf opens it from memory and libxdp attaches it
 * (alone, or behind libxdp's dispatcher when /sys/fs/bpf is mounted, so
 * other XDP programs can share the interface). */
#include <nstack/xdp.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include <xdp/xsk.h>

#include "link/arp_share.h"
#include "link/ifreq.h"
#include "link/impair.h"
#include "link/xdp_prog.h"

#define XDP_FRAME_SIZE XSK_UMEM__DEFAULT_FRAME_SIZE /* 4096 */
/* Received frames start XDP_PACKET_HEADROOM into their buffer; a frame
 * sent may use the whole buffer. The MTU stays below both. */
#define XDP_MTU_MAX (XDP_FRAME_SIZE - XDP_PACKET_HEADROOM - 64)
#define XDP_FRAMES_DEFAULT 4096
#define XDP_RING_DEFAULT 2048
#define XDP_BATCH_DEFAULT 64
#define XDP_HOLD_DEFAULT 1024
/* The kernel's copy-mode transmit sends at most 32 frames per wake-up
 * (net/xdp/xsk.c TX_BATCH_SIZE) and asks for another with EAGAIN. */
#define XDP_KICKS_MAX 128

/* The drivers on one interface's queues, one per stack (thread), share the
 * program, and the ARP packets any of them receives (arp_share.h). */
struct nst_xdp_program {
    struct bpf_object *obj;
    struct xdp_program *prog;
    int ifindex;
    enum xdp_attach_mode mode;
    int xsks_fd, addr_fd;
    /* The drivers using it, by queue (they join before their threads run
     * and leave after). */
    struct nst_arp_group arp;
};

struct nst_xdp {
    char name[IF_NAMESIZE];
    int ifindex;                /* the kernel's */
    unsigned queue;
    struct nst_xdp_program *program;
    int own_program;            /* loaded here: detached on close */
    void *area;                 /* the UMEM */
    size_t area_len;
    struct xsk_umem *umem;
    struct xsk_socket *xsk;
    struct xsk_ring_prod fill, tx;
    struct xsk_ring_cons comp, rx;
    unsigned ring;
    int zerocopy;
    uint64_t *free_tx;          /* send buffers at hand (their UMEM addresses) */
    unsigned nfree;
    unsigned tx_waiting;        /* frames in the TX ring since the last kick */
    unsigned batch;
    nst_time_t now;
    struct nst_stack *st;
    int st_ifindex;
    struct nst_impair imp[2];
    struct nst_xdp_stats stats;
    struct nst_arp_inbox inbox; /* ARP posted by the other drivers of the program */
    uint8_t txbuf[XDP_FRAME_SIZE]; /* a frame made whole for the tx impairment */
};

void nst_xdp_config_default(struct nst_xdp_config *c)
{
    memset(c, 0, sizeof(*c));
    c->frames = XDP_FRAMES_DEFAULT;
    c->ring = XDP_RING_DEFAULT;
    c->batch = XDP_BATCH_DEFAULT;
    c->hold_max = XDP_HOLD_DEFAULT;
    c->seed = 1;
}

static int explain(int err, char *why, size_t why_len, const char *what, const char *hint)
{
    if (why && why_len)
        snprintf(why, why_len, "%s: %s%s%s", what, strerror(-err), hint ? ". " : "", hint ? hint : "");
    return err;
}

/* libxdp says what it falls back to (no bpffs: no dispatcher) as warnings;
 * the driver explains its own failures, so only its debug-free errors of
 * substance would matter, and those come back as error codes. */
static int quiet_libxdp(enum libxdp_print_level level, const char *fmt, va_list ap)
{
    (void)level;
    (void)fmt;
    (void)ap;
    return 0;
}

/* libbpf warns about sections it does not know in the objects libxdp opens
 * for itself (its dispatcher's xdp_metadata): noise for nstack's user.
 * Its other warnings (a verifier's refusal) go to stderr as by default. */
static int filter_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
    if (level != LIBBPF_WARN || strstr(fmt, "skipping unrecognized data section"))
        return 0;
    return vfprintf(stderr, fmt, ap);
}

/* ---- the XDP program ---------------------------------------------------- */

static void program_free(struct nst_xdp_program *p)
{
    if (!p)
        return;
    if (p->prog) {
        if (p->ifindex > 0)
            xdp_program__detach(p->prog, p->ifindex, p->mode, 0);
        xdp_program__close(p->prog);
    }
    /* xdp_program__from_bpf_obj leaves the object to its opener. */
    bpf_object__close(p->obj);
    free(p);
}

static const char *attach_hint(int err)
{
    switch (err) {
    case -EEXIST:
    case -EBUSY:
        return "Another XDP program is attached (a stale nstack one after a crash?): "
               "see `xdp-loader status`, remove it with `xdp-loader unload IFNAME --all`";
    case -EPERM:
        return "Loading XDP programs needs root (CAP_BPF and CAP_NET_ADMIN)";
    case -EOPNOTSUPP:
        return "The device's driver has no native XDP: try generic mode";
    default: return NULL;
    }
}

static int program_attach(struct nst_xdp_program *p, enum nst_xdp_mode mode)
{
    if (mode != NST_XDP_MODE_GENERIC) {
        p->mode = XDP_MODE_NATIVE;
        int err = xdp_program__attach(p->prog, p->ifindex, p->mode, 0);
        if (err == 0 || mode == NST_XDP_MODE_NATIVE)
            return err;
    }
    p->mode = XDP_MODE_SKB;
    return xdp_program__attach(p->prog, p->ifindex, p->mode, 0);
}

static int program_load(int ifindex, const char *ifname, nst_ip4_t addr, enum nst_xdp_mode mode,
                        struct nst_xdp_program **out, char *why, size_t why_len)
{
    libxdp_set_print(quiet_libxdp);
    libbpf_set_print(filter_libbpf);
    struct nst_xdp_program *p = calloc(1, sizeof(*p));
    if (!p)
        return explain(-ENOMEM, why, why_len, "cannot allocate the XDP program", NULL);
    p->obj = bpf_object__open_mem(nst_xdp_redirect_obj, nst_xdp_redirect_obj_len, NULL);
    int err = p->obj ? 0 : -errno;
    if (!err) {
        p->prog = xdp_program__from_bpf_obj(p->obj, "xdp");
        err = libxdp_get_error(p->prog);
        if (err)
            p->prog = NULL;
    }
    if (err) {
        program_free(p);
        return explain(err, why, why_len, "cannot open nstack's XDP program", NULL);
    }
    p->ifindex = ifindex;
    err = program_attach(p, mode);
    if (err) {
        p->ifindex = 0;
        program_free(p);
        char what[96];
        snprintf(what, sizeof(what), "cannot attach the XDP program to %s", ifname);
        return explain(err, why, why_len, what, attach_hint(err));
    }
    p->xsks_fd = bpf_object__find_map_fd_by_name(p->obj, "xsks_map");
    p->addr_fd = bpf_object__find_map_fd_by_name(p->obj, "nst_addr");
    uint32_t key = 0, a = htonl(addr);
    err = p->xsks_fd < 0 || p->addr_fd < 0 ? -ENOENT : 0;
    if (!err && bpf_map_update_elem(p->addr_fd, &key, &a, BPF_ANY) < 0)
        err = -errno;
    if (err) {
        program_free(p);
        return explain(err, why, why_len, "cannot set up the XDP program's maps", NULL);
    }
    *out = p;
    return 0;
}

struct nst_xdp_program *nst_xdp_program(const struct nst_xdp *x) { return x->program; }

/* ---- the socket --------------------------------------------------------- */

static uint64_t rx_buffer(unsigned i) { return (uint64_t)i * XDP_FRAME_SIZE; }

/* Gives every receive buffer to the kernel. */
static int fill_all(struct nst_xdp *x, unsigned n)
{
    uint32_t idx = 0;
    if (xsk_ring_prod__reserve(&x->fill, n, &idx) != n)
        return -ENOSPC;
    for (unsigned i = 0; i < n; i++)
        *xsk_ring_prod__fill_addr(&x->fill, idx + i) = rx_buffer(i);
    xsk_ring_prod__submit(&x->fill, n);
    return 0;
}

static int umem_setup(struct nst_xdp *x, unsigned frames)
{
    x->area_len = (size_t)frames * XDP_FRAME_SIZE;
    x->area = mmap(NULL, x->area_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (x->area == MAP_FAILED) {
        x->area = NULL;
        return -errno;
    }
    struct xsk_umem_config uc = {
        .fill_size = x->ring,
        .comp_size = x->ring,
        .frame_size = XDP_FRAME_SIZE,
        .frame_headroom = 0,
        .flags = 0,
    };
    int err = xsk_umem__create(&x->umem, x->area, x->area_len, &x->fill, &x->comp, &uc);
    if (err) {
        x->umem = NULL;
        return err;
    }
    unsigned half = frames / 2;
    x->free_tx = calloc(half, sizeof(*x->free_tx));
    if (!x->free_tx)
        return -ENOMEM;
    for (unsigned i = 0; i < half; i++)
        x->free_tx[x->nfree++] = rx_buffer(half + i);
    return 0;
}

static int socket_create(struct nst_xdp *x, uint16_t bind_flags)
{
    struct xsk_socket_config sc = {
        .rx_size = x->ring,
        .tx_size = x->ring,
        .libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD, /* the program is ours */
        .xdp_flags = 0,
        .bind_flags = (uint16_t)(bind_flags | XDP_USE_NEED_WAKEUP),
    };
    int err = xsk_socket__create(&x->xsk, x->name, x->queue, x->umem, &x->rx, &x->tx, &sc);
    if (err)
        x->xsk = NULL;
    return err;
}

/* Zero-copy first (unless copy was asked for), else copy mode. */
static int socket_bind(struct nst_xdp *x, int copy)
{
    if (!copy && socket_create(x, XDP_ZEROCOPY) == 0) {
        x->zerocopy = 1;
        return 0;
    }
    return socket_create(x, XDP_COPY);
}

static int config_check(const struct nst_xdp_config *c, char *why, size_t why_len)
{
    if (!c->ifname || !*c->ifname || strlen(c->ifname) >= IF_NAMESIZE)
        return explain(-EINVAL, why, why_len, "an interface name is required", "At most 15 characters");
    if (c->queue >= NST_XDP_MAX_QUEUES)
        return explain(-EINVAL, why, why_len, "queue number too high", "nstack's XDP program maps queues 0 to 63");
    if (!c->addr)
        return explain(-EINVAL, why, why_len, "nstack's address is required", "The XDP program redirects only it");
    if (c->ring & (c->ring - 1) || c->ring > c->frames / 2)
        return explain(-EINVAL, why, why_len, "bad ring size", "A power of 2, at most half the UMEM's frames");
    return 0;
}

static int xdp_setup(struct nst_xdp *x, const struct nst_xdp_config *c, char *why, size_t why_len)
{
    snprintf(x->name, sizeof(x->name), "%s", c->ifname);
    x->queue = c->queue;
    x->batch = c->batch ? c->batch : XDP_BATCH_DEFAULT;
    x->ring = c->ring;
    x->st_ifindex = -1;
    x->ifindex = (int)if_nametoindex(c->ifname);
    if (!x->ifindex)
        return explain(-errno, why, why_len, "no such interface", NULL);
    for (int d = 0; d < 2; d++) {
        int err = nst_impair_init(&x->imp[d], d == NST_TAP_DIR_TX ? &c->tx : &c->rx,
                                  c->seed + (uint64_t)d * 0x9e3779b97f4a7c15ULL, c->hold_max,
                                  d == NST_TAP_DIR_TX ? &x->stats.tx : &x->stats.rx);
        if (err)
            return explain(err, why, why_len, "cannot allocate the impairment queues", NULL);
    }
    int err = umem_setup(x, c->frames);
    if (err)
        return explain(err, why, why_len, "cannot create the UMEM",
                       err == -EPERM || err == -ENOMEM ? "Raise the locked-memory limit (ulimit -l)" : NULL);
    if (c->program) {
        x->program = c->program;
        if (x->program->arp.members[x->queue])
            return explain(-EBUSY, why, why_len, "that queue has an nstack socket already", NULL);
    } else {
        err = program_load(x->ifindex, x->name, c->addr, c->mode, &x->program, why, why_len);
        if (err)
            return err;
        x->own_program = 1;
    }
    err = socket_bind(x, c->copy);
    if (err) {
        char what[96];
        snprintf(what, sizeof(what), "cannot bind an AF_XDP socket to %s queue %u", x->name, x->queue);
        return explain(err, why, why_len, what,
                       err == -EINVAL ? "Does the interface have that queue? (ethtool -l)" : NULL);
    }
    err = xsk_socket__update_xskmap(x->xsk, x->program->xsks_fd);
    if (!err)
        err = fill_all(x, c->frames / 2);
    if (err)
        return explain(err, why, why_len, "cannot enter the socket into the XDP program's map", NULL);
    err = nst_arp_inbox_init(&x->inbox);
    if (err)
        return explain(err, why, why_len, "cannot create the ARP inbox's eventfd", NULL);
    nst_arp_group_join(&x->program->arp, x->queue, &x->inbox);
    return 0;
}

int nst_xdp_open(const struct nst_xdp_config *cfg, struct nst_xdp **out, char *why, size_t why_len)
{
    *out = NULL;
    int err = config_check(cfg, why, why_len);
    if (err)
        return err;
    struct nst_xdp *x = calloc(1, sizeof(*x));
    if (!x)
        return explain(-ENOMEM, why, why_len, "cannot allocate the AF_XDP driver", NULL);
    x->inbox.efd = -1;
    err = xdp_setup(x, cfg, why, why_len);
    if (err) {
        nst_xdp_close(x);
        return err;
    }
    *out = x;
    return 0;
}

void nst_xdp_close(struct nst_xdp *x)
{
    if (!x)
        return;
    if (x->program)
        nst_arp_group_leave(&x->program->arp, x->queue, &x->inbox);
    if (x->inbox.efd >= 0)
        nst_arp_inbox_fini(&x->inbox);
    if (x->xsk) {
        /* Out of the map first: frames for this queue pass to the kernel. */
        uint32_t key = x->queue;
        if (x->program)
            bpf_map_delete_elem(x->program->xsks_fd, &key);
        xsk_socket__delete(x->xsk);
    }
    if (x->umem)
        xsk_umem__delete(x->umem);
    if (x->own_program)
        program_free(x->program);
    if (x->area)
        munmap(x->area, x->area_len);
    free(x->free_tx);
    nst_impair_fini(&x->imp[0]);
    nst_impair_fini(&x->imp[1]);
    free(x);
}

int nst_xdp_fd(const struct nst_xdp *x) { return xsk_socket__fd(x->xsk); }
const char *nst_xdp_name(const struct nst_xdp *x) { return x->name; }
unsigned nst_xdp_queue(const struct nst_xdp *x) { return x->queue; }
int nst_xdp_zerocopy(const struct nst_xdp *x) { return x->zerocopy; }
int nst_xdp_native(const struct nst_xdp *x) { return x->program->mode == XDP_MODE_NATIVE; }

int nst_xdp_kernel_mtu(const struct nst_xdp *x)
{
    struct ifreq ifr;
    int rc = nst_ifreq_get(x->name, SIOCGIFMTU, &ifr);
    return rc ? rc : ifr.ifr_mtu;
}

int nst_xdp_kernel_mac(const struct nst_xdp *x, struct nst_mac *mac)
{
    struct ifreq ifr;
    int rc = nst_ifreq_get(x->name, SIOCGIFHWADDR, &ifr);
    if (!rc)
        memcpy(mac->b, ifr.ifr_hwaddr.sa_data, 6);
    return rc;
}

const struct nst_xdp_stats *nst_xdp_stats(struct nst_xdp *x)
{
    x->stats.arp_shared = x->inbox.shared;
    x->stats.arp_from_others = x->inbox.taken;
    x->stats.arp_inbox_drops = __atomic_load_n(&x->inbox.drops, __ATOMIC_RELAXED);
    struct xdp_statistics ks;
    socklen_t len = sizeof(ks);
    if (x->xsk && getsockopt(nst_xdp_fd(x), SOL_XDP, XDP_STATISTICS, &ks, &len) == 0) {
        x->stats.k_rx_dropped = ks.rx_dropped;
        x->stats.k_rx_invalid = ks.rx_invalid_descs;
        x->stats.k_tx_invalid = ks.tx_invalid_descs;
        x->stats.k_rx_ring_full = ks.rx_ring_full;
        x->stats.k_fill_empty = ks.rx_fill_ring_empty_descs;
        x->stats.k_tx_ring_empty = ks.tx_ring_empty_descs;
    }
    return &x->stats;
}

/* ---- sending ------------------------------------------------------------ */

/* Takes back the send buffers the kernel finished with. */
static void reclaim(struct nst_xdp *x)
{
    uint32_t idx = 0;
    unsigned n = xsk_ring_cons__peek(&x->comp, x->ring, &idx);
    for (unsigned i = 0; i < n; i++)
        x->free_tx[x->nfree++] = *xsk_ring_cons__comp_addr(&x->comp, idx + i);
    if (n)
        xsk_ring_cons__release(&x->comp, n);
}

/* Wakes the kernel's transmit until it took the TX ring's frames (copy
 * mode sends 32 per call) or says it cannot now. */
static void kick(struct nst_xdp *x)
{
    if (!x->tx_waiting)
        return;
    x->tx_waiting = 0;
    if (!xsk_ring_prod__needs_wakeup(&x->tx))
        return;
    for (int i = 0; i < XDP_KICKS_MAX; i++) {
        x->stats.kicks++;
        if (sendto(nst_xdp_fd(x), NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0 || errno != EAGAIN)
            return;
        /* EAGAIN: more to send, or the device is busy: take back what it
         * finished and go on while it makes progress. */
        reclaim(x);
    }
}

/* A send buffer, taking back finished ones (and kicking to get them) if
 * none is at hand. 0, or -ENOBUFS (counted). */
static int tx_buffer(struct nst_xdp *x, uint64_t *addr)
{
    if (!x->nfree)
        reclaim(x);
    if (!x->nfree) {
        x->tx_waiting = 1; /* the ring may hold frames from an earlier kick's EAGAIN */
        kick(x);
        reclaim(x);
    }
    if (!x->nfree) {
        /* Dropped: the kernel has not sent what it was given (TCP recovers
         * it as a loss). */
        x->stats.tx.errors++;
        x->stats.tx_ring_full++;
        return -ENOBUFS;
    }
    *addr = x->free_tx[--x->nfree];
    return 0;
}

/* Puts a buffer holding a len-byte frame into the TX ring. */
static void tx_submit(struct nst_xdp *x, uint64_t addr, size_t len)
{
    uint32_t idx = 0;
    /* Never fails: the ring has a slot for every send buffer. */
    xsk_ring_prod__reserve(&x->tx, 1, &idx);
    struct xdp_desc *d = xsk_ring_prod__tx_desc(&x->tx, idx);
    d->addr = addr;
    d->len = (uint32_t)len;
    xsk_ring_prod__submit(&x->tx, 1);
    x->stats.tx.frames++;
    x->stats.tx.bytes += len;
    if (++x->tx_waiting >= x->batch)
        kick(x);
}

static int tx_copy(struct nst_xdp *x, const uint8_t *frame, size_t len)
{
    uint64_t addr;
    if (len > XDP_FRAME_SIZE) {
        x->stats.tx.errors++;
        return -EMSGSIZE;
    }
    if (tx_buffer(x, &addr))
        return -ENOBUFS;
    memcpy(xsk_umem__get_data(x->area, addr), frame, len);
    tx_submit(x, addr, len);
    return 0;
}

static void tx_out(void *arg, const uint8_t *frame, size_t len) { tx_copy(arg, frame, len); }

/* nst_link_ops.send. A frame the impairment drops or holds counts as sent. */
static int xdp_send(void *ctx, const uint8_t *frame, size_t len)
{
    struct nst_xdp *x = ctx;
    struct nst_impair *im = &x->imp[NST_TAP_DIR_TX];
    if (nst_impair_is_clean(im))
        return tx_copy(x, frame, len);
    nst_impair_frame(im, x->now, frame, len, tx_out, x);
    return 0;
}

/* nst_link_ops.send_frame: header and payload copied into the send buffer
 * with the checksum finished in the same pass. */
static int xdp_send_frame(void *ctx, const struct nst_frame *f)
{
    struct nst_xdp *x = ctx;
    uint64_t addr;
    if (f->len > XDP_FRAME_SIZE) {
        x->stats.tx.errors++;
        return -EMSGSIZE;
    }
    if (!nst_impair_is_clean(&x->imp[NST_TAP_DIR_TX])) {
        nst_frame_copy(f, x->txbuf);
        return xdp_send(x, x->txbuf, f->len);
    }
    if (tx_buffer(x, &addr))
        return -ENOBUFS;
    nst_frame_copy(f, xsk_umem__get_data(x->area, addr));
    tx_submit(x, addr, f->len);
    return 0;
}

void nst_xdp_flush(struct nst_xdp *x)
{
    kick(x);
    reclaim(x);
}

/* ---- receiving ---------------------------------------------------------- */

int nst_xdp_attach(struct nst_xdp *x, struct nst_stack *st, const struct nst_iface_config *ifc)
{
    if (!x || !st || !ifc)
        return -EINVAL;
    if (x->st)
        return -EBUSY;
    struct nst_iface_config c = *ifc;
    c.ops.send = xdp_send;
    c.ops.send_frame = xdp_send_frame;
    c.gso_max = 0;
    c.ctx = x;
    if (!c.name)
        c.name = x->name;
    if (!c.mtu) {
        int mtu = nst_xdp_kernel_mtu(x);
        c.mtu = mtu >= 68 ? (uint32_t)mtu : 1500;
    }
    if (c.mtu > XDP_MTU_MAX)
        c.mtu = XDP_MTU_MAX;
    int idx = nst_iface_add(st, &c);
    if (idx < 0)
        return idx;
    x->st = st;
    x->st_ifindex = idx;
    return idx;
}

static void rx_out(void *arg, const uint8_t *frame, size_t len)
{
    struct nst_xdp *x = arg;
    if (!x->st)
        return;
    x->stats.rx.delivered++;
    nst_stack_input(x->st, x->st_ifindex, frame, len, x->now);
}

/* Gives n buffers back to the fill ring; a kernel waiting for buffers
 * (need_wakeup) is told. */
static void refill(struct nst_xdp *x, const uint64_t *addrs, unsigned n)
{
    uint32_t idx = 0;
    /* Never short: the fill ring has room for every receive buffer. */
    xsk_ring_prod__reserve(&x->fill, n, &idx);
    for (unsigned i = 0; i < n; i++)
        *xsk_ring_prod__fill_addr(&x->fill, idx + i) = addrs[i];
    xsk_ring_prod__submit(&x->fill, n);
    if (xsk_ring_prod__needs_wakeup(&x->fill))
        recvfrom(nst_xdp_fd(x), NULL, 0, MSG_DONTWAIT, NULL, NULL);
}

int nst_xdp_receive(struct nst_xdp *x, nst_time_t now)
{
    if (now > x->now)
        x->now = now;
    uint64_t addrs[256];
    unsigned want = x->batch < 256 ? x->batch : 256;
    uint32_t idx = 0;
    unsigned n = xsk_ring_cons__peek(&x->rx, want, &idx);
    for (unsigned i = 0; i < n; i++) {
        const struct xdp_desc *d = xsk_ring_cons__rx_desc(&x->rx, idx + i);
        uint8_t *frame = xsk_umem__get_data(x->area, d->addr);
        /* The buffer's start: the descriptor points at the frame inside it. */
        addrs[i] = xsk_umem__extract_addr(d->addr) & ~(uint64_t)(XDP_FRAME_SIZE - 1);
        x->stats.rx.frames++;
        x->stats.rx.bytes += d->len;
        nst_arp_group_share(&x->program->arp, &x->inbox, frame, d->len);
        nst_impair_frame(&x->imp[NST_TAP_DIR_RX], x->now, frame, d->len, rx_out, x);
    }
    if (n) {
        xsk_ring_cons__release(&x->rx, n);
        refill(x, addrs, n);
    }
    return (int)n;
}

void nst_xdp_advance(struct nst_xdp *x, nst_time_t now)
{
    if (now > x->now)
        x->now = now;
    nst_impair_release(&x->imp[NST_TAP_DIR_RX], x->now, rx_out, x);
    nst_impair_release(&x->imp[NST_TAP_DIR_TX], x->now, tx_out, x);
}

nst_time_t nst_xdp_next_deadline(const struct nst_xdp *x)
{
    nst_time_t a = nst_impair_next(&x->imp[0]), b = nst_impair_next(&x->imp[1]);
    return a < b ? a : b;
}

static void inbox_ready(void *arg, int fd, uint32_t events, nst_time_t now)
{
    (void)fd;
    (void)events;
    struct nst_xdp *x = arg;
    if (now > x->now)
        x->now = now;
    nst_arp_inbox_drain(&x->inbox, rx_out, x);
}

static int link_receive(void *ctx, nst_time_t now) { return nst_xdp_receive(ctx, now); }
static void link_advance(void *ctx, nst_time_t now) { nst_xdp_advance(ctx, now); }
static nst_time_t link_deadline(const void *ctx) { return nst_xdp_next_deadline(ctx); }
static void link_flush(void *ctx) { nst_xdp_flush(ctx); }

int nst_runloop_add_xdp(struct nst_runloop *rl, struct nst_xdp *x)
{
    if (!x)
        return -EINVAL;
    struct nst_runloop_link l = {nst_xdp_fd(x), link_receive, link_advance, link_deadline, link_flush, x};
    int err = nst_runloop_add_link(rl, &l);
    if (!err)
        err = nst_runloop_add_fd(rl, x->inbox.efd, EPOLLIN, inbox_ready, x);
    return err;
}
