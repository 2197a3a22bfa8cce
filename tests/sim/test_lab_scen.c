/* The lab's CDN, multiplexed-ports, HTTP/2 head-of-line, error-checked,
 * flow-control, congestion-control and demultiplexing scenarios
 * (src/lab/lab_cdn_app.c, lab_ports_app.c, lab_h2hol_app.c,
 * lab_stream_app.c) run whole on the simulator with the demo's seed: their
 * own checks hold, and the figures they print are the exact ones virtual
 * time gives. */
#include "test.h"

#include <nstack/lab.h>

#include "support/lab_util.h"

#include <stdlib.h>

static void cdn_edge_scenario(void)
{
    int rc;
    char *text = lab_run_scenario(nst_demo_cdn_edge, &rc);
    CHECK_EQ(rc, 0);
    /* Sums of round trips, to the microsecond printed (the checks compare nanoseconds). */
    CHECK(strstr(text, "  direct to New York                         240.000 ms      80.000 ms\n") != NULL);
    CHECK(strstr(text, "  through the edge, edge cold                255.000 ms      85.000 ms\n") != NULL);
    CHECK(strstr(text, "  through the edge, edge warm (new user)      95.000 ms      85.000 ms\n") != NULL);
    CHECK(strstr(text, "[ok] the edge opened one connection to the origin (one SYN) and reused it 5 times\n") != NULL);
    CHECK(strstr(text, "FAILED") == NULL);
    free(text);
}

static void ports_multiplexed_scenario(void)
{
    int rc;
    char *text = lab_run_scenario(nst_demo_ports_multiplexed, &rc);
    CHECK_EQ(rc, 0);
    CHECK(strstr(text, "  16385 answered, 0 failed; connections opened: 1; streams: 16385, at most 100 at once\n") !=
          NULL);
    CHECK(strstr(text, "  last answer after 13.201 s") != NULL);
    CHECK(strstr(text, "[ok] one connection, one ephemeral port, no EADDRNOTAVAIL\n") != NULL);
    CHECK(strstr(text, "FAILED") == NULL);
    free(text);
}

static void h2_head_of_line_scenario(void)
{
    int rc;
    char *text = lab_run_scenario(nst_demo_h2_head_of_line, &rc);
    CHECK_EQ(rc, 0);
    CHECK(strstr(text, "(16 lost, both series, both ways)") != NULL);
    CHECK(strstr(text, "  HTTP/2, one connection       680.559 ms   721.013 ms    38/100     139.455 ms\n") != NULL);
    CHECK(strstr(text, "  HTTP/1.1, 6 connections     1441.381 ms  1921.541 ms    83/100     600.242 ms\n") != NULL);
    CHECK(strstr(text, "  35 of 100 streams held back by other streams' lost segments") != NULL);
    CHECK(strstr(text, "one repaired hole released 20 streams at once") != NULL);
    CHECK(strstr(text, "FAILED") == NULL);
    int rc2;
    char *again = lab_run_scenario(nst_demo_h2_head_of_line, &rc2);
    CHECK(strcmp(text, again) == 0);
    free(text);
    free(again);
}

static void error_checked_scenario(void)
{
    int rc;
    char *text = lab_run_scenario(nst_demo_error_checked, &rc);
    CHECK_EQ(rc, 0);
    CHECK(strstr(text, "  frames corrupted by the link:                11\n") != NULL);
    CHECK(strstr(text, "  dropped by the TCP checksum:                 11\n") != NULL);
    CHECK(strstr(text, "FAILED") == NULL);
    free(text);
}

static void flow_control_scenario(void)
{
    int rc;
    char *text = lab_run_scenario(nst_demo_flow_control, &rc);
    CHECK_EQ(rc, 0);
    CHECK(strstr(text, "  largest window New York offered:      65536 bytes\n") != NULL);
    CHECK(strstr(text, "  London's bytes beyond the window:         0\n") != NULL);
    CHECK(strstr(text, "  the stream took 5.424 s") != NULL);
    CHECK(strstr(text, "FAILED") == NULL);
    free(text);
}

static void congestion_control_scenario(void)
{
    int rc;
    char *text = lab_run_scenario(nst_demo_congestion_control, &rc);
    CHECK_EQ(rc, 0);
    CHECK(strstr(text, "  0.63 s with cwnd 173760 bytes") != NULL);
    CHECK(strstr(text, "  steady state (from 2 s after the first drop): 1 of 3972 frames dropped (0.03 %),\n") != NULL);
    CHECK(strstr(text, "  9.32 Mbit/s of goodput on the 10 Mbit/s link\n") != NULL);
    CHECK(strstr(text, "FAILED") == NULL);
    free(text);
}

static void demultiplexing_scenario(void)
{
    int rc;
    char *text = lab_run_scenario(nst_demo_demultiplexing, &rc);
    CHECK_EQ(rc, 0);
    CHECK(strstr(text, "  London:80   accepted 10.0.1.2:") != NULL);
    CHECK(strstr(text, "  London:443  accepted 10.0.1.2:") != NULL);
    CHECK(strstr(text, "ECONNREFUSED after 80.004 ms") != NULL);
    CHECK(strstr(text, "FAILED") == NULL);
    free(text);
}

int main(void)
{
    RUN(cdn_edge_scenario);
    RUN(ports_multiplexed_scenario);
    RUN(h2_head_of_line_scenario);
    RUN(error_checked_scenario);
    RUN(flow_control_scenario);
    RUN(congestion_control_scenario);
    RUN(demultiplexing_scenario);
    return nst_test_done();
}
