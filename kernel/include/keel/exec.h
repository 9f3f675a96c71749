/* Starting the application: find the program in the initrd, load its ELF
 * image, build the System V initial stack, run it on a thread of its own. */
#ifndef KEEL_EXEC_H
#define KEEL_EXEC_H

#include <keel/compiler.h>

/* Exit statuses for a program that cannot start, as a shell gives them. */
#define EXEC_STATUS_NOT_FOUND		127
#define EXEC_STATUS_NOT_EXECUTABLE	126

struct thread;

/* An application thread set up to run @fn(@arg): FPU state copied from
 * the caller's (clone) or clean, its own Linux thread id, detached (it
 * frees itself at exit). Not yet runnable: see exec_thread_start(). */
struct thread *
thread_new_app(const char *name, void (*fn)(void *), void *arg);
/* Counts @t among the application's live threads and lets it run. */
void
exec_thread_start(struct thread *t);
/* An application thread is ending with @code; the last one ends the
 * application and wakes exec_wait(). */
void
exec_thread_exiting(int code);
/* True if a live application thread has Linux thread id @tid. Takes the
 * application-threads lock; the answer may be stale once it is dropped. */
bool
exec_tid_alive(int tid);
/* Ends the VM with the program's exit status (exit_group, or the last
 * thread's exit). QEMU's isa-debug-exit passes 7 bits of it, so a status
 * of 128 or more is also printed whole on the console first. */
void
exec_power_off(int status) __noreturn;
/* Sleeps until the application's last thread has exited; returns its
 * exit status. */
int
exec_wait(void);

/* Starts argv[0] with @argv and @envp (NULL-terminated). On success the
 * program runs on its own thread and this returns 0; otherwise it prints
 * why on the console and returns the exit status for it. */
int
exec_start(char *const argv[], char *const envp[]);

#endif
