/* Test helper for the lab's scenarios (lab_util.h). */
#include "support/lab_util.h"

char *lab_run_scenario(int (*fn)(const struct nst_demo_opts *, FILE *), int *rc)
{
    struct nst_demo_opts o;
    nst_demo_opts_default(&o);
    o.out_dir = NULL;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    *rc = out ? fn(&o, out) : -1;
    if (out)
        fclose(out);
    if (text)
        fputs(text, stderr);
    return text;
}
