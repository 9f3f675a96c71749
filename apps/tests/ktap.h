/* KTAP output for the test programs: one "ok N name" / "not ok N name"
 * line per case; main() returns ktap_failed as the exit status. */
#ifndef KEEL_APPS_KTAP_H
#define KEEL_APPS_KTAP_H

#include <stdio.h>

static int ktap_failed, ktap_number;

static void
report(const char *name, int ok)
{
	printf("%s %d %s\n", ok ? "ok" : "not ok", ++ktap_number, name);
	ktap_failed += !ok;
}

#endif
