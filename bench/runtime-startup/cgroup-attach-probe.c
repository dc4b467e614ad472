// What it costs to put a new process into its cgroups (see docs/benchmarks.md).
//
//   cgroup-attach-probe v1 pid  DIR...   parent writes the child's pid to DIR/cgroup.procs
//   cgroup-attach-probe v1 self DIR...   the (single-threaded) child writes "0" to DIR/tasks
//   cgroup-attach-probe v2 pid  DIR      clone3(), then the parent writes the pid to cgroup.procs
//   cgroup-attach-probe v2 into DIR      clone3(CLONE_INTO_CGROUP): born in DIR
//
// Prints the time of the attach in ms. Writing a pid to cgroup.procs takes the global
// cgroup_threadgroup_rwsem for writing, which waits for an RCU grace period; a thread moving
// itself through the v1 `tasks` file, and CLONE_INTO_CGROUP, do not.
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void write_file(const char *dir, const char *file, const char *text) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, text, strlen(text)) < 0) {
    perror(path);
    exit(1);
  }
  close(fd);
}

static pid_t spawn(int cgroup_fd, int report_fd, int ndirs, char **dirs, int self) {
  struct clone_args args;
  memset(&args, 0, sizeof args);
  args.exit_signal = SIGCHLD;
  if (cgroup_fd >= 0) {
    args.flags = CLONE_INTO_CGROUP;
    args.cgroup = (uint64_t)cgroup_fd;
  }
  pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0) {
    perror("clone3");
    exit(1);
  }
  if (pid == 0) {
    double took = 0;
    if (self) {
      double start = now_ms();
      for (int i = 0; i < ndirs; i++) write_file(dirs[i], "tasks", "0");
      took = now_ms() - start;
    }
    if (write(report_fd, &took, sizeof took) < 0) _exit(1);
    pause();
    _exit(0);
  }
  return pid;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s v1 pid|self DIR... | v2 pid|into DIR\n", argv[0]);
    return 2;
  }
  int v2 = strcmp(argv[1], "v2") == 0;
  const char *how = argv[2];
  int ndirs = argc - 3;
  char **dirs = argv + 3;
  int report[2];
  if (pipe(report) < 0) return 1;

  double start = now_ms(), took = 0;
  int cgroup_fd = -1;
  if (v2 && strcmp(how, "into") == 0) {
    cgroup_fd = open(dirs[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cgroup_fd < 0) {
      perror(dirs[0]);
      return 1;
    }
  }
  pid_t pid = spawn(cgroup_fd, report[1], ndirs, dirs, !v2 && strcmp(how, "self") == 0);
  double spawned = now_ms();
  if (read(report[0], &took, sizeof took) != sizeof took) return 1;
  if (strcmp(how, "pid") == 0) {
    char text[32];
    snprintf(text, sizeof text, "%d", pid);
    double t = now_ms();
    for (int i = 0; i < ndirs; i++) write_file(dirs[i], "cgroup.procs", text);
    took = now_ms() - t;
  } else if (strcmp(how, "into") == 0) {
    took = spawned - start;  // the clone3 call itself, cgroup included
  }
  printf("%.3f\n", took);
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  return 0;
}
