/* Starting the application: find the program in the initrd, load its ELF
 * image, build the System V initial stack, run it on a thread of its own. */
#ifndef KEEL_EXEC_H
#define KEEL_EXEC_H

#include <keel/compiler.h>

/* Exit statuses for a program that cannot start, as a shell gives them. */
#define EXEC_STATUS_NOT_FOUND		127
#define EXEC_STATUS_NOT_EXECUTABLE	126

struct thread;

/* The application's first thread, once exec_start() succeeded; its exit
 * ends the application. */
extern struct thread *exec_main_thread;

/* Starts argv[0] with @argv and @envp (NULL-terminated). On success the
 * program runs on its own thread and this returns 0; otherwise it prints
 * why on the console and returns the exit status for it. */
int
exec_start(char *const argv[], char *const envp[]);

#endif
