/* The lab's HTTP scenarios (src/lab/lab_http_app.c, lab_h2_app.c) run whole, with their
 * own checks, and the lines they print: keep-alive's handshakes and time
 * saved, the timeouts' exact moments. Same seed, same output. */
#include "test.h"

#include <nstack/lab.h>

#include "support/lab_util.h"

#include <stdlib.h>

static void keepalive_scenario(void)
{
    int rc;
    char *text = lab_run_scenario(nst_demo_keepalive, &rc);
    CHECK_EQ(rc, 0);
    CHECK(strstr(text, "  HTTP, no keep-alive                  10     1600.155 ms\n") != NULL);
    CHECK(strstr(text, "  HTTP, keep-alive                      1      880.086 ms\n") != NULL);
    CHECK(strstr(text, "  HTTPS (TLS 1.3), no keep-alive       10     2400.841 ms\n") != NULL);
    CHECK(strstr(text, "  HTTPS (TLS 1.3), keep-alive           1      960.167 ms\n") != NULL);
    CHECK(strstr(text, "FAILED") == NULL);
    int rc2;
    char *again = lab_run_scenario(nst_demo_keepalive, &rc2);
    CHECK(strcmp(text, again) == 0);
    free(text);
    free(again);
}

static void timeouts_scenario(void)
{
    int rc;
    char *text = lab_run_scenario(nst_demo_timeouts, &rc);
    CHECK_EQ(rc, 0);
    CHECK(strstr(text, "connected after 80.005 ms, then response timeout (no response byte) after 2080.005 ms\n") != NULL);
    CHECK(strstr(text, "first byte after 160.029 ms, then read timeout (response stalled) after 3160.029 ms\n") != NULL);
    CHECK(strstr(text, "FAILED") == NULL);
    free(text);
}

static void h2_multiplex_scenario(void)
{
    int rc;
    char *text = lab_run_scenario(nst_demo_h2_multiplex, &rc);
    CHECK_EQ(rc, 0);
    CHECK(strstr(text, "  HTTP/1.1, one connection                    1      1    8080.809 ms\n") != NULL);
    CHECK(strstr(text, "  HTTP/1.1, 6 connections                     6      6    1440.147 ms\n") != NULL);
    CHECK(strstr(text, "  HTTP/1.1, a connection each               100    100     160.184 ms\n") != NULL);
    CHECK(strstr(text, "  HTTP/2, one connection                      1      1     160.126 ms\n") != NULL);
    CHECK(strstr(text, "FAILED") == NULL);
    int rc2;
    char *again = lab_run_scenario(nst_demo_h2_multiplex, &rc2);
    CHECK(strcmp(text, again) == 0);
    free(text);
    free(again);
}

int main(void)
{
    RUN(keepalive_scenario);
    RUN(timeouts_scenario);
    RUN(h2_multiplex_scenario);
    return nst_test_done();
}
