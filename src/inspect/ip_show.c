/* `ip addr`, `ip neigh` and `ip route` for a stack, in iproute2's layout,
 * both families (-4 / -6 keep one):
 *
 *   0: eth0: mtu 1500 link/ether 02:00:00:00:00:01
 *       inet 10.0.1.2/24
 *       inet6 2001:db8:1::2/64 scope global
 *          valid_lft forever preferred_lft forever
 *       inet6 fe80::ff:fe00:1/64 scope link tentative
 *
 *   2001:db8:1::1 dev eth0 lladdr 02:00:00:00:00:02 router REACHABLE
 *   default via 2001:db8:1::1 dev eth0 proto static metric 0
 *
 * The IPv6 rows come from the layer's inspection calls (nst_iface_addr6_list,
 * nst_neigh6_list, nst_route6_list), the IPv4 ones from the interface, ARP
 * cache and routing table. */
#include <nstack/inspect.h>
#include <nstack/stack.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ROWS_MAX 1024

static const char *ifname(const struct nst_stack *st, int ifindex, char *buf, size_t len)
{
    struct nst_iface_info ii;
    if (nst_iface_get(st, ifindex, &ii) == 0)
        snprintf(buf, len, "%s", ii.name);
    else
        snprintf(buf, len, "if%d", ifindex);
    return buf;
}

/* A lifetime as iproute2 prints it: "forever" or whole seconds. */
static void print_lft(FILE *out, const char *what, nst_time_t left)
{
    if (left == NST_TIME_NEVER)
        fprintf(out, "%s forever", what);
    else
        fprintf(out, "%s %llusec", what, (unsigned long long)(left > 0 ? left / NST_SEC(1) : 0));
}

static void print_addr6(FILE *out, const struct nst_addr6_info *a)
{
    static const char *const states[] = {" tentative", "", " deprecated", " dadfailed tentative"};
    char s[NST_IP6_STRLEN];
    int link = a->addr.b[0] == 0xfe && (a->addr.b[1] & 0xc0) == 0x80;
    fprintf(out, "    inet6 %s/%u scope %s%s%s\n", nst_ip6_str(&a->addr, s), a->prefix_len, link ? "link" : "global",
            a->origin == NST_ADDR6_TEMPORARY ? " temporary dynamic" : a->origin == NST_ADDR6_SLAAC ? " dynamic" : "",
            a->state >= 0 && a->state < 4 ? states[a->state] : "");
    fprintf(out, "       ");
    print_lft(out, "valid_lft", a->valid_left);
    print_lft(out, " preferred_lft", a->preferred_left);
    fprintf(out, "\n");
}

static void ip_addr(struct nst_stack *st, const struct nst_ip_opts *o, FILE *out)
{
    for (int i = 0; i < nst_iface_count(st); i++) {
        struct nst_iface_info ii;
        char mac[18];
        if (nst_iface_get(st, i, &ii) < 0)
            continue;
        fprintf(out, "%d: %s: mtu %u link/ether %s\n", i, ii.name, ii.mtu, nst_mac_str(&ii.mac, mac));
        if (o->v4 && ii.addr) {
            char a[16];
            fprintf(out, "    inet %s/%u\n", nst_ip4_str(ii.addr, a), ii.prefix_len);
        }
        struct nst_addr6_info v[NST_IP6_MAX_ADDRS];
        int n = o->v6 ? nst_iface_addr6_list(st, i, v, NST_IP6_MAX_ADDRS) : 0;
        for (int k = 0; k < n && k < NST_IP6_MAX_ADDRS; k++)
            print_addr6(out, &v[k]);
    }
}

static int ip_neigh(struct nst_stack *st, const struct nst_ip_opts *o, FILE *out)
{
    static const char *const arp_states[] = {"INCOMPLETE", "REACHABLE", "STALE", "PROBE", "PERMANENT"};
    static const char *const nd_states[] = {"INCOMPLETE", "REACHABLE", "STALE", "DELAY", "PROBE", "PERMANENT"};
    char dev[16], a[NST_IP6_STRLEN], mac[18];
    struct nst_arp_info *arp = calloc(ROWS_MAX, sizeof(*arp));
    struct nst_neigh6_info *nd = calloc(ROWS_MAX, sizeof(*nd));
    if (!arp || !nd) {
        free(arp);
        free(nd);
        return -ENOMEM;
    }
    int n = o->v4 ? nst_arp_list(st, arp, ROWS_MAX) : 0;
    for (int i = 0; i < n && i < ROWS_MAX; i++) {
        fprintf(out, "%s dev %s", nst_ip4_str(arp[i].addr, a), ifname(st, arp[i].ifindex, dev, sizeof(dev)));
        if (arp[i].resolved)
            fprintf(out, " lladdr %s", nst_mac_str(&arp[i].mac, mac));
        fprintf(out, " %s\n", arp[i].state >= 0 && arp[i].state < 5 ? arp_states[arp[i].state] : "?");
    }
    n = o->v6 ? nst_neigh6_list(st, nd, ROWS_MAX) : 0;
    for (int i = 0; i < n && i < ROWS_MAX; i++) {
        fprintf(out, "%s dev %s", nst_ip6_str(&nd[i].addr, a), ifname(st, nd[i].ifindex, dev, sizeof(dev)));
        if (nd[i].state != NST_NEIGH6_INCOMPLETE)
            fprintf(out, " lladdr %s", nst_mac_str(&nd[i].mac, mac));
        fprintf(out, "%s %s\n", nd[i].is_router ? " router" : "",
                nd[i].state >= 0 && nd[i].state < 6 ? nd_states[nd[i].state] : "?");
    }
    free(arp);
    free(nd);
    return 0;
}

static void print_prefix6(FILE *out, const nst_ip6_t *dst, unsigned len)
{
    char a[NST_IP6_STRLEN];
    if (len == 0)
        fprintf(out, "default");
    else
        fprintf(out, "%s/%u", nst_ip6_str(dst, a), len);
}

static int ip_route(struct nst_stack *st, const struct nst_ip_opts *o, FILE *out)
{
    static const char *const origins[] = {"kernel", "static", "ra", "redirect"};
    char dev[16], a[NST_IP6_STRLEN];
    struct nst_route *r4 = calloc(ROWS_MAX, sizeof(*r4));
    struct nst_route6 *r6 = calloc(ROWS_MAX, sizeof(*r6));
    if (!r4 || !r6) {
        free(r4);
        free(r6);
        return -ENOMEM;
    }
    int n = o->v4 ? nst_route_list(st, r4, ROWS_MAX) : 0;
    for (int i = 0; i < n && i < ROWS_MAX; i++) {
        if (r4[i].prefix_len == 0)
            fprintf(out, "default");
        else
            fprintf(out, "%s/%u", nst_ip4_str(r4[i].dst, a), r4[i].prefix_len);
        if (r4[i].gateway)
            fprintf(out, " via %s", nst_ip4_str(r4[i].gateway, a));
        fprintf(out, " dev %s metric %u\n", ifname(st, r4[i].ifindex, dev, sizeof(dev)), r4[i].metric);
    }
    n = o->v6 ? nst_route6_list(st, r6, ROWS_MAX) : 0;
    static const nst_ip6_t on_link;
    for (int i = 0; i < n && i < ROWS_MAX; i++) {
        print_prefix6(out, &r6[i].dst, r6[i].prefix_len);
        if (memcmp(&r6[i].gateway, &on_link, sizeof(on_link)) != 0)
            fprintf(out, " via %s", nst_ip6_str(&r6[i].gateway, a));
        fprintf(out, " dev %s proto %s metric %u\n", ifname(st, r6[i].ifindex, dev, sizeof(dev)),
                r6[i].origin >= 0 && r6[i].origin < 4 ? origins[r6[i].origin] : "?", r6[i].metric);
    }
    free(r4);
    free(r6);
    return 0;
}

static int fail(char *err, size_t errlen, const char *fmt, const char *arg)
{
    snprintf(err, errlen, fmt, arg);
    return -EINVAL;
}

int nst_ip_parse(int argc, char *const argv[], struct nst_ip_opts *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof(*o));
    int v4 = 0, v6 = 0, i = 0;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-4") == 0)
            v4 = 1;
        else if (strcmp(argv[i], "-6") == 0)
            v6 = 1;
        else
            return fail(err, errlen, "unknown option '%s' (-4, -6)", argv[i]);
    }
    if (v4 && v6)
        return fail(err, errlen, "%s", "-4 and -6 exclude each other (neither: both families)");
    o->v4 = !v6;
    o->v6 = !v4;
    if (i >= argc)
        return fail(err, errlen, "%s", "say what to show: addr, neigh or route");
    if (i + 1 < argc)
        return fail(err, errlen, "unexpected argument '%s'", argv[i + 1]);
    /* iproute2's abbreviations: a, addr, address; n, neigh, neighbour; r, route. */
    const char *w = argv[i];
    if (!strcmp(w, "a") || !strcmp(w, "addr") || !strcmp(w, "address"))
        o->what = NST_IP_ADDR;
    else if (!strcmp(w, "n") || !strcmp(w, "neigh") || !strcmp(w, "neighbour") || !strcmp(w, "neighbor"))
        o->what = NST_IP_NEIGH;
    else if (!strcmp(w, "r") || !strcmp(w, "route"))
        o->what = NST_IP_ROUTE;
    else
        return fail(err, errlen, "unknown object '%s' (addr, neigh, route)", w);
    return 0;
}

int nst_ip_print(struct nst_stack *st, const struct nst_ip_opts *o, FILE *out)
{
    if (o->what == NST_IP_ADDR) {
        ip_addr(st, o, out);
        return 0;
    }
    return o->what == NST_IP_NEIGH ? ip_neigh(st, o, out) : ip_route(st, o, out);
}
