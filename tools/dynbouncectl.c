// SPDX-License-Identifier: GPL-2.0
/*
 * dynbouncectl - load, inspect and tune the dynbounce module.
 *
 * Everything it shows or changes is what the module publishes itself:
 *   /sys/module/dynbounce/parameters/   read by status, written by set,
 *                                       attach and detach
 *   <debugfs>/dynbounce/summary         one line per attached device
 *   <debugfs>/dynbounce/<dev>/stats     that device's "key: value" counters
 * "load" and "unload" go through libkmod, so modprobe.d options, install
 * commands and softdeps apply exactly as they do for modprobe.
 *
 * Each failure prints one line naming what failed and why, and exits with
 * one of the codes below (documented in dynbouncectl(8)).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libkmod.h>
#include <mntent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#ifndef DYNBOUNCECTL_VERSION
#define DYNBOUNCECTL_VERSION "unknown"
#endif

#define MODNAME		"dynbounce"
#define SYSMOD		"/sys/module/" MODNAME
#define PARAMS		SYSMOD "/parameters"

enum {
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_NOT_LOADED = 3,	/* the module is not loaded */
	EXIT_NO_DEBUGFS = 4,	/* debugfs is not mounted or not readable */
	EXIT_REFUSED = 5,	/* the kernel refused a value (EINVAL) */
	EXIT_NO_DEVICE = 6,	/* no such device, or not attached (ENODEV) */
	EXIT_BUSY = 7,		/* live mappings or users (EBUSY) */
	EXIT_NO_MODULE = 8,	/* load: no module file found */
};

/* The stats keys the table shows; --json shows every key there is. */
#define MAX_KEYS	64

struct kv {
	char *key;
	char *val;
};

struct device_stats {
	char *name;
	struct kv kv[MAX_KEYS];
	int nkv;
	char *text;		/* the stats file; kv[] points into it */
};

/* ---- small helpers ------------------------------------------------------ */

static int fail(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("dynbouncectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

/* The exit code for an errno from a sysfs write or from the kernel. */
static int errno_code(int err)
{
	switch (err) {
	case EINVAL:
	case ERANGE:
		return EXIT_REFUSED;
	case ENODEV:
	case ENXIO:
		return EXIT_NO_DEVICE;
	case EBUSY:
	case EAGAIN:
		return EXIT_BUSY;
	default:
		return EXIT_FAILURE;
	}
}

/* " (run as root)" when that is the likely cure for @err. */
static const char *root_hint(int err)
{
	return (err == EACCES || err == EPERM) && geteuid() ? " (run as root)" : "";
}

/* The whole of a (sysfs, debugfs) file, NUL-terminated; NULL and errno set. */
static char *slurp(const char *path)
{
	size_t len = 0, size = 4096;
	char *buf = malloc(size);
	int fd, err;
	ssize_t n;

	if (!buf)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		free(buf);
		errno = err;
		return NULL;
	}
	for (;;) {
		if (size - len < 2) {
			char *more = realloc(buf, size * 2);

			if (!more) {
				n = -1;
				break;
			}
			buf = more;
			size *= 2;
		}
		n = read(fd, buf + len, size - len - 1);
		if (n <= 0)
			break;
		len += n;
	}
	err = errno;
	close(fd);
	if (n < 0) {
		free(buf);
		errno = err;
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

/* One line of a sysfs file, without its newline; -errno on failure. */
static int read_line(const char *path, char *buf, size_t size)
{
	char *text = slurp(path);

	if (!text)
		return -errno;
	snprintf(buf, size, "%.*s", (int)strcspn(text, "\n"), text);
	free(text);
	return 0;
}

/* Write @s to a sysfs file in one write(), as echo does; -errno on refusal. */
static int write_str(const char *path, const char *s)
{
	size_t len = strlen(s);
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, s, len) != (ssize_t)len)
		err = errno ? -errno : -EIO;
	if (close(fd) && !err)
		err = -errno;
	return err;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* 4194304 -> "4.0M"; below 1 KiB the plain number. */
static const char *human(unsigned long long v, char *buf, size_t size)
{
	static const char units[] = "KMGTPE";
	double d = (double)v;
	int u = -1;

	if (v < 1024) {
		snprintf(buf, size, "%llu", v);
		return buf;
	}
	while (u < 5 && d >= 1023.95) {
		d /= 1024;
		u++;
	}
	snprintf(buf, size, "%.1f%c", d, units[u]);
	return buf;
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* Numbers stay numbers, Y/N become true/false, the rest are strings. */
static void json_value(const char *v)
{
	if (all_digits(v) && (v[0] != '0' || !v[1]))
		fputs(v, stdout);
	else if (!strcmp(v, "Y"))
		fputs("true", stdout);
	else if (!strcmp(v, "N"))
		fputs("false", stdout);
	else
		json_string(v);
}

/* ---- where things are --------------------------------------------------- */

static bool module_loaded(void)
{
	struct stat st;

	return !stat(SYSMOD "/initstate", &st);
}

static int need_module(void)
{
	if (module_loaded())
		return 0;
	return fail(EXIT_NOT_LOADED,
		    "%s is not loaded (load it with 'dynbouncectl load' or 'modprobe %s')",
		    MODNAME, MODNAME);
}

/*
 * Find debugfs where it is mounted (/sys/kernel/debug by preference) and
 * check that dynbounce's folder is there: 0 with @dir set, or an exit code.
 */
static int find_debugfs(char *dir, size_t size)
{
	struct mntent *m;
	struct stat st;
	char path[4096];
	FILE *f;

	dir[0] = '\0';
	f = setmntent("/proc/self/mounts", "re");
	if (!f)
		return fail(EXIT_FAILURE, "cannot read /proc/self/mounts: %s",
			    strerror(errno));
	while ((m = getmntent(f))) {
		if (strcmp(m->mnt_type, "debugfs"))
			continue;
		if (!dir[0] || !strcmp(m->mnt_dir, "/sys/kernel/debug"))
			snprintf(dir, size, "%s", m->mnt_dir);
	}
	endmntent(f);
	if (!dir[0])
		return fail(EXIT_NO_DEBUGFS,
			    "debugfs is not mounted: mount -t debugfs none /sys/kernel/debug");
	snprintf(path, sizeof(path), "%s/%s", dir, MODNAME);
	if (stat(path, &st)) {
		int err = errno;

		if (err == ENOENT)
			return fail(EXIT_NO_DEBUGFS,
				    "%s is missing: the module's debugfs files are not there", path);
		return fail(EXIT_NO_DEBUGFS, "cannot read %s: %s%s", path,
			    strerror(err), root_hint(err));
	}
	return 0;
}

/* ---- reading the module's state ----------------------------------------- */

/* Split "key: value" lines in place into @d->kv. */
static void parse_stats(struct device_stats *d)
{
	char *line, *save = NULL;

	for (line = strtok_r(d->text, "\n", &save); line && d->nkv < MAX_KEYS;
	     line = strtok_r(NULL, "\n", &save)) {
		char *colon = strstr(line, ": ");

		if (!colon)
			continue;
		*colon = '\0';
		d->kv[d->nkv].key = line;
		d->kv[d->nkv].val = colon + 2;
		d->nkv++;
	}
}

static unsigned long long stat_get(const struct device_stats *d, const char *key)
{
	int i;

	for (i = 0; i < d->nkv; i++)
		if (!strcmp(d->kv[i].key, key))
			return strtoull(d->kv[i].val, NULL, 10);
	return 0;
}

static void free_devices(struct device_stats *devs, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		free(devs[i].name);
		free(devs[i].text);
	}
	free(devs);
}

/*
 * Every attached device's stats: the names come from the summary, the
 * numbers from each device's stats file. A device detached in between is
 * left out. 0, or an exit code after a message.
 */
static int read_devices(const char *dbg, struct device_stats **out, int *nout)
{
	struct device_stats *devs = NULL;
	char path[4096], *summary, *line, *save = NULL;
	int n = 0, err;

	snprintf(path, sizeof(path), "%s/%s/summary", dbg, MODNAME);
	summary = slurp(path);
	if (!summary) {
		err = errno;
		return fail(EXIT_NO_DEBUGFS, "cannot read %s: %s%s", path,
			    strerror(err), root_hint(err));
	}
	for (line = strtok_r(summary, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		struct device_stats *more, *d;
		size_t len = strcspn(line, " ");

		if (!len)
			continue;
		more = realloc(devs, (n + 1) * sizeof(*devs));
		if (!more)
			break;
		devs = more;
		d = &devs[n];
		memset(d, 0, sizeof(*d));
		d->name = strndup(line, len);
		if (!d->name)
			break;
		snprintf(path, sizeof(path), "%s/%s/%s/stats", dbg, MODNAME, d->name);
		d->text = slurp(path);
		if (!d->text) {
			free(d->name);
			continue;
		}
		parse_stats(d);
		n++;
	}
	free(summary);
	*out = devs;
	*nout = n;
	return 0;
}

/* The readable parameters, sorted, as name/value pairs (attach and detach
 * are write-only and left out). */
static int read_params(struct kv **out)
{
	struct dirent **names;
	struct kv *p;
	int i, n, k = 0;

	n = scandir(PARAMS, &names, NULL, alphasort);
	if (n < 0)
		return -1;
	p = calloc(n + 1, sizeof(*p));
	for (i = 0; i < n; i++) {
		char path[4096], val[4096];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", PARAMS, names[i]->d_name);
		if (p && names[i]->d_name[0] != '.' && !stat(path, &st) &&
		    S_ISREG(st.st_mode) && (st.st_mode & S_IRUSR) &&
		    !read_line(path, val, sizeof(val))) {
			p[k].key = strdup(names[i]->d_name);
			p[k].val = strdup(val);
			k++;
		}
		free(names[i]);
	}
	free(names);
	if (!p)
		return -1;
	*out = p;
	return k;
}

static void free_params(struct kv *p, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		free(p[i].key);
		free(p[i].val);
	}
	free(p);
}

static bool is_size_param(const char *name)
{
	return !strcmp(name, "pool_size") || !strcmp(name, "dyn_max") ||
	       !strcmp(name, "max_segment");
}

/* ---- status --------------------------------------------------------------*/

static void print_table(struct kv *params, int np, struct device_stats *devs, int n)
{
	char version[256], a[32], b[32], c[32];
	int i, w = 6;

	if (read_line(SYSMOD "/version", version, sizeof(version)))
		snprintf(version, sizeof(version), "(no version)");
	printf("%s %s:", MODNAME, version);
	for (i = 0; i < np; i++) {
		if (!strcmp(params[i].key, "devices"))
			continue;
		if (is_size_param(params[i].key) && all_digits(params[i].val))
			printf(" %s=%s", params[i].key,
			       human(strtoull(params[i].val, NULL, 10), a, sizeof(a)));
		else
			printf(" %s=%s", params[i].key, params[i].val);
	}
	putchar('\n');
	if (!n) {
		puts("no devices attached");
		return;
	}
	for (i = 0; i < n; i++)
		if ((int)strlen(devs[i].name) > w)
			w = (int)strlen(devs[i].name);
	printf("%-*s %10s %11s %10s %10s %8s %15s %8s %9s\n", w, "DEVICE",
	       "MAPS", "PASSTHROUGH", "FIXED", "DYNAMIC", "FAILED",
	       "POOL USED/SIZE", "DYN LIVE", "DYN BYTES");
	for (i = 0; i < n; i++) {
		const struct device_stats *d = &devs[i];
		char pool[72];

		snprintf(pool, sizeof(pool), "%s/%s",
			 human(stat_get(d, "pool_used_bytes"), a, sizeof(a)),
			 human(stat_get(d, "pool_bytes"), b, sizeof(b)));
		printf("%-*s %10llu %11llu %10llu %10llu %8llu %15s %8llu %9s\n",
		       w, d->name, stat_get(d, "maps"), stat_get(d, "passthrough"),
		       stat_get(d, "bounced_fixed"), stat_get(d, "bounced_dynamic"),
		       stat_get(d, "map_failures"), pool, stat_get(d, "dyn_live"),
		       human(stat_get(d, "dyn_live_bytes"), c, sizeof(c)));
	}
}

static void print_json(struct kv *params, int np, struct device_stats *devs, int n)
{
	char version[256];
	int i, j;

	printf("{\n  \"version\": ");
	if (read_line(SYSMOD "/version", version, sizeof(version)))
		version[0] = '\0';
	json_string(version);
	printf(",\n  \"params\": {");
	for (i = 0; i < np; i++) {
		printf("%s\n    ", i ? "," : "");
		json_string(params[i].key);
		printf(": ");
		json_value(params[i].val);
	}
	printf("\n  },\n  \"devices\": [");
	for (i = 0; i < n; i++) {
		printf("%s\n    {\n      \"name\": ", i ? "," : "");
		json_string(devs[i].name);
		for (j = 0; j < devs[i].nkv; j++) {
			printf(",\n      ");
			json_string(devs[i].kv[j].key);
			printf(": ");
			json_value(devs[i].kv[j].val);
		}
		printf("\n    }");
	}
	printf("%s]\n}\n", n ? "\n  " : "");
}

static int show_status(bool json)
{
	struct device_stats *devs = NULL;
	struct kv *params = NULL;
	char dbg[4096];
	int n = 0, np, ret;

	ret = need_module();
	if (!ret)
		ret = find_debugfs(dbg, sizeof(dbg));
	if (!ret)
		ret = read_devices(dbg, &devs, &n);
	if (ret)
		return ret;
	np = read_params(&params);
	if (np < 0) {
		free_devices(devs, n);
		return fail(EXIT_NOT_LOADED, "cannot read %s: %s", PARAMS,
			    strerror(errno));
	}
	if (json)
		print_json(params, np, devs, n);
	else
		print_table(params, np, devs, n);
	free_params(params, np);
	free_devices(devs, n);
	return fflush(stdout) ? EXIT_FAILURE : 0;
}

static int cmd_status(int argc, char **argv)
{
	bool json = false;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j"))
			json = true;
		else
			return fail(EXIT_USAGE, "status: unknown argument '%s'", argv[i]);
	}
	return show_status(json);
}

/* Refresh the status every @interval seconds, @count times (0: forever). */
static int cmd_watch(int argc, char **argv)
{
	double interval = 1.0;
	unsigned long count = 0, k;
	bool json = false, tty = isatty(STDOUT_FILENO);
	struct timespec ts;
	char *end;
	int i, ret;

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (!strcmp(arg, "--json") || !strcmp(arg, "-j")) {
			json = true;
			continue;
		}
		if (i + 1 >= argc)
			return fail(EXIT_USAGE, "watch: unknown argument '%s'", arg);
		if (!strcmp(arg, "-n") || !strcmp(arg, "--interval")) {
			interval = strtod(argv[++i], &end);
			if (*end || end == argv[i] || !(interval >= 0.1 && interval <= 86400))
				return fail(EXIT_USAGE, "watch: -n wants seconds from 0.1 to 86400, not '%s'",
					    argv[i]);
		} else if (!strcmp(arg, "-c") || !strcmp(arg, "--count")) {
			count = strtoul(argv[++i], &end, 10);
			if (*end || !count || argv[i][0] == '-')
				return fail(EXIT_USAGE, "watch: --count wants a number above 0, not '%s'",
					    argv[i]);
		} else {
			return fail(EXIT_USAGE, "watch: unknown argument '%s'", arg);
		}
	}
	ts.tv_sec = (time_t)interval;
	ts.tv_nsec = (long)((interval - (double)ts.tv_sec) * 1e9);
	for (k = 0; !count || k < count; k++) {
		char when[64];
		time_t now;

		if (k)
			nanosleep(&ts, NULL);
		if (tty)
			fputs("\033[H\033[2J", stdout);
		else if (k)
			putchar('\n');
		if (!json) {
			now = time(NULL);
			strftime(when, sizeof(when), "%F %T", localtime(&now));
			printf("every %.1fs: dynbouncectl status    %s\n", interval, when);
		}
		ret = show_status(json);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- writing parameters ------------------------------------------------- */

/* What each writable parameter takes, for the message after a refusal. */
static const char *param_hint(const char *name)
{
	static const struct {
		const char *name, *hint;
	} hints[] = {
		{ "pool_size", "bytes with K/M/G suffixes, a multiple of the page size, at most 1G; 0 for no pool" },
		{ "dyn_max", "bytes with K/M/G suffixes; 0 for no cap" },
		{ "max_segment", "bytes with K/M/G suffixes, 1 to 1G" },
		{ "dynamic", "Y or N" },
		{ "force_bounce", "Y or N" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(hints) / sizeof(hints[0]); i++)
		if (!strcmp(name, hints[i].name))
			return hints[i].hint;
	return NULL;
}

static int cmd_set(int argc, char **argv)
{
	char path[4096], *name, *value, *eq = NULL;
	const char *hint;
	struct stat st;
	int err, ret;

	if (argc == 2 && (eq = strchr(argv[1], '='))) {
		*eq = '\0';
		name = argv[1];
		value = eq + 1;
	} else if (argc == 3) {
		name = argv[1];
		value = argv[2];
	} else {
		return fail(EXIT_USAGE, "usage: dynbouncectl set PARAM VALUE");
	}
	if (!*name || strchr(name, '/') || name[0] == '.')
		return fail(EXIT_USAGE, "set: '%s' is no parameter name", name);
	if (!*value)
		return fail(EXIT_USAGE, "set: %s needs a value", name);
	ret = need_module();
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s/%s", PARAMS, name);
	if (stat(path, &st))
		return fail(EXIT_USAGE,
			    "set: %s has no parameter '%s' (writable: pool_size, dynamic, dyn_max, max_segment, force_bounce)",
			    MODNAME, name);
	if (!strcmp(name, "devices"))
		return fail(EXIT_REFUSED,
			    "set: devices is fixed at load; use 'dynbouncectl attach ENTRY' and 'detach DEV'");
	err = write_str(path, value);
	if (!err)
		return 0;
	fail(errno_code(-err), "%s=%s refused: %s%s", name, value,
	     strerror(-err), root_hint(-err));
	hint = param_hint(name);
	if (hint && -err == EINVAL)
		fail(0, "%s takes %s", name, hint);
	return errno_code(-err);
}

static int cmd_attach(int argc, char **argv)
{
	int i, err, ret;

	if (argc < 2)
		return fail(EXIT_USAGE, "usage: dynbouncectl attach ENTRY...");
	ret = need_module();
	for (i = 1; i < argc && !ret; i++) {
		if (!argv[i][0])
			return fail(EXIT_USAGE, "attach: an empty entry");
		err = write_str(PARAMS "/attach", argv[i]);
		if (!err)
			continue;
		if (err == -EINVAL)
			ret = fail(EXIT_REFUSED,
				   "attach '%s' refused: %s (want a device name, pci:VVVV:DDDD or of:<compatible>; dmesg may say more)",
				   argv[i], strerror(-err));
		else if (err == -ENODEV)
			ret = fail(EXIT_NO_DEVICE, "attach '%s': no device matches it", argv[i]);
		else
			ret = fail(errno_code(-err), "attach '%s' failed: %s%s (dmesg may say why)",
				   argv[i], strerror(-err), root_hint(-err));
	}
	return ret;
}

static int cmd_detach(int argc, char **argv)
{
	char attached[4096];
	int i, err, ret;

	if (argc < 2)
		return fail(EXIT_USAGE, "usage: dynbouncectl detach DEV...");
	ret = need_module();
	for (i = 1; i < argc && !ret; i++) {
		if (!argv[i][0])
			return fail(EXIT_USAGE, "detach: an empty device name");
		err = write_str(PARAMS "/detach", argv[i]);
		if (!err)
			continue;
		if (err == -ENODEV) {
			if (read_line(PARAMS "/devices", attached, sizeof(attached)))
				attached[0] = '\0';
			ret = fail(EXIT_NO_DEVICE, "detach '%s': not attached (attached: %s)",
				   argv[i], attached[0] ? attached : "none");
		} else if (err == -EBUSY) {
			ret = fail(EXIT_BUSY,
				   "detach '%s' refused: %s (it has live bounced mappings; unmap them first)",
				   argv[i], strerror(-err));
		} else {
			ret = fail(errno_code(-err), "detach '%s' failed: %s%s", argv[i],
				   strerror(-err), root_hint(-err));
		}
	}
	return ret;
}

/* ---- load and unload (libkmod) ------------------------------------------ */

static void kmod_log(void *data, int priority, const char *file, int line,
		     const char *fn, const char *format, va_list args)
{
	(void)data;
	(void)priority;
	(void)file;
	(void)line;
	(void)fn;
	fputs("dynbouncectl: libkmod: ", stderr);
	vfprintf(stderr, format, args);
}

static struct kmod_ctx *kmod_open(void)
{
	struct kmod_ctx *ctx = kmod_new(NULL, NULL);

	if (ctx)
		kmod_set_log_fn(ctx, kmod_log, NULL);
	return ctx;
}

/*
 * The parameters as one option string, as modprobe joins them: a value
 * with a blank in it is quoted (devices="a b").
 */
static char *join_options(int n, char **params)
{
	size_t len = 1;
	char *opts, *p;
	int i;

	for (i = 0; i < n; i++)
		len += strlen(params[i]) + 3;
	opts = malloc(len);
	if (!opts)
		return NULL;
	p = opts;
	*p = '\0';
	for (i = 0; i < n; i++) {
		const char *eq = strchr(params[i], '=');

		if (i)
			*p++ = ' ';
		if (eq && strpbrk(eq, " \t") && eq[1] != '"')
			p += sprintf(p, "%.*s\"%s\"", (int)(eq + 1 - params[i]),
				     params[i], eq + 1);
		else
			p += sprintf(p, "%s", params[i]);
	}
	return opts;
}

static const char *load_hint(int err)
{
	switch (err) {
	case EINVAL:
		return " (a parameter or device entry was refused: dmesg says which)";
	case ENOEXEC:
		return " (not a module for this kernel: built against other headers?)";
	case EKEYREJECTED:
	case ENOKEY:
		return " (the module is not signed with a key this kernel trusts)";
	case EPERM:
	case EACCES:
		return geteuid() ? " (run as root)" : " (module loading is disabled or locked down)";
	default:
		return " (dmesg may say why)";
	}
}

static int cmd_load(int argc, char **argv)
{
	const char *path = getenv("DYNBOUNCECTL_KO");
	struct kmod_module *mod = NULL;
	struct kmod_list *list = NULL;
	struct kmod_ctx *ctx;
	struct utsname u;
	char **params;
	int i, n = 0, err, ret = 0;
	char *opts;

	if (path && !*path)
		path = NULL;
	params = calloc(argc, sizeof(*params));
	if (!params)
		return fail(EXIT_FAILURE, "out of memory");
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--path") || !strcmp(argv[i], "-p")) {
			if (++i == argc) {
				free(params);
				return fail(EXIT_USAGE, "load: --path needs a FILE");
			}
			path = argv[i];
		} else if (!strncmp(argv[i], "--path=", 7)) {
			path = argv[i] + 7;
		} else if (argv[i][0] != '-' && strchr(argv[i], '=') && argv[i][0] != '=') {
			params[n++] = argv[i];
		} else {
			fail(EXIT_USAGE, "load: '%s' is not param=value", argv[i]);
			free(params);
			return EXIT_USAGE;
		}
	}
	opts = join_options(n, params);
	free(params);
	if (!opts)
		return fail(EXIT_FAILURE, "out of memory");
	if (module_loaded()) {
		free(opts);
		return fail(EXIT_FAILURE,
			    "%s is already loaded: change parameters with 'dynbouncectl set', or unload it first",
			    MODNAME);
	}
	ctx = kmod_open();
	if (!ctx) {
		free(opts);
		return fail(EXIT_FAILURE, "libkmod: cannot set up a context");
	}
	if (path) {
		if (access(path, R_OK)) {
			ret = fail(errno == ENOENT ? EXIT_NO_MODULE : EXIT_FAILURE,
				   "cannot read module %s: %s", path, strerror(errno));
			goto out;
		}
		err = kmod_module_new_from_path(ctx, path, &mod);
		if (err < 0) {
			ret = fail(EXIT_NO_MODULE, "%s: %s", path, strerror(-err));
			goto out;
		}
	} else {
		err = kmod_module_new_from_lookup(ctx, MODNAME, &list);
		if (err >= 0 && list)
			mod = kmod_module_get_module(list);
		if (!mod || !kmod_module_get_path(mod)) {
			uname(&u);
			ret = fail(EXIT_NO_MODULE,
				   "module %s not found in /lib/modules/%s (install it, or give --path FILE or DYNBOUNCECTL_KO=FILE)",
				   MODNAME, u.release);
			goto out;
		}
	}
	/*
	 * modprobe's own flags: options, install commands and softdeps from
	 * modprobe.d apply; a blacklist entry stops only loads by alias, not
	 * a load by name like this one.
	 */
	err = kmod_module_probe_insert_module(mod,
					      KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY |
					      KMOD_PROBE_FAIL_ON_LOADED,
					      opts, NULL, NULL, NULL);
	if (err == -EEXIST)
		ret = fail(EXIT_FAILURE, "%s is already loaded", MODNAME);
	else if (err > 0)
		ret = fail(EXIT_FAILURE, "%s is blacklisted in modprobe.d", MODNAME);
	else if (err < 0)
		ret = fail(err == -EINVAL ? EXIT_REFUSED :
			   err == -ENOENT ? EXIT_NO_MODULE : EXIT_FAILURE,
			   "cannot load %s%s%s%s: %s%s", kmod_module_get_path(mod),
			   *opts ? " with '" : "", opts, *opts ? "'" : "",
			   strerror(-err), load_hint(-err));
out:
	kmod_module_unref(mod);
	kmod_module_unref_list(list);
	kmod_unref(ctx);
	free(opts);
	return ret;
}

static int cmd_unload(int argc, char **argv)
{
	struct kmod_module *mod = NULL;
	struct kmod_list *holders, *l;
	struct kmod_ctx *ctx;
	int err, refs, ret = 0;

	(void)argv;
	if (argc > 1)
		return fail(EXIT_USAGE, "unload takes no arguments");
	ret = need_module();
	if (ret)
		return ret;
	ctx = kmod_open();
	if (!ctx)
		return fail(EXIT_FAILURE, "libkmod: cannot set up a context");
	err = kmod_module_new_from_name(ctx, MODNAME, &mod);
	if (err < 0) {
		ret = fail(EXIT_FAILURE, "libkmod: %s", strerror(-err));
		goto out;
	}
	holders = kmod_module_get_holders(mod);
	if (holders) {
		fprintf(stderr, "dynbouncectl: %s is in use by", MODNAME);
		kmod_list_foreach(l, holders)
			fprintf(stderr, " %s", kmod_module_get_name(kmod_module_get_module(l)));
		fprintf(stderr, ": unload those first\n");
		kmod_module_unref_list(holders);
		ret = EXIT_BUSY;
		goto out;
	}
	refs = kmod_module_get_refcnt(mod);
	if (refs > 0) {
		ret = fail(EXIT_BUSY,
			   "%s is in use: %d reference%s (each live bounced mapping holds one; unmap them first)",
			   MODNAME, refs, refs == 1 ? "" : "s");
		goto out;
	}
	err = kmod_module_remove_module(mod, 0);
	if (err == -EAGAIN || err == -EBUSY)
		ret = fail(EXIT_BUSY, "%s is in use: %s", MODNAME, strerror(-err));
	else if (err == -ENOENT)
		ret = fail(EXIT_NOT_LOADED, "%s is not loaded", MODNAME);
	else if (err < 0)
		ret = fail(EXIT_FAILURE, "cannot unload %s: %s%s", MODNAME,
			   strerror(-err), root_hint(-err));
out:
	kmod_module_unref(mod);
	kmod_unref(ctx);
	return ret;
}

/* ---- main --------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dynbouncectl COMMAND [ARGS]\n"
		"\n"
		"Load, inspect and tune dynbounce, the DMA bounce-buffer module.\n"
		"\n"
		"commands:\n"
		"  load [--path FILE] [PARAM=VALUE...]\n"
		"                      load the module with libkmod (modprobe.d options apply;\n"
		"                      FILE, or $DYNBOUNCECTL_KO, instead of /lib/modules)\n"
		"  unload              unload it (refused while mappings are live)\n"
		"  status [--json]     a table of the attached devices, or all counters as JSON\n"
		"  watch [-n SECS] [--count N] [--json]\n"
		"                      status again every SECS (1), N times or until ^C\n"
		"  attach ENTRY...     attach the devices an entry names: a device name\n"
		"                      (0000:01:00.0), pci:VVVV:DDDD or of:<compatible>\n"
		"  detach DEV...       give attached devices their own DMA ops back\n"
		"  set PARAM VALUE     change a parameter: pool_size, dynamic, dyn_max,\n"
		"                      max_segment, force_bounce (sizes take K/M/G)\n"
		"  help, --help        this text\n"
		"  version, --version  the version\n"
		"\n"
		"exit status: 0 ok, 1 other failure, 2 bad usage, 3 module not loaded,\n"
		"4 debugfs not mounted, 5 value refused, 6 no such device, 7 busy,\n"
		"8 module file not found. See dynbouncectl(8).\n");
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} cmds[] = {
		{ "load", cmd_load },
		{ "unload", cmd_unload },
		{ "status", cmd_status },
		{ "watch", cmd_watch },
		{ "attach", cmd_attach },
		{ "detach", cmd_detach },
		{ "set", cmd_set },
	};
	unsigned int i;
	int c;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V") ||
	    !strcmp(argv[1], "version")) {
		printf("dynbouncectl %s\n", DYNBOUNCECTL_VERSION);
		return 0;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].name))
			continue;
		for (c = 2; c < argc; c++) {
			if (!strcmp(argv[c], "--help") || !strcmp(argv[c], "-h")) {
				usage(stdout);
				return 0;
			}
		}
		return cmds[i].fn(argc - 1, argv + 1);
	}
	return fail(EXIT_USAGE, "unknown command '%s' (try 'dynbouncectl --help')", argv[1]);
}
