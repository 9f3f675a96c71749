/* Tests kernel/lib/cmdline.c: word splitting and quotes, the
 * virtio_mmio.device= entries, every option and every error, checking that
 * each error message names what was wrong. */
#include <keel/cmdline.h>
#include <keel/errno.h>
#include "unit.h"

/* unit.h's CHECK_* use libc's snprintf, which <stdio.h> declared under the
 * build's ksnprintf rename. */
int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The parsed strings point into buf, so it lives as long as cl. */
static char buf[8192];
static struct cmdline cl;
static char err[CMDLINE_ERR_LEN];

static int
parse(const char *line)
{
	snprintf(buf, sizeof(buf), "%s", line);
	memset(&cl, 0x5a, sizeof(cl));	/* parse must reset everything */
	memset(err, 'E', sizeof(err));
	return cmdline_parse(buf, &cl, err);
}

static void
check_err_names(const char *line, const char *frag, int lineno)
{
	char m[512];

	if (strstr(err, frag))
		return;
	snprintf(m, sizeof(m), "\"%.100s\": error \"%s\" lacks \"%.100s\"",
		 line, err, frag);
	unit_fail(__FILE__, lineno, m);
}

/* Parses a line that must fail; checks the message is one terminated line
 * that contains each of the given fragments (what it names). */
#define CHECK_ERR(line, ...) do { \
	const char *frags_[] = { __VA_ARGS__ }; \
	CHECK_EQ(parse(line), -EINVAL); \
	CHECK(memchr(err, '\0', sizeof(err)) != NULL); \
	CHECK(strchr(err, '\n') == NULL); \
	for (size_t i_ = 0; i_ < sizeof(frags_) / sizeof(frags_[0]); i_++) \
		check_err_names(line, frags_[i_], __LINE__); \
} while (0)

#define CHECK_OK(line) do { \
	CHECK_EQ(parse(line), 0); \
	CHECK_STR(err, ""); \
} while (0)

/* --- words and quotes ------------------------------------------------ */

TEST(empty_line_is_no_program)
{
	static const char *lines[] = { "", " ", "\t\n  \t", "\n" };

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		CHECK_OK(lines[i]);
		CHECK_EQ(cl.argc, 0);
		CHECK(cl.argv[0] == NULL);
		CHECK_EQ(cl.nenv, 0);
		CHECK_EQ(cl.nmounts, 0);
		CHECK_EQ(cl.nvirtio_mmio, 0);
		CHECK(!cl.verbose && !cl.strace);
		CHECK(cl.test == NULL && cl.cwd == NULL && cl.rootfs == NULL);
		CHECK(cl.ip == NULL && cl.dns == NULL);
	}
}

TEST(program_and_arguments)
{
	CHECK_OK("/bin/echo hello world");
	CHECK_EQ(cl.argc, 3);
	CHECK_STR(cl.argv[0], "/bin/echo");
	CHECK_STR(cl.argv[1], "hello");
	CHECK_STR(cl.argv[2], "world");
	CHECK(cl.argv[3] == NULL);
}

TEST(spaces_tabs_newlines_separate)
{
	CHECK_OK("  \t/bin/a\tb\n\nc   d \n");
	CHECK_EQ(cl.argc, 4);
	CHECK_STR(cl.argv[0], "/bin/a");
	CHECK_STR(cl.argv[1], "b");
	CHECK_STR(cl.argv[2], "c");
	CHECK_STR(cl.argv[3], "d");
	CHECK(cl.argv[4] == NULL);
}

TEST(quotes_group_words)
{
	CHECK_OK("/bin/sqlite3 /data/db \"select 1;\"");
	CHECK_EQ(cl.argc, 3);
	CHECK_STR(cl.argv[2], "select 1;");
	CHECK_OK("/p \"a  b\"\"c d\" \"\t\n\"");
	CHECK_EQ(cl.argc, 3);
	CHECK_STR(cl.argv[1], "a  bc d");
	CHECK_STR(cl.argv[2], "\t\n");
}

TEST(quotes_mid_word)
{
	CHECK_OK("--env=A=\"x y\" /p pre\"mid dle\"post");
	CHECK_EQ(cl.nenv, 1);
	CHECK_STR(cl.env[0], "A=x y");
	CHECK_STR(cl.argv[1], "premid dlepost");
}

TEST(empty_quotes_are_an_empty_argument)
{
	CHECK_OK("/p \"\" x");
	CHECK_EQ(cl.argc, 3);
	CHECK_STR(cl.argv[1], "");
	CHECK_STR(cl.argv[2], "x");
}

TEST(escapes_inside_quotes)
{
	CHECK_OK("/p \"say \\\"hi\\\"\" \"back\\\\slash\" \"keep\\n\"");
	CHECK_EQ(cl.argc, 4);
	CHECK_STR(cl.argv[1], "say \"hi\"");
	CHECK_STR(cl.argv[2], "back\\slash");
	CHECK_STR(cl.argv[3], "keep\\n");
}

/* Outside quotes a backslash is ordinary unless it escapes \\, " or ',
 * the three characters GRUB escapes when it re-quotes a command line. */
TEST(backslash_outside_quotes)
{
	CHECK_OK("/p a\\b c\\\\ it\\'s \\\"q");
	CHECK_STR(cl.argv[1], "a\\b");
	CHECK_STR(cl.argv[2], "c\\");
	CHECK_STR(cl.argv[3], "it's");
	CHECK_STR(cl.argv[4], "\"q");
}

/* What GRUB's multiboot2 loader hands over for the words [a b],
 * [say "hi"] and [it's]. */
TEST(grub_requoted_command_line)
{
	CHECK_OK("/p \"a b\" \"say \\\"hi\\\"\" it\\'s");
	CHECK_EQ(cl.argc, 4);
	CHECK_STR(cl.argv[1], "a b");
	CHECK_STR(cl.argv[2], "say \"hi\"");
	CHECK_STR(cl.argv[3], "it's");
}

TEST(unterminated_quote_is_an_error)
{
	CHECK_ERR("/p \"abc", "unterminated quote in command line");
	CHECK_ERR("\"", "unterminated quote");
	CHECK_ERR("/p \"a\\\"", "unterminated quote");
	CHECK_ERR("--env=A=\"x /p", "unterminated quote");
}

/* --- virtio_mmio.device= --------------------------------------------- */

TEST(virtio_mmio_after_program_is_removed)
{
	CHECK_OK("/bin/app arg virtio_mmio.device=512@0xfeb00e00:12 "
		 "virtio_mmio.device=4K@0xfeb00c00:11");
	CHECK_EQ(cl.argc, 2);
	CHECK_STR(cl.argv[0], "/bin/app");
	CHECK_STR(cl.argv[1], "arg");
	CHECK(cl.argv[2] == NULL);
	CHECK_EQ(cl.nvirtio_mmio, 2);
	CHECK_EQ(cl.virtio_mmio[0].size, 512);
	CHECK_EQ(cl.virtio_mmio[0].base, 0xfeb00e00);
	CHECK_EQ(cl.virtio_mmio[0].irq, 12);
	CHECK_EQ(cl.virtio_mmio[1].size, 4096);
	CHECK_EQ(cl.virtio_mmio[1].base, 0xfeb00c00);
	CHECK_EQ(cl.virtio_mmio[1].irq, 11);
}

TEST(virtio_mmio_before_and_between)
{
	CHECK_OK("virtio_mmio.device=1k@0x1000:5 --verbose "
		 "virtio_mmio.device=1M@0xABCDEF000:6 /p a "
		 "virtio_mmio.device=2G@0x0:0 b");
	CHECK(cl.verbose);
	CHECK_EQ(cl.argc, 3);
	CHECK_STR(cl.argv[1], "a");
	CHECK_STR(cl.argv[2], "b");
	CHECK_EQ(cl.nvirtio_mmio, 3);
	CHECK_EQ(cl.virtio_mmio[0].size, 1024);
	CHECK_EQ(cl.virtio_mmio[0].base, 0x1000);
	CHECK_EQ(cl.virtio_mmio[0].irq, 5);
	CHECK_EQ(cl.virtio_mmio[1].size, 1 << 20);
	CHECK_EQ(cl.virtio_mmio[1].base, 0xabcdef000ull);
	CHECK_EQ(cl.virtio_mmio[2].size, 2ull << 30);
	CHECK_EQ(cl.virtio_mmio[2].irq, 0);
}

/* The only entries: still no program, which is fine. */
TEST(virtio_mmio_alone)
{
	CHECK_OK("virtio_mmio.device=0x200@0xd0000000:4294967295");
	CHECK_EQ(cl.argc, 0);
	CHECK_EQ(cl.virtio_mmio[0].size, 0x200);
	CHECK_EQ(cl.virtio_mmio[0].irq, 4294967295u);
}

TEST(virtio_mmio_malformed)
{
	static const char *bad[] = {
		"virtio_mmio.device=",
		"virtio_mmio.device=512",
		"virtio_mmio.device=512@0x1000",
		"virtio_mmio.device=512@0x1000:",
		"virtio_mmio.device=@0x1000:5",
		"virtio_mmio.device=0@0x1000:5",
		"virtio_mmio.device=512@4096:5",
		"virtio_mmio.device=512@0x:5",
		"virtio_mmio.device=512@0xzz:5",
		"virtio_mmio.device=512@0x1000:0x5",
		"virtio_mmio.device=512@0x1000:5x",
		"virtio_mmio.device=512@0x1000:5:7",
		"virtio_mmio.device=512@0x1000:4294967296",
		"virtio_mmio.device=4T@0x1000:5",
		"virtio_mmio.device=512K9@0x1000:5",
		"virtio_mmio.device=99999999999999999999@0x1000:5",
		"virtio_mmio.device=17179869184G@0x1000:5",
		"virtio_mmio.device=512@0x10000000000000000:5",
		"virtio_mmio.device=-1@0x1000:5",
	};
	char line[200];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "/p %s", bad[i]);
		CHECK_ERR(line, "malformed", bad[i]);
	}
}

TEST(virtio_mmio_too_many)
{
	char line[2048] = "/p";

	for (int i = 0; i <= CMDLINE_MAX_VIRTIO; i++) {
		size_t n = strlen(line);

		snprintf(line + n, sizeof(line) - n,
			 " virtio_mmio.device=512@0x%x:%d", 0x1000 * i, i);
	}
	CHECK_ERR(line, "too many virtio_mmio.device=",
		  "virtio_mmio.device=512@0x10000:16");
	/* Exactly the maximum is fine. */
	*strrchr(line, ' ') = '\0';
	CHECK_OK(line);
	CHECK_EQ(cl.nvirtio_mmio, CMDLINE_MAX_VIRTIO);
}

/* --- options: where they stop ---------------------------------------- */

TEST(options_stop_at_program)
{
	CHECK_OK("--verbose /bin/x --strace --test=t -v");
	CHECK(cl.verbose);
	CHECK(!cl.strace);
	CHECK(cl.test == NULL);
	CHECK_EQ(cl.argc, 4);
	CHECK_STR(cl.argv[1], "--strace");
	CHECK_STR(cl.argv[2], "--test=t");
	CHECK_STR(cl.argv[3], "-v");
}

TEST(single_dash_word_is_the_program)
{
	CHECK_OK("--strace -x --verbose");
	CHECK(cl.strace && !cl.verbose);
	CHECK_EQ(cl.argc, 2);
	CHECK_STR(cl.argv[0], "-x");
	CHECK_STR(cl.argv[1], "--verbose");
}

TEST(double_dash_ends_options)
{
	CHECK_OK("--verbose -- --odd-program --strace -- x");
	CHECK(cl.verbose && !cl.strace);
	CHECK_EQ(cl.argc, 4);
	CHECK_STR(cl.argv[0], "--odd-program");
	CHECK_STR(cl.argv[1], "--strace");
	CHECK_STR(cl.argv[2], "--");
	CHECK_STR(cl.argv[3], "x");
	CHECK_OK("-- /p");
	CHECK_EQ(cl.argc, 1);
	CHECK_STR(cl.argv[0], "/p");
	CHECK_OK("--strace --");
	CHECK(cl.strace);
	CHECK_EQ(cl.argc, 0);
}

/* A quoted "--x" is still an option: quotes only group. */
TEST(quoted_option)
{
	CHECK_OK("\"--test=a b\" /p");
	CHECK_STR(cl.test, "a b");
}

/* --- flags ----------------------------------------------------------- */

TEST(flags)
{
	CHECK_OK("--verbose --strace /p");
	CHECK(cl.verbose && cl.strace);
	CHECK_OK("--strace");
	CHECK(cl.strace && !cl.verbose);
	CHECK_EQ(cl.argc, 0);
}

TEST(flag_with_value_is_an_error)
{
	CHECK_ERR("--verbose=x /p", "option --verbose takes no value");
	CHECK_ERR("--verbose= /p", "option --verbose takes no value");
	CHECK_ERR("--strace=1 /p", "option --strace takes no value");
}

/* --- valued options -------------------------------------------------- */

TEST(valued_options)
{
	CHECK_OK("--test=mm --cwd=/data --rootfs=/dev/vda1 --ip=dhcp "
		 "--dns=10.0.2.3 /p");
	CHECK_STR(cl.test, "mm");
	CHECK_STR(cl.cwd, "/data");
	CHECK_STR(cl.rootfs, "/dev/vda1");
	CHECK_STR(cl.ip, "dhcp");
	CHECK_STR(cl.dns, "10.0.2.3");
	CHECK_EQ(cl.argc, 1);
}

TEST(value_may_contain_equals)
{
	CHECK_OK("--test=a=b /p");
	CHECK_STR(cl.test, "a=b");
}

TEST(missing_or_empty_value_is_an_error)
{
	static const char *names[] = { "test", "cwd", "rootfs", "ip", "dns",
				       "env", "mount" };
	char line[64], want[64];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(want, sizeof(want), "option --%s needs a value",
			 names[i]);
		snprintf(line, sizeof(line), "--%s /p", names[i]);
		CHECK_ERR(line, want);
		snprintf(line, sizeof(line), "--%s= /p", names[i]);
		CHECK_ERR(line, want);
	}
}

TEST(last_single_valued_option_wins)
{
	CHECK_OK("--test=a --cwd=/x --test=b --cwd=/y --dns=1.1.1.1 "
		 "--dns=8.8.8.8 --ip=dhcp --ip=e,1.2.3.4/8 --rootfs=a "
		 "--rootfs=b /p");
	CHECK_STR(cl.test, "b");
	CHECK_STR(cl.cwd, "/y");
	CHECK_STR(cl.dns, "8.8.8.8");
	CHECK_STR(cl.ip, "e,1.2.3.4/8");
	CHECK_STR(cl.rootfs, "b");
}

TEST(unknown_option)
{
	CHECK_ERR("--foo /p", "unknown option --foo");
	CHECK_ERR("--foo=bar /p", "unknown option --foo");
	CHECK_ERR("--Verbose /p", "unknown option --Verbose");
	CHECK_ERR("--verbos /p", "unknown option --verbos");
	CHECK_ERR("--verbosee /p", "unknown option --verbosee");
	CHECK_ERR("--=x /p", "unknown option --");
	CHECK(strstr(err, "--=") == NULL);
}

TEST(cwd_must_be_absolute)
{
	CHECK_ERR("--cwd=data /p", "--cwd", "data");
	CHECK_ERR("--cwd=./x /p", "--cwd", "./x");
	CHECK_OK("--cwd=/ /p");
	CHECK_STR(cl.cwd, "/");
}

/* --- --ip and --dns -------------------------------------------------- */

TEST(ip_static)
{
	CHECK_OK("--ip=eth0,10.0.2.15/24,10.0.2.2 /p");
	CHECK_STR(cl.ip, "eth0,10.0.2.15/24,10.0.2.2");
	CHECK_OK("--ip=eth0,192.168.1.200/0 /p");
	CHECK_OK("--ip=e,255.255.255.255/32,0.0.0.0 /p");
	CHECK_OK("--ip=eth0,1.2.3.4/8 /p");
}

TEST(ip_malformed)
{
	static const char *bad[] = {
		"eth0", "DHCP", "dhcp,x", ",1.2.3.4/24", "eth0,",
		"eth0,1.2.3.4", "eth0,1.2.3/24", "eth0,1.2.3.4.5/24",
		"eth0,1.2.3.4/", "eth0,1.2.3.4/33", "eth0,1.2.3.4/100",
		"eth0,1.2.3.4/-1", "eth0,256.1.1.1/24", "eth0,1.2.3.4/24,",
		"eth0,1.2.3.4/24,1.2.3", "eth0,1.2.3.4/24,1.2.3.4,",
		"eth0,01.2.3.4/24", "eth0,1.2.3.4/24x", "eth0,1..3.4/24",
		"eth0,1.2.3.4 /24", "eth0,a.b.c.d/24", "eth0,1111.2.3.4/8",
		"eth0,1.2.3.4/24;1.1.1.1",
	};
	char line[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "\"--ip=%s\" /p", bad[i]);
		CHECK_ERR(line, "option --ip", bad[i]);
	}
}

TEST(dns)
{
	static const char *bad[] = {
		"8.8.8", "8.8.8.8.8", "a.b.c.d", "1.2.3.256", "1.2.3.4 ",
		"1.2.3.", ".1.2.3", "1.2.3.04", "-1.2.3.4", "0x1.2.3.4",
	};
	char line[128];

	CHECK_OK("--dns=0.0.0.0 /p");
	CHECK_OK("--dns=255.255.255.255 /p");
	CHECK_OK("--dns=10.0.0.1 /p");
	CHECK_STR(cl.dns, "10.0.0.1");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "\"--dns=%s\" /p", bad[i]);
		CHECK_ERR(line, "option --dns", bad[i]);
	}
}

/* --- --env ----------------------------------------------------------- */

TEST(env_entries_in_order)
{
	CHECK_OK("--env=A=1 --env=B= --env=PATH=/bin:/usr/bin --env=C==x /p");
	CHECK_EQ(cl.nenv, 4);
	CHECK_STR(cl.env[0], "A=1");
	CHECK_STR(cl.env[1], "B=");
	CHECK_STR(cl.env[2], "PATH=/bin:/usr/bin");
	CHECK_STR(cl.env[3], "C==x");
}

TEST(env_malformed)
{
	CHECK_ERR("--env=NOEQUALS /p", "option --env", "NOEQUALS");
	CHECK_ERR("--env==value /p", "option --env", "=value");
}

TEST(env_too_many)
{
	char line[2048] = "";

	for (int i = 0; i <= CMDLINE_MAX_ENV; i++) {
		size_t n = strlen(line);

		snprintf(line + n, sizeof(line) - n, "--env=K%d=v ", i);
	}
	strcat(line, "/p");
	CHECK_ERR(line, "too many --env", "K32=v");
	/* Exactly the maximum is fine. */
	memmove(line, strchr(line, ' ') + 1, strlen(strchr(line, ' ')));
	CHECK_OK(line);
	CHECK_EQ(cl.nenv, CMDLINE_MAX_ENV);
	CHECK_STR(cl.env[CMDLINE_MAX_ENV - 1], "K32=v");
}

/* --- --mount --------------------------------------------------------- */

TEST(mount_entries)
{
	CHECK_OK("--mount=/dev/vdb:/data --mount=tmpfs:/tmp /p");
	CHECK_EQ(cl.nmounts, 2);
	CHECK_STR(cl.mounts[0].dev, "/dev/vdb");
	CHECK_STR(cl.mounts[0].dir, "/data");
	CHECK_STR(cl.mounts[1].dev, "tmpfs");
	CHECK_STR(cl.mounts[1].dir, "/tmp");
	/* Split at the first ':', so the directory must then be absolute. */
	CHECK_ERR("--mount=host:share:/mnt/x /p", "option --mount",
		  "host:share:/mnt/x");
}

TEST(mount_malformed)
{
	CHECK_ERR("--mount=/dev/vdb /p", "option --mount", "/dev/vdb");
	CHECK_ERR("--mount=:/data /p", "option --mount", ":/data");
	CHECK_ERR("--mount=vdb:data /p", "option --mount", "vdb:data");
	CHECK_ERR("--mount=vdb: /p", "option --mount", "vdb:");
}

TEST(mount_too_many)
{
	char line[1024] = "";

	for (int i = 0; i <= CMDLINE_MAX_MOUNTS; i++) {
		size_t n = strlen(line);

		snprintf(line + n, sizeof(line) - n, "--mount=d%d:/m%d ", i, i);
	}
	strcat(line, "/p");
	CHECK_ERR(line, "too many --mount", "d8:/m8");
	memmove(line, strchr(line, ' ') + 1, strlen(strchr(line, ' ')));
	CHECK_OK(line);
	CHECK_EQ(cl.nmounts, CMDLINE_MAX_MOUNTS);
	CHECK_STR(cl.mounts[CMDLINE_MAX_MOUNTS - 1].dir, "/m8");
}

/* --- argument count ---------------------------------------------------- */

TEST(arguments_up_to_the_maximum)
{
	char line[2048] = "/p";

	for (int i = 1; i < CMDLINE_MAX_ARGS; i++) {
		size_t n = strlen(line);

		snprintf(line + n, sizeof(line) - n, " a%d", i);
	}
	CHECK_OK(line);
	CHECK_EQ(cl.argc, CMDLINE_MAX_ARGS);
	CHECK_STR(cl.argv[CMDLINE_MAX_ARGS - 1], "a63");
	CHECK(cl.argv[CMDLINE_MAX_ARGS] == NULL);
	/* virtio entries do not count as arguments. */
	strcat(line, " virtio_mmio.device=512@0x1000:5");
	CHECK_OK(line);
	strcat(line, " extra");
	CHECK_ERR(line, "too many program arguments", "extra");
}

/* The first error wins and names its own word, not a later one. */
TEST(first_error_is_reported)
{
	CHECK_ERR("--bad --verbose=1 /p", "unknown option --bad");
	CHECK(strstr(err, "verbose") == NULL);
}

/* A very long offending word is cut to fit, still one terminated line. */
TEST(long_word_in_error_fits)
{
	char line[600] = "--";

	memset(line + 2, 'x', 400);
	line[402] = '\0';
	CHECK_ERR(line, "unknown option --xxxx");
	CHECK_EQ(strlen(err), CMDLINE_ERR_LEN - 1);
}

TEST(fpu_mode_option)
{
	CHECK_OK("--fpu=fxsave /p");
	CHECK_STR(cl.fpu, "fxsave");
	CHECK_ERR("--fpu=avx512 /p", "--fpu");
	CHECK_ERR("--fpu=avx512 /p", "avx512");
	CHECK_ERR("--fpu /p", "needs a value");
}
