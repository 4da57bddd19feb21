// SPDX-License-Identifier: GPL-2.0
/*
 * The timing module of make bench: the streaming DMA API, measured itself.
 *
 * The module registers three platform devices that reach all of memory:
 *   dynb_bench.0  "direct": its kernel swiotlb is taken away, so even a
 *                 swiotlb=force boot maps it with plain dma-direct;
 *   dynb_bench.1  "swiotlb": as the kernel set it up (swiotlb=force boots
 *                 bounce it through the kernel's swiotlb);
 *   dynb_bench.2  for dynbounce to attach to (devices=dynb_bench.2,
 *                 force_bounce=1);
 *   dynb_bench.3  a second one ("bounce2"), so that a pair can set two
 *                 dynbounce devices side by side (one with live mappings
 *                 held, one without).
 * No driver binds them; the module maps on their behalf.
 *
 * The kernel's kernel/dma/map_benchmark.c reports an average and a standard
 * deviation of map and unmap timed apart, for one fixed direction, and stops
 * at the first failed mapping. make bench needs the median and p99 of
 * map+unmap together, a memcpy floor timed the same way, a count of failed
 * mappings (the kernel swiotlb refuses anything over 256 KiB), live mappings
 * held during a run, and a paced replay; hence this small module. Every
 * column is timed by it, the same way.
 *
 * Control, in debugfs (dynb_bench/), process context, one command at a time:
 *   run:    write "<what> <bytes> <threads> <dir> <ms>"; what is direct,
 *           swiotlb, bounce (the three devices) or memcpy; dir is to_device
 *           or bidirectional. Each thread maps and unmaps its own buffer
 *           (memcpy: copies it in, and back out for bidirectional) for
 *           <ms> ms, timing each operation with local_clock().
 *   pair:   write "<what> <what2> <bytes> <threads> <dir> <ms>": as run,
 *           but each thread alternates an operation of <what> with one of
 *           <what2> and times them apart. Whatever the host does to the
 *           guest's speed meanwhile, it does to both columns alike, so
 *           their ratio holds where two runs' medians would not.
 *   hold:   write "<n>": keep n 4 KiB to_device mappings live on
 *           dynb_bench.2 (0 releases them).
 *   replay: write "<what> <seconds>": the display replay, below.
 *   result: read the outcome of the last command:
 *           "ns_median ns_p99 ops_per_s samples failures ns_min ns_p10",
 *           and after a pair a second such line for <what2>.
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>

#define BENCH_DEVS		4
#define BENCH_MAX_THREADS	2
/* A run records at most this many samples per thread. */
#define BENCH_MAX_SAMPLES	BIT(18)
/* Operations per thread that are not recorded: first-use allocations. */
#define BENCH_WARMUP		4
/* A run goes on past its time until it has this many samples... */
#define BENCH_MIN_SAMPLES	50
/* ...but never longer than this many times its time. */
#define BENCH_MAX_STRETCH	4
#define BENCH_BUF_ORDER		10	/* 4 MiB: the largest size measured */
#define BENCH_HOLD_MAX		4096

/* What a column times; each device's platform id is its value. */
enum bench_what {
	BENCH_DIRECT, BENCH_SWIOTLB, BENCH_BOUNCE, BENCH_BOUNCE2, BENCH_MEMCPY
};

static const char *const bench_what_name[] = {
	[BENCH_DIRECT] = "direct",
	[BENCH_SWIOTLB] = "swiotlb",
	[BENCH_BOUNCE] = "bounce",
	[BENCH_BOUNCE2] = "bounce2",
	[BENCH_MEMCPY] = "memcpy",
};

/* A run times one column, a pair two. */
#define BENCH_COLS		2

/**
 * struct bench_col - what one thread measured of one column
 * @samples:	ns per operation
 * @n:		samples recorded
 * @ops:	operations done in the timed part (recorded or not)
 * @fails:	mappings that failed
 */
struct bench_col {
	u32 *samples;
	unsigned int n;
	u64 ops;
	u64 fails;
};

/* The outcome of one column, as "result" prints it. */
struct bench_result {
	u64 median, p99, ops_per_s, samples, fails, min, p10;
};

/**
 * struct bench_thread - one worker of a run
 * @task:	the kthread
 * @block:	two contiguous 4 MiB blocks
 * @buf:	the buffer it maps: 4 MiB from one page into @block
 * @copy:	where memcpy copies to (BENCH_BUF_ORDER pages)
 * @col:	per column: its samples and counts
 * @begin:	local_clock() when its timed part started
 * @end:	local_clock() when it stopped
 * @done:	completed when it stopped
 */
struct bench_thread {
	struct task_struct *task;
	struct completion done;
	void *block;
	void *buf;
	void *copy;
	struct bench_col col[BENCH_COLS];
	u64 begin;
	u64 end;
};

/*
 * The module's state. Every field is guarded by @lock, held for the whole
 * of a command; the workers write only into their own struct bench_thread.
 */
static struct bench {
	struct mutex lock;	/* one command at a time */
	struct platform_device *pdev[BENCH_DEVS];
	struct bench_thread thr[BENCH_MAX_THREADS];
	/* The run being done: @ncols columns. */
	struct device *dev[BENCH_COLS];
	enum bench_what what[BENCH_COLS];
	unsigned int ncols;
	size_t size;
	enum dma_data_direction dir;
	u64 budget_ns;
	unsigned int nthreads;
	atomic_t ready;
	/* Live mappings held by "hold". */
	void **hold_buf;
	dma_addr_t *hold_dma;
	unsigned int nhold;
	/* Outcome of the last command, per column. */
	struct bench_result res[BENCH_COLS];
	struct dentry *dir_dentry;
} bench;

/* The device a column maps for; NULL for memcpy. */
static struct device *bench_dev(enum bench_what what)
{
	return what == BENCH_MEMCPY ? NULL : &bench.pdev[what]->dev;
}

/* One operation of column @c. False if the mapping failed. */
static bool bench_op(struct bench_thread *t, unsigned int c)
{
	struct device *dev = bench.dev[c];
	dma_addr_t dma;

	if (bench.what[c] == BENCH_MEMCPY) {
		memcpy(t->copy, t->buf, bench.size);
		if (bench.dir == DMA_BIDIRECTIONAL)
			memcpy(t->buf, t->copy, bench.size);
		/* Keep the compiler from dropping copies nobody reads. */
		barrier();
		return true;
	}
	dma = dma_map_single_attrs(dev, t->buf, bench.size, bench.dir,
				   DMA_ATTR_NO_WARN);
	if (dma_mapping_error(dev, dma))
		return false;
	dma_unmap_single_attrs(dev, dma, bench.size, bench.dir, 0);
	return true;
}

/* One timed operation of column @c, recorded in @t's samples. */
static void bench_timed(struct bench_thread *t, unsigned int c)
{
	struct bench_col *col = &t->col[c];
	u64 t0 = local_clock(), t1;

	if (!bench_op(t, c)) {
		col->fails++;
		return;
	}
	t1 = local_clock();
	col->ops++;
	if (col->n < BENCH_MAX_SAMPLES)
		col->samples[col->n++] = min_t(u64, t1 - t0, U32_MAX);
}

/* Has every column enough samples, or failed often enough to give up? */
static bool bench_enough(struct bench_thread *t)
{
	unsigned int c;

	for (c = 0; c < bench.ncols; c++)
		if (t->col[c].n < BENCH_MIN_SAMPLES &&
		    (t->col[c].n || t->col[c].fails < BENCH_MIN_SAMPLES))
			return false;
	return true;
}

static int bench_thread_fn(void *data)
{
	struct bench_thread *t = data;
	u64 t0, t1, stop, hard_stop;
	unsigned int c;
	int i;

	for (i = 0; i < BENCH_WARMUP; i++)
		for (c = 0; c < bench.ncols; c++)
			bench_op(t, c);

	/* Start together: the throughput of two threads needs both busy. */
	atomic_inc(&bench.ready);
	while (atomic_read(&bench.ready) < bench.nthreads)
		cond_resched();
	t0 = local_clock();
	t->begin = t0;
	stop = t0 + bench.budget_ns;
	hard_stop = t0 + bench.budget_ns * BENCH_MAX_STRETCH;

	for (;;) {
		for (c = 0; c < bench.ncols; c++)
			bench_timed(t, c);
		t1 = local_clock();
		/*
		 * A mapping that failed from the start will not succeed
		 * (the kernel swiotlb over 256 KiB): stop once that is clear.
		 */
		if (t1 >= hard_stop || ((t1 >= stop || !t->col[0].n) &&
					bench_enough(t)))
			break;
		cond_resched();
	}
	t->end = local_clock();
	complete(&t->done);
	/* kthread_stop() must find the thread alive; it comes soon. */
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

static int bench_cmp_u32(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

/*
 * The median, p99, minimum and p10 of @n samples in @s, which gets sorted.
 * Under TCG on a loaded host an operation longer than a host time slice
 * is often stretched by the host's scheduler; the low percentiles show
 * what it costs undisturbed.
 */
static void bench_stats(struct bench_result *r, u32 *s, unsigned int n)
{
	sort(s, n, sizeof(*s), bench_cmp_u32, NULL);
	r->samples = n;
	r->median = n ? s[n / 2] : 0;
	r->min = n ? s[0] : 0;
	r->p10 = n ? s[n / 10] : 0;
	r->p99 = n ? s[min(n - 1, (unsigned int)((u64)n * 99 / 100))] : 0;
}

/* Column @c's samples of every thread of the run just done, in @r. */
static int bench_collect(unsigned int c, struct bench_result *r)
{
	u64 ops = 0, begin = U64_MAX, end = 0;
	unsigned int i, n = 0;
	u32 *all;

	for (i = 0; i < bench.nthreads; i++)
		n += bench.thr[i].col[c].n;
	all = vmalloc(array_size(max(n, 1U), sizeof(*all)));
	if (!all)
		return -ENOMEM;
	n = 0;
	r->fails = 0;
	for (i = 0; i < bench.nthreads; i++) {
		struct bench_thread *t = &bench.thr[i];
		struct bench_col *col = &t->col[c];

		memcpy(all + n, col->samples, col->n * sizeof(*all));
		n += col->n;
		ops += col->ops;
		r->fails += col->fails;
		begin = min(begin, t->begin);
		end = max(end, t->end);
	}
	bench_stats(r, all, n);
	vfree(all);
	/* A pair's columns share the wall time: each gets its own ops. */
	r->ops_per_s = end > begin ?
		       div64_u64(ops * NSEC_PER_SEC, end - begin) : 0;
	return 0;
}

/* Time @ncols columns of @what (a run: one; a pair: two, alternating). */
static int bench_run(const enum bench_what *what, unsigned int ncols,
		     size_t size, unsigned int nthreads,
		     enum dma_data_direction dir, unsigned int ms)
{
	unsigned int i, c;
	int ret = 0;

	for (c = 0; c < ncols; c++) {
		bench.what[c] = what[c];
		bench.dev[c] = bench_dev(what[c]);
	}
	bench.ncols = ncols;
	bench.size = size;
	bench.dir = dir;
	bench.nthreads = nthreads;
	bench.budget_ns = (u64)ms * NSEC_PER_MSEC;
	atomic_set(&bench.ready, 0);

	for (i = 0; i < nthreads; i++) {
		struct bench_thread *t = &bench.thr[i];

		for (c = 0; c < BENCH_COLS; c++) {
			t->col[c].n = 0;
			t->col[c].ops = 0;
			t->col[c].fails = 0;
		}
		init_completion(&t->done);
		t->task = kthread_create(bench_thread_fn, t, "dynb_bench/%u", i);
		if (IS_ERR(t->task)) {
			ret = PTR_ERR(t->task);
			t->task = NULL;
			break;
		}
		/* One worker per CPU: two threads must mean two CPUs. */
		kthread_bind(t->task, i % num_online_cpus());
	}
	if (ret) {
		/* Not started yet: nothing has to wait for the others. */
		atomic_set(&bench.ready, BENCH_MAX_THREADS);
		bench.nthreads = 0;
	}
	for (i = 0; i < nthreads && bench.thr[i].task; i++)
		wake_up_process(bench.thr[i].task);
	for (i = 0; i < nthreads && bench.thr[i].task; i++) {
		/* A thread stopped before it ran would never run its loop. */
		if (!ret)
			wait_for_completion(&bench.thr[i].done);
		kthread_stop(bench.thr[i].task);
		bench.thr[i].task = NULL;
	}
	if (ret)
		return ret;

	for (c = 0; c < ncols && !ret; c++)
		ret = bench_collect(c, &bench.res[c]);
	return ret;
}

/* ---- hold: live mappings kept during a run ------------------------------ */

static void bench_release(void)
{
	struct device *dev = &bench.pdev[BENCH_BOUNCE]->dev;

	while (bench.nhold) {
		bench.nhold--;
		dma_unmap_single(dev, bench.hold_dma[bench.nhold], PAGE_SIZE,
				 DMA_TO_DEVICE);
		free_page((unsigned long)bench.hold_buf[bench.nhold]);
	}
}

static int bench_hold(unsigned int n)
{
	struct device *dev = &bench.pdev[BENCH_BOUNCE]->dev;
	void *p;
	dma_addr_t dma;

	bench_release();
	if (n > BENCH_HOLD_MAX)
		return -EINVAL;
	while (bench.nhold < n) {
		p = (void *)__get_free_page(GFP_KERNEL);
		if (!p)
			return -ENOMEM;
		memset(p, 0x5a, PAGE_SIZE);
		dma = dma_map_single(dev, p, PAGE_SIZE, DMA_TO_DEVICE);
		if (dma_mapping_error(dev, dma)) {
			free_page((unsigned long)p);
			return -ENOMEM;
		}
		bench.hold_buf[bench.nhold] = p;
		bench.hold_dma[bench.nhold++] = dma;
	}
	return 0;
}

/* ---- replay: display buffers mapped frame after frame ------------------- */

/*
 * Buffer sizes of the Raspberry Pi 4 display path from public swiotlb
 * reports (DESIGN.md), in the order a mixed desktop might use them.
 */
static const u32 bench_pi_sizes[] = {
	466944, 524288, 815104, 999424, 2097152, 3624960, 4894720, 14155776,
};

#define BENCH_REPLAY_BYTES	(16UL << 20)	/* holds the largest size */
#define BENCH_REPLAY_RING	2		/* front and back buffer */
#define BENCH_REPLAY_FRAME_US	16667		/* 60 Hz */
/* 4 MiB blocks per replay buffer: the largest size, one page skewed. */
#define BENCH_REPLAY_BLOCKS	5

/* ---- contiguous memory beyond the page allocator's largest block -------- */

#define BENCH_BLOCK		(PAGE_SIZE << BENCH_BUF_ORDER)
#define BENCH_GRAB_BATCH	32
#define BENCH_GRAB_MAX		1024	/* 4 GiB of 4 MiB blocks */

static int bench_cmp_pfn(const void *a, const void *b)
{
	unsigned long x = page_to_pfn(*(struct page *const *)a);
	unsigned long y = page_to_pfn(*(struct page *const *)b);

	return x < y ? -1 : x > y;
}

/*
 * Runs of @per neighbouring blocks among the @got sorted ones; with @out,
 * claim them (their entries become NULL) and store their addresses.
 */
static unsigned int bench_runs(struct page **blk, unsigned int got,
			       unsigned int per, void **out, unsigned int nr)
{
	unsigned int i, len = 0, found = 0;
	unsigned long pfn, prev = 0;

	for (i = 0; i < got && found < nr; i++) {
		pfn = page_to_pfn(blk[i]);
		len = len && pfn == prev + (1UL << BENCH_BUF_ORDER) ? len + 1 : 1;
		prev = pfn;
		if (len < per)
			continue;
		if (out) {
			out[found] = page_address(blk[i + 1 - per]);
			/* Claimed: bench_contig() must not free them. */
			memset(&blk[i + 1 - per], 0, per * sizeof(*blk));
		}
		found++;
		len = 0;
	}
	return found;
}

/*
 * @nr physically contiguous buffers of @per 4 MiB blocks each, into @out.
 * dma_map_single() needs the buffer it maps to be contiguous, and without
 * CMA nothing hands out more than 4 MiB in one piece: take 4 MiB blocks
 * until the page allocator has given @nr runs of neighbours, keep those,
 * give the rest back. Freed with bench_contig_free().
 */
static int bench_contig(void **out, unsigned int nr, unsigned int per)
{
	struct page **blk;
	unsigned int got = 0, i;
	int ret = -ENOMEM;

	blk = kvcalloc(BENCH_GRAB_MAX, sizeof(*blk), GFP_KERNEL);
	if (!blk)
		return -ENOMEM;
	while (got < BENCH_GRAB_MAX) {
		for (i = 0; i < BENCH_GRAB_BATCH && got < BENCH_GRAB_MAX; i++) {
			blk[got] = alloc_pages(GFP_KERNEL | __GFP_NOWARN |
					       __GFP_NORETRY, BENCH_BUF_ORDER);
			if (!blk[got])
				break;
			got++;
		}
		sort(blk, got, sizeof(*blk), bench_cmp_pfn, NULL);
		if (bench_runs(blk, got, per, NULL, nr) >= nr) {
			bench_runs(blk, got, per, out, nr);
			ret = 0;
			break;
		}
		if (i < BENCH_GRAB_BATCH)
			break;	/* memory ran out */
	}
	for (i = 0; i < got; i++)
		if (blk[i])
			__free_pages(blk[i], BENCH_BUF_ORDER);
	kvfree(blk);
	return ret;
}

static void bench_contig_free(void *p, unsigned int per)
{
	unsigned int k;

	if (!p)
		return;
	for (k = 0; k < per; k++)
		__free_pages(virt_to_page(p + k * BENCH_BLOCK), BENCH_BUF_ORDER);
}

/*
 * QEMU's TCG looks guest pages up in a direct-mapped software TLB of 2^n
 * entries, so a copy between two buffers whose distance is a multiple of
 * 2^n pages misses it on every access: several times slower, and an
 * artefact of the emulator. Page allocator blocks, bounce pools and
 * dynamic bounce buffers are all aligned to large powers of two; an
 * original that starts one page into its block keeps every distance an
 * odd number of pages.
 */
#define BENCH_SRC_SKEW		PAGE_SIZE

/*
 * Frame after frame at 60 Hz, map the next buffer (to_device, as a
 * compositor hands a frame to scan-out) while the previous one stays
 * mapped, then unmap the one before. The time of each frame's map plus
 * unmap is a sample; a mapping that fails counts as a failure.
 */
static int bench_replay(enum bench_what what, unsigned int seconds)
{
	struct bench_result *r = &bench.res[0];
	struct device *dev = bench_dev(what);
	void *ring[BENCH_REPLAY_RING] = {};
	dma_addr_t dma[BENCH_REPLAY_RING];
	size_t len[BENCH_REPLAY_RING] = {};
	unsigned int frame = 0, n = 0, slot, max_n;
	u64 t0, t1, stop, next;
	u32 *s;
	int ret, i;

	ret = bench_contig(ring, BENCH_REPLAY_RING, BENCH_REPLAY_BLOCKS);
	if (ret) {
		pr_err("dynb_bench: no %d contiguous %lu MiB buffers for the replay\n",
		       BENCH_REPLAY_RING, BENCH_REPLAY_BYTES >> 20);
		goto out;
	}
	for (i = 0; i < BENCH_REPLAY_RING; i++)
		memset(ring[i], 0x3c, BENCH_REPLAY_BLOCKS * BENCH_BLOCK);
	max_n = seconds * (USEC_PER_SEC / BENCH_REPLAY_FRAME_US + 1) + 1;
	s = vmalloc(array_size(max_n, sizeof(*s)));
	if (!s) {
		ret = -ENOMEM;
		goto out;
	}

	r->fails = 0;
	t0 = local_clock();
	stop = t0 + (u64)seconds * NSEC_PER_SEC;
	next = t0;
	while (local_clock() < stop && n < max_n) {
		size_t size = bench_pi_sizes[frame % ARRAY_SIZE(bench_pi_sizes)];
		u64 took = 0;

		slot = frame % BENCH_REPLAY_RING;
		/* The buffer mapped two frames ago leaves scan-out. */
		if (len[slot]) {
			t0 = local_clock();
			dma_unmap_single(dev, dma[slot], len[slot], DMA_TO_DEVICE);
			took = local_clock() - t0;
			len[slot] = 0;
		}
		t0 = local_clock();
		dma[slot] = dma_map_single_attrs(dev, ring[slot] + BENCH_SRC_SKEW,
						 size,
						 DMA_TO_DEVICE, DMA_ATTR_NO_WARN);
		t1 = local_clock();
		if (dma_mapping_error(dev, dma[slot])) {
			r->fails++;
		} else {
			len[slot] = size;
			s[n++] = min_t(u64, took + t1 - t0, U32_MAX);
		}
		frame++;
		next += BENCH_REPLAY_FRAME_US * NSEC_PER_USEC;
		t1 = local_clock();
		if (t1 < next)
			usleep_range((next - t1) / NSEC_PER_USEC,
				     (next - t1) / NSEC_PER_USEC + 100);
		else
			next = t1;	/* late: no catching up in a burst */
	}
	for (i = 0; i < BENCH_REPLAY_RING; i++)
		if (len[i])
			dma_unmap_single(dev, dma[i], len[i], DMA_TO_DEVICE);
	bench_stats(r, s, n);
	r->ops_per_s = frame / max(seconds, 1U);
	vfree(s);
out:
	for (i = 0; i < BENCH_REPLAY_RING; i++)
		bench_contig_free(ring[i], BENCH_REPLAY_BLOCKS);
	return ret;
}

/* ---- debugfs ------------------------------------------------------------ */

static int bench_parse_what(const char *w)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(bench_what_name); i++)
		if (!strcmp(w, bench_what_name[i]))
			return i;
	return -EINVAL;
}

static ssize_t bench_write(struct file *file, const char __user *ubuf,
			   size_t count, loff_t *ppos)
{
	const char *cmd = file->private_data;
	char text[96], what[16], what2[16], dir[16];
	enum bench_what cols[BENCH_COLS];
	enum dma_data_direction ddir;
	unsigned int size, threads, ms, n, ncols = 1;
	int w, w2 = 0, ret;

	if (count >= sizeof(text))
		return -EINVAL;
	if (copy_from_user(text, ubuf, count))
		return -EFAULT;
	text[count] = 0;

	mutex_lock(&bench.lock);
	memset(bench.res, 0, sizeof(bench.res));
	bench.ncols = 1;
	ret = -EINVAL;
	if (!strcmp(cmd, "run") || !strcmp(cmd, "pair")) {
		if (!strcmp(cmd, "run")) {
			if (sscanf(text, "%15s %u %u %15s %u", what, &size,
				   &threads, dir, &ms) != 5)
				goto out;
		} else {
			if (sscanf(text, "%15s %15s %u %u %15s %u", what, what2,
				   &size, &threads, dir, &ms) != 6)
				goto out;
			w2 = bench_parse_what(what2);
			ncols = 2;
		}
		w = bench_parse_what(what);
		if (w < 0 || w2 < 0 || !size ||
		    size > (PAGE_SIZE << BENCH_BUF_ORDER) ||
		    !threads || threads > BENCH_MAX_THREADS || !ms)
			goto out;
		if (!strcmp(dir, "to_device"))
			ddir = DMA_TO_DEVICE;
		else if (!strcmp(dir, "bidirectional"))
			ddir = DMA_BIDIRECTIONAL;
		else
			goto out;
		cols[0] = w;
		cols[1] = w2;
		ret = bench_run(cols, ncols, size, threads, ddir, ms);
	} else if (!strcmp(cmd, "hold")) {
		if (kstrtouint(strim(text), 0, &n))
			goto out;
		ret = bench_hold(n);
	} else if (!strcmp(cmd, "replay")) {
		if (sscanf(text, "%15s %u", what, &n) != 2)
			goto out;
		w = bench_parse_what(what);
		if (w >= 0 && w != BENCH_MEMCPY && n)
			ret = bench_replay(w, n);
	}
out:
	mutex_unlock(&bench.lock);
	return ret ? ret : count;
}

static const struct file_operations bench_cmd_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = bench_write,
	.llseek = noop_llseek,
};

static int bench_result_show(struct seq_file *m, void *unused)
{
	unsigned int c;

	mutex_lock(&bench.lock);
	for (c = 0; c < bench.ncols; c++) {
		struct bench_result *r = &bench.res[c];

		seq_printf(m, "%llu %llu %llu %llu %llu %llu %llu\n",
			   r->median, r->p99, r->ops_per_s, r->samples,
			   r->fails, r->min, r->p10);
	}
	mutex_unlock(&bench.lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(bench_result);

/* ---- module ------------------------------------------------------------- */

static void bench_free(void)
{
	int i;

	for (i = 0; i < BENCH_MAX_THREADS; i++) {
		vfree(bench.thr[i].col[0].samples);
		vfree(bench.thr[i].col[1].samples);
		bench_contig_free(bench.thr[i].block, 2);
		if (bench.thr[i].copy)
			free_pages((unsigned long)bench.thr[i].copy, BENCH_BUF_ORDER);
	}
	kfree(bench.hold_buf);
	kfree(bench.hold_dma);
	for (i = 0; i < BENCH_DEVS; i++)
		if (!IS_ERR_OR_NULL(bench.pdev[i]))
			platform_device_unregister(bench.pdev[i]);
}

static int __init bench_init(void)
{
	struct platform_device_info info = {
		.name = "dynb_bench",
		.dma_mask = DMA_BIT_MASK(64),
	};
	unsigned int c;
	int i;

	mutex_init(&bench.lock);
	for (i = 0; i < BENCH_DEVS; i++) {
		info.id = i;
		bench.pdev[i] = platform_device_register_full(&info);
		if (IS_ERR(bench.pdev[i]))
			goto fail;
	}
	/* No kernel swiotlb for the direct device, even with swiotlb=force. */
	bench.pdev[BENCH_DIRECT]->dev.dma_io_tlb_mem = NULL;

	{
		void *blocks[BENCH_MAX_THREADS] = {};

		if (bench_contig(blocks, BENCH_MAX_THREADS, 2))
			goto fail;
		for (i = 0; i < BENCH_MAX_THREADS; i++)
			bench.thr[i].block = blocks[i];
	}
	for (i = 0; i < BENCH_MAX_THREADS; i++) {
		struct bench_thread *t = &bench.thr[i];

		t->buf = t->block + BENCH_SRC_SKEW;
		for (c = 0; c < BENCH_COLS; c++) {
			t->col[c].samples =
				vmalloc(array_size(BENCH_MAX_SAMPLES,
						   sizeof(u32)));
			if (!t->col[c].samples)
				goto fail;
		}
		t->copy = (void *)__get_free_pages(GFP_KERNEL, BENCH_BUF_ORDER);
		if (!t->copy)
			goto fail;
		memset(t->buf, 0xa5, PAGE_SIZE << BENCH_BUF_ORDER);
		memset(t->copy, 0, PAGE_SIZE << BENCH_BUF_ORDER);
	}
	bench.hold_buf = kcalloc(BENCH_HOLD_MAX, sizeof(*bench.hold_buf),
				 GFP_KERNEL);
	bench.hold_dma = kcalloc(BENCH_HOLD_MAX, sizeof(*bench.hold_dma),
				 GFP_KERNEL);
	if (!bench.hold_buf || !bench.hold_dma)
		goto fail;

	bench.dir_dentry = debugfs_create_dir("dynb_bench", NULL);
	/* simple_open() hands each file's name to bench_write(). */
	debugfs_create_file("run", 0200, bench.dir_dentry, "run",
			    &bench_cmd_fops);
	debugfs_create_file("pair", 0200, bench.dir_dentry, "pair",
			    &bench_cmd_fops);
	debugfs_create_file("hold", 0200, bench.dir_dentry, "hold",
			    &bench_cmd_fops);
	debugfs_create_file("replay", 0200, bench.dir_dentry, "replay",
			    &bench_cmd_fops);
	debugfs_create_file("result", 0400, bench.dir_dentry, NULL,
			    &bench_result_fops);
	return 0;
fail:
	bench_free();
	return -ENOMEM;
}

static void __exit bench_exit(void)
{
	debugfs_remove_recursive(bench.dir_dentry);
	mutex_lock(&bench.lock);
	bench_release();
	mutex_unlock(&bench.lock);
	bench_free();
}

module_init(bench_init);
module_exit(bench_exit);
MODULE_DESCRIPTION("dynbounce benchmark: streaming DMA API cost per mapping");
MODULE_LICENSE("GPL");
