/* nstack — the control socket: inspecting a running stack from outside.
 *
 * A process that drives a stack with a run loop (<nstack/runloop.h>)
 * opens a Unix-domain stream socket at a path; `nstack ss --control PATH`
 * (or anything that speaks the protocol) connects, sends one command line
 * and reads the answer until the server closes:
 *
 *   -> "ss -tan\n"            <- ss's output for the stack
 *   -> "netstat -s\n"         <- every counter
 *   anything else             <- "error: ...\n"
 *
 * The server side lives in the run loop: every descriptor is non-blocking
 * and watched by the loop, so a slow or silent client never stalls the
 * stack. It is bounded: at most NST_CONTROL_MAX_CLIENTS at once (a new one
 * evicts the oldest), requests of at most NST_CONTROL_MAX_REQUEST bytes,
 * answers of at most NST_CONTROL_MAX_REPLY bytes (cut short with a note).
 * The socket file is created mode 0600 (what it shows is the process's
 * business) and removed by nst_control_close(). */
#ifndef NSTACK_CONTROL_H
#define NSTACK_CONTROL_H

#include <stdio.h>

#include "runloop.h"
#include "api.h"

NST_API_BEGIN

#define NST_CONTROL_MAX_CLIENTS 4
#define NST_CONTROL_MAX_REQUEST 1024
#define NST_CONTROL_MAX_REPLY (32u << 20)

struct nst_control;

/* Listens at path (a stale socket file there is replaced; any other file
 * is an error, -EEXIST) and registers with the loop. 0 or -errno. */
int nst_control_open(struct nst_runloop *rl, struct nst_stack *st, const char *path, struct nst_control **out);
/* Stops listening, drops the clients, removes the socket file. NULL is fine. */
void nst_control_close(struct nst_control *c);
/* Requests answered so far. */
unsigned long nst_control_served(const struct nst_control *c);

/* The client: sends `request` (a newline is added) to the socket at path
 * and copies the answer to out. Gives up after timeout_ms in all.
 * 0 if an answer came that is not an error, 1 if the server answered
 * "error: ...", -errno otherwise (-ETIMEDOUT, -ECONNREFUSED, -ENOENT...). */
int nst_control_query(const char *path, const char *request, FILE *out, int timeout_ms);

NST_API_END

#endif
