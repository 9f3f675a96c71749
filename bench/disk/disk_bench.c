/* Disk benchmark, run unchanged on Keel and in the Linux guest by
 * bench/disk/bench_disk.py: sequential and random 4 KiB file I/O and fsync
 * latency in DIR, timed in the guest, one `bench: k=v` line per phase. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BLOCK 4096u		/* the random-I/O and fsync-append unit */
#define MAX_CHUNK_KIB 4096u
#define MAX_FSYNC_OPS 100000u

struct config {
	const char *dir;
	unsigned size_mib;	/* the file the throughput figures use */
	unsigned chunk_kib;	/* sequential read/write request size */
	unsigned rand_ops;	/* random reads, then as many random writes */
	unsigned fsync_ops;	/* 4 KiB append + fsync pairs */
	uint64_t seed;
	int keep_caches;	/* -n: never drop the page cache */
};

static void
fail(const char *fmt, ...)
{
	va_list ap;
	int err = errno;

	/* One `bench: error` line: the harness stops on it and shows it. */
	printf("bench: error ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(": %s\n", strerror(err));
	fflush(stdout);
	exit(1);
}

static double
now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		fail("clock_gettime");
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* xorshift64*: the same offsets on both systems for the same seed. */
static uint64_t
next_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

/* Every 4 KiB block starts with its own index and a generation, so a read
 * can check that it got the block it asked for (a wrong answer fast must
 * not pass for a good figure). The rest is random, so no layer can
 * compress or skip zeros. */
static void
stamp(uint8_t *block, uint64_t index, uint64_t gen)
{
	memcpy(block, &index, sizeof(index));
	memcpy(block + 8, &gen, sizeof(gen));
}

static void
check(const uint8_t *block, uint64_t index, const char *what)
{
	uint64_t got;

	memcpy(&got, block, sizeof(got));
	if (got != index) {
		errno = EIO;
		fail("%s: block %llu holds block %llu's data", what,
		     (unsigned long long)index, (unsigned long long)got);
	}
}

static void
write_all(int fd, const uint8_t *buf, size_t len, off_t off, const char *what)
{
	while (len) {
		ssize_t n = pwrite(fd, buf, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fail("%s: pwrite at %lld", what, (long long)off);
		buf += n;
		len -= (size_t)n;
		off += n;
	}
}

static void
read_all(int fd, uint8_t *buf, size_t len, off_t off, const char *what)
{
	while (len) {
		ssize_t n = pread(fd, buf, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fail("%s: pread at %lld", what, (long long)off);
		if (n == 0) {
			errno = EIO;
			fail("%s: end of file at %lld", what, (long long)off);
		}
		buf += n;
		len -= (size_t)n;
		off += n;
	}
}

/* Empties Linux's page cache so the reads that follow come from the disk,
 * as they do on Keel (whose ~16 MiB block cache is smaller than the
 * file, on Linux and on Keel). Returns 1 if it could. */
static int
drop_caches(const struct config *cfg)
{
	int fd;

	sync();
	/* Dropping a host's caches would slow everything else on it. */
	if (cfg->keep_caches)
		return 0;
	fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (fd < 0)
		return 0;
	if (write(fd, "3\n", 2) != 2) {
		close(fd);
		return 0;
	}
	close(fd);
	return 1;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The nearest-rank percentile of sorted @v. */
static double
percentile(const double *v, unsigned n, double p)
{
	unsigned rank = (unsigned)(p / 100.0 * n + 0.999999);

	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

static int
create_synced(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		fail("open %s", path);
	/* The first fsync of a new name makes the name durable too (on Keel
	 * it syncs the whole file system): done here, outside the timing. */
	if (fsync(fd) != 0)
		fail("fsync %s", path);
	return fd;
}

static void
run(const struct config *cfg)
{
	size_t chunk = (size_t)cfg->chunk_kib * 1024;
	uint64_t blocks = (uint64_t)cfg->size_mib * (1024 * 1024 / BLOCK);
	uint64_t size = blocks * BLOCK, rng = cfg->seed;
	char path[512], fpath[512];
	uint8_t *buf;
	double *lat, t0, t;
	int fd, dropped;

	snprintf(path, sizeof(path), "%s/bench.dat", cfg->dir);
	snprintf(fpath, sizeof(fpath), "%s/fsync.dat", cfg->dir);
	buf = malloc(chunk);
	lat = calloc(cfg->fsync_ops, sizeof(*lat));
	if (!buf || !lat)
		fail("malloc");
	for (size_t i = 0; i < chunk; i += 8) {
		uint64_t r = next_rand(&rng);

		memcpy(buf + i, &r, 8);
	}
	rng = cfg->seed;

	printf("bench: config size_mib=%u chunk_kib=%u rand_ops=%u "
	       "fsync_ops=%u seed=%llu\n", cfg->size_mib, cfg->chunk_kib,
	       cfg->rand_ops, cfg->fsync_ops, (unsigned long long)cfg->seed);
	fflush(stdout);

	/* Sequential write: every byte of the file, then one fsync, so the
	 * figure is what reached the disk, not what sits in a cache. */
	fd = create_synced(path);
	t0 = now();
	for (uint64_t off = 0; off < size; off += chunk) {
		size_t len = size - off < chunk ? (size_t)(size - off) : chunk;

		for (size_t b = 0; b < len; b += BLOCK)
			stamp(buf + b, (off + b) / BLOCK, 0);
		write_all(fd, buf, len, (off_t)off, "sequential write");
	}
	if (fsync(fd) != 0)
		fail("fsync %s", path);
	t = now() - t0;
	printf("bench: seq_write_mibs=%.3f seq_write_s=%.3f\n",
	       cfg->size_mib / t, t);
	fflush(stdout);

	/* Sequential read, cold: Linux's page cache is dropped first. */
	dropped = drop_caches(cfg);
	printf("bench: drop_caches=%d\n", dropped);
	t0 = now();
	for (uint64_t off = 0; off < size; off += chunk) {
		size_t len = size - off < chunk ? (size_t)(size - off) : chunk;

		read_all(fd, buf, len, (off_t)off, "sequential read");
		for (size_t b = 0; b < len; b += BLOCK)
			check(buf + b, (off + b) / BLOCK, "sequential read");
	}
	t = now() - t0;
	printf("bench: seq_read_mibs=%.3f seq_read_s=%.3f\n",
	       cfg->size_mib / t, t);
	fflush(stdout);

	/* Random 4 KiB reads, cold again, at offsets from the fixed seed
	 * (repeats may hit whichever cache each system has: part of the
	 * figure). */
	drop_caches(cfg);
	t0 = now();
	for (unsigned i = 0; i < cfg->rand_ops; i++) {
		uint64_t idx = next_rand(&rng) % blocks;

		read_all(fd, buf, BLOCK, (off_t)(idx * BLOCK), "random read");
		check(buf, idx, "random read");
	}
	t = now() - t0;
	printf("bench: rand_read_iops=%.1f rand_read_mibs=%.3f "
	       "rand_read_s=%.3f\n", cfg->rand_ops / t,
	       cfg->rand_ops * (double)BLOCK / (1 << 20) / t, t);
	fflush(stdout);

	/* Random 4 KiB overwrites, then one fsync: included in the time. */
	t0 = now();
	for (unsigned i = 0; i < cfg->rand_ops; i++) {
		uint64_t idx = next_rand(&rng) % blocks;

		stamp(buf, idx, i + 1);
		write_all(fd, buf, BLOCK, (off_t)(idx * BLOCK), "random write");
	}
	if (fsync(fd) != 0)
		fail("fsync %s", path);
	t = now() - t0;
	printf("bench: rand_write_iops=%.1f rand_write_mibs=%.3f "
	       "rand_write_s=%.3f\n", cfg->rand_ops / t,
	       cfg->rand_ops * (double)BLOCK / (1 << 20) / t, t);
	fflush(stdout);
	if (close(fd) != 0)
		fail("close %s", path);

	/* fsync latency: append 4 KiB, fsync; each pair timed alone. Every
	 * append allocates a block, so each fsync writes data and inode
	 * (and a bitmap), then flushes the device. */
	fd = create_synced(fpath);
	for (unsigned i = 0; i < cfg->fsync_ops; i++) {
		stamp(buf, i, 0);
		t0 = now();
		write_all(fd, buf, BLOCK, (off_t)i * BLOCK, "append");
		if (fsync(fd) != 0)
			fail("fsync %s", fpath);
		lat[i] = (now() - t0) * 1e6;
	}
	if (close(fd) != 0)
		fail("close %s", fpath);
	qsort(lat, cfg->fsync_ops, sizeof(*lat), cmp_double);
	if (cfg->fsync_ops) {
		double sum = 0;

		for (unsigned i = 0; i < cfg->fsync_ops; i++)
			sum += lat[i];
		printf("bench: fsync_median_us=%.1f fsync_p99_us=%.1f "
		       "fsync_min_us=%.1f fsync_max_us=%.1f fsync_mean_us=%.1f\n",
		       percentile(lat, cfg->fsync_ops, 50),
		       percentile(lat, cfg->fsync_ops, 99), lat[0],
		       lat[cfg->fsync_ops - 1], sum / cfg->fsync_ops);
	}
	printf("bench: done\n");
	fflush(stdout);
	free(buf);
	free(lat);
}

static unsigned
number(const char *s, const char *what, unsigned lo, unsigned hi)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v < lo || v > hi) {
		fprintf(stderr, "disk_bench: %s: expected %u..%u, got %s\n",
			what, lo, hi, s);
		exit(2);
	}
	return (unsigned)v;
}

int
main(int argc, char **argv)
{
	struct config cfg = {
		.size_mib = 32, .chunk_kib = 128, .rand_ops = 2048,
		.fsync_ops = 200, .seed = 42,
	};
	int opt;

	while ((opt = getopt(argc, argv, "s:c:r:f:S:n")) != -1) {
		switch (opt) {
		case 's':
			cfg.size_mib = number(optarg, "-s MiB", 1, 1u << 20);
			break;
		case 'c':
			cfg.chunk_kib = number(optarg, "-c KiB", 4,
					       MAX_CHUNK_KIB);
			if (cfg.chunk_kib % (BLOCK / 1024)) {
				fprintf(stderr, "disk_bench: -c: a multiple "
					"of 4 KiB\n");
				return 2;
			}
			break;
		case 'r':
			cfg.rand_ops = number(optarg, "-r ops", 1, 1u << 30);
			break;
		case 'f':
			cfg.fsync_ops = number(optarg, "-f ops", 1,
					       MAX_FSYNC_OPS);
			break;
		case 'S':
			cfg.seed = number(optarg, "-S seed", 1, ~0u);
			break;
		case 'n':
			cfg.keep_caches = 1;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc - 1)
		goto usage;
	cfg.dir = argv[optind];
	run(&cfg);
	return 0;
usage:
	fprintf(stderr, "usage: disk_bench [-s MiB] [-c chunk KiB] "
		"[-r random ops] [-f fsync ops] [-S seed] [-n] DIR\n"
		"  -n: keep the page cache (by default it is dropped before "
		"reads, where /proc/sys/vm/drop_caches exists)\n");
	return 2;
}
