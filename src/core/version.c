/* The library's version, as compiled (see <nstack/version.h>). */
#include <nstack/version.h>

const char *nst_version(void) { return NST_VERSION_STRING; }

unsigned nst_version_number(void) { return NST_VERSION_NUMBER; }
