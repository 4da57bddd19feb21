// SPDX-License-Identifier: GPL-2.0
/*
 * edu_test.c - move data through QEMU's "edu" PCI device with the streaming
 * DMA API and check every byte on both sides.
 *
 * The edu device (1234:11e8) has a 4 KiB buffer at device address 0x40000
 * and a DMA engine that copies up to 4 KiB between that buffer and a bus
 * address. Its reach is limited: 28 bits unless QEMU's dma_mask property
 * says otherwise (set dma_bits= to match). This driver places CPU buffers
 * above that reach, maps them, moves them through the device in chunks of
 * 4095 bytes and checks every byte, so whatever bounces the DMA underneath
 * (swiotlb, dynbounce) is exercised by real device traffic. A mapping that
 * fails is a result ("fail: map error size=N ..."), counted in "stats".
 *
 * The engine ends a command 100 ms of QEMU virtual time after it starts.
 * We poll with sleeps, so "-icount shift=3,sleep=off" lets QEMU skip those
 * idle waits: the guest sleeps, QEMU's virtual clock jumps ahead.
 *
 * Control: write one command to /sys/kernel/debug/edu_test/<pci-name>/run,
 * read it back for the result ("ok ..." or "fail: <why>"); "stats" in the
 * same folder shows counters. Commands (sizes take K/M suffixes):
 *
 *   xfer api=single|page|sg dir=to|from|bidi size=N off=N iters=N
 *   sync api=single|page|sg dir=bidi|from size=N off=N rounds=N
 *   hold size=N off=N		keep one bidirectional mapping live
 *   release			unmap and check it
 *   pisizes api=.. dir=.. off=..	xfer each Raspberry Pi buffer size
 */

#define pr_fmt(fmt)	KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/dma-mapping.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/iopoll.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#define EDU_REG_ID		0x00
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_CNT		0x90
#define EDU_REG_DMA_CMD		0x98
#define EDU_CMD_START		BIT(0)	/* write 1 to start, reads 1 while busy */
#define EDU_CMD_TO_RAM		BIT(1)	/* device buffer -> bus address */
#define EDU_DEV_BUF		0x40000	/* device address of its 4 KiB buffer */
/*
 * Bytes per engine command. QEMU up to 7.2 refuses (and aborts on) a
 * transfer that ends at the buffer's last byte, so use 4095 of its 4096:
 * odd-sized chunks that straddle pages are no bad thing here.
 */
#define EDU_CHUNK		4095

/* The engine takes 100 ms (QEMU virtual time) per command: sleep that long. */
#define EDU_POLL_US		(100 * USEC_PER_MSEC)
#define EDU_TIMEOUT_US		(2 * USEC_PER_SEC)
#define EDU_RESULT_LEN		512
#define EDU_CMD_LEN		256
#define EDU_GUARD		SZ_64K	/* checked bytes around a mapping */
#define EDU_MAX_BLOCKS		64	/* max-order blocks tried to find a run */
#define EDU_STASH_BLOCKS	64	/* reachable max-order blocks kept aside */
#define EDU_MAX_SIZE		SZ_32M

/* The largest buddy allocation; MAX_ORDER was one past it before 6.4. */
#ifdef MAX_PAGE_ORDER
#define EDU_BLOCK_ORDER		MAX_PAGE_ORDER
#else
#define EDU_BLOCK_ORDER		(MAX_ORDER - 1)
#endif
#define EDU_BLOCK_BYTES		(PAGE_SIZE << EDU_BLOCK_ORDER)

static unsigned int dma_bits = 28;
module_param(dma_bits, uint, 0444);
MODULE_PARM_DESC(dma_bits, "DMA mask bits, as QEMU's edu dma_mask (default: 28)");

enum edu_api { EDU_SINGLE, EDU_PAGE, EDU_SG };

static const char * const edu_api_names[] = {
	[EDU_SINGLE] = "single", [EDU_PAGE] = "page", [EDU_SG] = "sg",
};

static const char * const edu_dir_names[] = {
	[DMA_BIDIRECTIONAL] = "bidi",
	[DMA_TO_DEVICE] = "to",
	[DMA_FROM_DEVICE] = "from",
};

/*
 * Scatterlist segment lengths, used in turn: odd, page-crossing. None is
 * under 64 bytes, so no two segments of a list start in the same cache line:
 * DMA-API debug reports that for a device-writable list ("cacheline
 * tracking EEXIST"), and on a non-coherent machine it is a real hazard.
 */
static const size_t edu_sg_lens[] = { 65, 4031, 4097, 65539, 67, 1048581, 12291 };

/* Buffer sizes of the Raspberry Pi 4 display path that swiotlb refuses. */
static const size_t edu_pi_sizes[] = {
	466944, 524288, 815104, 999424, 2097152, 3624960, 4894720, 14155776,
};

/**
 * struct edu_buf - physically contiguous CPU memory
 * @page:	first page
 * @nr:		max-order blocks at consecutive PFNs
 * @cpu:	linear-map address of the first byte
 * @len:	bytes
 */
struct edu_buf {
	struct page *page;
	unsigned int nr;
	u8 *cpu;
	size_t len;
};

/* One DMA-contiguous piece of a mapping, at byte @pos of the mapping. */
struct edu_ext {
	dma_addr_t dma;
	size_t pos;
	size_t len;
};

/**
 * struct edu_map - a streaming mapping of bytes [@off, @off + @size) of @buf
 * @api:	how it was mapped
 * @dir:	its direction
 * @buf:	the CPU memory
 * @off:	first byte of @buf mapped
 * @size:	bytes mapped
 * @dma:	handle of a single or page mapping
 * @sgt:	table of an sg mapping
 * @one:	the extent of a single or page mapping
 * @ext:	DMA-contiguous extents, in mapping order
 * @next:	number of @ext
 * @nsegs:	segments handed to the DMA API
 * @maxseg:	largest of those
 */
struct edu_map {
	enum edu_api api;
	enum dma_data_direction dir;
	struct edu_buf *buf;
	size_t off;
	size_t size;
	dma_addr_t dma;
	struct sg_table sgt;
	struct edu_ext one;
	struct edu_ext *ext;
	unsigned int next;
	unsigned int nsegs;
	size_t maxseg;
};

struct edu_stats {
	u64 commands;
	u64 failed;
	u64 transfers;
	u64 segments;
	u64 map_errors;
	u64 reach_errors;
	u64 data_errors;
	u64 timeouts;
	u64 no_memory;
	u64 dma_cmds;
	u64 bytes;
	u64 bytes_out_of_reach;
};

/* Arguments of one command. */
struct edu_args {
	enum edu_api api;
	enum dma_data_direction dir;
	size_t size;
	size_t off;
	unsigned int iters;
	unsigned int rounds;
};

/**
 * struct edu_dev - one edu device
 * @pdev:	the PCI device
 * @bar:	its registers
 * @reach:	highest bus address its DMA engine reaches
 * @src:	coherent 4 KiB the device loads data from
 * @src_dma:	its bus address
 * @chk:	coherent 4 KiB the device returns data into
 * @chk_dma:	its bus address
 * @dir:	debugfs folder
 * @lock:	serialises commands; guards all fields below
 * @seed:	varies the data of each transfer
 * @broken:	the engine timed out: no further commands
 * @st:		counters
 * @holding:	@hold_map is live
 * @hold_buf:	memory of the held mapping
 * @hold_map:	the held mapping
 * @hold_seed:	data of the held mapping
 * @stash:	blocks of memory the device reaches, kept out of the way
 * @nstash:	number of @stash
 * @result:	result of the last command
 */
struct edu_dev {
	struct pci_dev *pdev;
	void __iomem *bar;
	u64 reach;
	u8 *src;
	dma_addr_t src_dma;
	u8 *chk;
	dma_addr_t chk_dma;
	struct dentry *dir;

	struct mutex lock;	/* serialises commands, guards what follows */
	u32 seed;
	bool broken;
	struct edu_stats st;
	bool holding;
	struct edu_buf hold_buf;
	struct edu_map hold_map;
	u32 hold_seed;
	struct page *stash[EDU_STASH_BLOCKS];
	unsigned int nstash;
	char result[EDU_RESULT_LEN];
};

static struct dentry *edu_root;

static struct device *edu_to_dev(struct edu_dev *edu)
{
	return &edu->pdev->dev;
}

static __printf(3, 4) int edu_fail(struct edu_dev *edu, int err,
				   const char *fmt, ...)
{
	va_list args;
	int n;

	n = scnprintf(edu->result, sizeof(edu->result), "fail: ");
	va_start(args, fmt);
	vscnprintf(edu->result + n, sizeof(edu->result) - n, fmt, args);
	va_end(args);
	return err;
}

static u32 edu_next_seed(struct edu_dev *edu)
{
	edu->seed += 0x9e3779b9;
	return edu->seed;
}

/* Test data: byte @pos of a stream named by @seed. */
static u8 edu_pat(u32 seed, size_t pos)
{
	return (((u32)pos + seed) * 0x9e3779b1u) >> 24;
}

static void edu_fill(u8 *p, size_t len, u32 seed, size_t pos)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = edu_pat(seed, pos + i);
}

static int edu_mismatch(struct edu_dev *edu, const char *what, size_t at,
			size_t len, u8 got, u8 want, size_t bad)
{
	edu->st.data_errors++;
	dev_err(edu_to_dev(edu), "%s: byte %zu of %zu is 0x%02x, want 0x%02x (%zu bytes differ)\n",
		what, at, len, got, want, bad);
	return edu_fail(edu, -EIO,
			"data mismatch %s at %zu of %zu: got 0x%02x want 0x%02x, %zu bytes differ",
			what, at, len, got, want, bad);
}

/* Check @len bytes at @p against the pattern (@seed, @pos). */
static int edu_verify_pat(struct edu_dev *edu, const char *what, const u8 *p,
			  size_t len, u32 seed, size_t pos)
{
	size_t i, first = len, bad = 0;

	for (i = 0; i < len; i++) {
		if (p[i] == edu_pat(seed, pos + i))
			continue;
		if (!bad++)
			first = i;
	}
	if (!bad)
		return 0;
	return edu_mismatch(edu, what, first, len, p[first],
			    edu_pat(seed, pos + first), bad);
}

/* Check @len bytes at @p against @want. */
static int edu_verify_mem(struct edu_dev *edu, const char *what, const u8 *p,
			  const u8 *want, size_t len)
{
	size_t i, first = len, bad = 0;

	if (!memcmp(p, want, len))
		return 0;
	for (i = 0; i < len; i++) {
		if (p[i] != want[i] && !bad++)
			first = i;
	}
	return edu_mismatch(edu, what, first, len, p[first], want[first], bad);
}

/*
 * Guard bytes: up to EDU_GUARD on each side of [@off, @off + @size) of @b
 * hold the pattern @seed at their offset in @b, and must keep it.
 */
static void edu_guard_fill(struct edu_buf *b, size_t off, size_t size,
			   u32 seed)
{
	size_t lo = off - min_t(size_t, off, EDU_GUARD);
	size_t end = off + size;
	size_t hi = min(b->len, end + EDU_GUARD);

	edu_fill(b->cpu + lo, off - lo, seed, lo);
	edu_fill(b->cpu + end, hi - end, seed, end);
}

static int edu_guard_check(struct edu_dev *edu, struct edu_buf *b, size_t off,
			   size_t size, u32 seed)
{
	size_t lo = off - min_t(size_t, off, EDU_GUARD);
	size_t end = off + size;
	size_t hi = min(b->len, end + EDU_GUARD);
	int ret;

	ret = edu_verify_pat(edu, "guard before", b->cpu + lo, off - lo, seed, lo);
	if (ret)
		return ret;
	return edu_verify_pat(edu, "guard after", b->cpu + end, hi - end, seed,
			      end);
}

static bool edu_beyond(struct edu_dev *edu, struct page *page)
{
	return page_to_phys(page) > edu->reach;
}

/* Bytes of [@p, @p + @len) the device cannot reach. */
static u64 edu_bytes_beyond(struct edu_dev *edu, void *p, size_t len)
{
	phys_addr_t start = virt_to_phys(p);
	phys_addr_t last = start + len - 1;

	if (start > edu->reach)
		return len;
	if (last <= edu->reach)
		return 0;
	return last - edu->reach;
}

static void edu_buf_free(struct edu_buf *b)
{
	unsigned int i;

	for (i = 0; i < b->nr; i++)
		__free_pages(nth_page(b->page, i << EDU_BLOCK_ORDER),
			     EDU_BLOCK_ORDER);
	memset(b, 0, sizeof(*b));
}

/* Index of the first of @nr PFN-adjacent blocks in @held, or -1. */
static int edu_find_run(struct page **held, unsigned int n, unsigned int nr)
{
	unsigned long step = 1UL << EDU_BLOCK_ORDER;
	unsigned int i, len = 0;

	for (i = 0; i < n; i++) {
		if (len && page_to_pfn(held[i]) == page_to_pfn(held[i - 1]) + step)
			len++;
		else
			len = 1;
		if (len == nr)
			return i + 1 - nr;
	}
	return -1;
}

/*
 * Every buffer is a run of @nr max-order (4 MiB) blocks at adjacent PFNs,
 * out of the device's reach:
 *  - A freshly booted kernel hands out its lowest free memory first, so
 *    retrying alone may never leave the device's reach. Blocks the device
 *    reaches are kept on @edu->stash until it goes (up to EDU_STASH_BLOCKS,
 *    enough for a 28-bit device), and later allocations come from above.
 *  - Beyond one block, contiguous memory needs CMA, which Debian's x86_64
 *    kernels lack; and on arm64 the CMA area lies below 4 GiB, where the
 *    device reaches it and nothing would bounce. Adjacent blocks make one
 *    buffer instead: the linear map and the memory map are contiguous
 *    across them.
 * When the stash is full, reachable blocks are used too (the result's
 * out_of_reach shows it).
 */
static int edu_buf_alloc(struct edu_dev *edu, struct edu_buf *b, size_t off,
			 size_t size)
{
	unsigned int nr, n = 0, i, tries;
	size_t need = off + size + EDU_GUARD;
	struct page **held;
	int first = -1;

	/* Rather fewer guard bytes than a second block. */
	if (off + size <= EDU_BLOCK_BYTES)
		need = min_t(size_t, need, EDU_BLOCK_BYTES);
	nr = DIV_ROUND_UP(need, EDU_BLOCK_BYTES);

	held = kcalloc(EDU_MAX_BLOCKS, sizeof(*held), GFP_KERNEL);
	if (!held)
		return -ENOMEM;
	for (tries = 0; first < 0 && tries < EDU_MAX_BLOCKS + EDU_STASH_BLOCKS;
	     tries++) {
		struct page *page;

		page = alloc_pages(GFP_KERNEL | __GFP_NOWARN | __GFP_NORETRY,
				   EDU_BLOCK_ORDER);
		if (!page)
			break;
		if (!edu_beyond(edu, page) && edu->nstash < EDU_STASH_BLOCKS) {
			edu->stash[edu->nstash++] = page;
			continue;
		}
		/* Keep @held sorted by PFN. */
		for (i = n; i && page_to_pfn(held[i - 1]) > page_to_pfn(page); i--)
			held[i] = held[i - 1];
		held[i] = page;
		first = edu_find_run(held, ++n, nr);
		if (n == EDU_MAX_BLOCKS)
			break;
	}
	for (i = 0; i < n; i++) {
		if (first < 0 || i < first || i >= first + nr)
			__free_pages(held[i], EDU_BLOCK_ORDER);
	}
	if (first >= 0) {
		b->page = held[first];
		b->nr = nr;
		b->cpu = page_address(b->page);
		b->len = EDU_BLOCK_BYTES * nr;
	}
	kfree(held);
	return first < 0 ? -ENOMEM : 0;
}

static int edu_no_memory(struct edu_dev *edu, size_t size)
{
	edu->st.no_memory++;
	return edu_fail(edu, -ENOMEM, "no memory size=%zu", size);
}

static int edu_map_failed(struct edu_dev *edu, struct edu_map *m)
{
	edu->st.map_errors++;
	dev_dbg(edu_to_dev(edu), "map error: %zu bytes, %s, %s\n", m->size,
		edu_api_names[m->api], edu_dir_names[m->dir]);
	return edu_fail(edu, -ENOMEM,
			"map error size=%zu api=%s dir=%s segs=%u maxseg=%zu",
			m->size, edu_api_names[m->api], edu_dir_names[m->dir],
			m->nsegs, m->maxseg);
}

static int edu_map_sg(struct edu_dev *edu, struct edu_map *m)
{
	struct device *dev = edu_to_dev(edu);
	u8 *cpu = m->buf->cpu + m->off;
	struct scatterlist *sg;
	unsigned int n = 0, i;
	size_t pos, len;
	int ret;

	for (pos = 0; pos < m->size; pos += len)
		len = min(edu_sg_lens[n++ % ARRAY_SIZE(edu_sg_lens)],
			  m->size - pos);
	ret = sg_alloc_table(&m->sgt, n, GFP_KERNEL);
	if (ret)
		return edu_no_memory(edu, m->size);
	pos = 0;
	for_each_sgtable_sg(&m->sgt, sg, i) {
		len = min(edu_sg_lens[i % ARRAY_SIZE(edu_sg_lens)],
			  m->size - pos);
		sg_set_page(sg, virt_to_page(cpu + pos), len,
			    offset_in_page(cpu + pos));
		m->maxseg = max(m->maxseg, len);
		pos += len;
	}
	m->nsegs = n;
	edu->st.segments += n;

	if (dma_map_sgtable(dev, &m->sgt, m->dir, 0)) {
		sg_free_table(&m->sgt);
		return edu_map_failed(edu, m);
	}
	m->ext = kcalloc(m->sgt.nents, sizeof(*m->ext), GFP_KERNEL);
	if (!m->ext) {
		dma_unmap_sgtable(dev, &m->sgt, m->dir, 0);
		sg_free_table(&m->sgt);
		return edu_no_memory(edu, m->size);
	}
	pos = 0;
	for_each_sgtable_dma_sg(&m->sgt, sg, i) {
		m->ext[i].dma = sg_dma_address(sg);
		m->ext[i].pos = pos;
		m->ext[i].len = sg_dma_len(sg);
		pos += sg_dma_len(sg);
	}
	m->next = m->sgt.nents;
	return 0;
}

static void edu_unmap(struct edu_dev *edu, struct edu_map *m)
{
	struct device *dev = edu_to_dev(edu);

	switch (m->api) {
	case EDU_SINGLE:
		dma_unmap_single(dev, m->dma, m->size, m->dir);
		break;
	case EDU_PAGE:
		dma_unmap_page(dev, m->dma, m->size, m->dir);
		break;
	case EDU_SG:
		dma_unmap_sgtable(dev, &m->sgt, m->dir, 0);
		sg_free_table(&m->sgt);
		kfree(m->ext);
		break;
	}
	m->ext = NULL;
}

/* A mapping the engine cannot reach would be clamped into other memory. */
static int edu_check_reach(struct edu_dev *edu, struct edu_map *m)
{
	unsigned int i;

	for (i = 0; i < m->next; i++) {
		dma_addr_t dma = m->ext[i].dma;
		size_t len = m->ext[i].len;

		if (dma + len - 1 >= dma && dma + len - 1 <= edu->reach)
			continue;
		edu->st.reach_errors++;
		edu_unmap(edu, m);
		return edu_fail(edu, -EFAULT,
				"mapping beyond device reach size=%zu dma=%pad len=%zu",
				m->size, &dma, len);
	}
	return 0;
}

/* Map bytes [@off, @off + @size) of @b. Sets the result on failure. */
static int edu_map(struct edu_dev *edu, struct edu_map *m, struct edu_buf *b,
		   enum edu_api api, enum dma_data_direction dir, size_t off,
		   size_t size)
{
	struct device *dev = edu_to_dev(edu);
	u8 *cpu = b->cpu + off;
	int ret;

	memset(m, 0, sizeof(*m));
	edu->st.bytes_out_of_reach += edu_bytes_beyond(edu, cpu, size);
	m->api = api;
	m->dir = dir;
	m->buf = b;
	m->off = off;
	m->size = size;

	if (api == EDU_SG) {
		ret = edu_map_sg(edu, m);
		if (ret)
			return ret;
	} else {
		m->nsegs = 1;
		m->maxseg = size;
		edu->st.segments++;
		if (api == EDU_SINGLE)
			m->dma = dma_map_single(dev, cpu, size, dir);
		else
			m->dma = dma_map_page(dev, virt_to_page(cpu),
					      offset_in_page(cpu), size, dir);
		if (dma_mapping_error(dev, m->dma))
			return edu_map_failed(edu, m);
		m->one.dma = m->dma;
		m->one.len = size;
		m->ext = &m->one;
		m->next = 1;
	}
	return edu_check_reach(edu, m);
}

/* Run one engine command and wait for it to end. */
static int edu_dma(struct edu_dev *edu, dma_addr_t ram, u32 devoff, u32 len,
		   bool to_ram)
{
	u64 cmd = EDU_CMD_START;
	int ret;

	if (edu->broken)
		return -EIO;
	if (to_ram) {
		writeq(EDU_DEV_BUF + devoff, edu->bar + EDU_REG_DMA_SRC);
		writeq(ram, edu->bar + EDU_REG_DMA_DST);
		cmd |= EDU_CMD_TO_RAM;
	} else {
		writeq(ram, edu->bar + EDU_REG_DMA_SRC);
		writeq(EDU_DEV_BUF + devoff, edu->bar + EDU_REG_DMA_DST);
	}
	writeq(len, edu->bar + EDU_REG_DMA_CNT);
	writeq(cmd, edu->bar + EDU_REG_DMA_CMD);
	edu->st.dma_cmds++;

	ret = readq_poll_timeout(edu->bar + EDU_REG_DMA_CMD, cmd,
				 !(cmd & EDU_CMD_START), EDU_POLL_US,
				 EDU_TIMEOUT_US);
	if (ret) {
		/* It may still write: keep every mapping, stop for good. */
		edu->broken = true;
		edu->st.timeouts++;
		dev_err(edu_to_dev(edu), "DMA engine timed out (cmd %#llx)\n",
			cmd);
		edu_fail(edu, ret, "device timeout");
	}
	return ret;
}

/*
 * Move bytes [@pos, @pos + @len) of mapping @m from (@to_ram false) or to
 * the device buffer at @devoff, one engine command per extent touched.
 */
static int edu_dma_map(struct edu_dev *edu, struct edu_map *m, size_t pos,
		       size_t len, u32 devoff, bool to_ram)
{
	unsigned int i;
	int ret;

	for (i = 0; i < m->next && len; i++) {
		struct edu_ext *e = &m->ext[i];
		size_t skip, n;

		if (pos >= e->pos + e->len)
			continue;
		skip = pos - e->pos;
		n = min(len, e->len - skip);
		ret = edu_dma(edu, e->dma + skip, devoff, n, to_ram);
		if (ret)
			return ret;
		pos += n;
		devoff += n;
		len -= n;
	}
	return 0;
}

static unsigned int edu_chunks(size_t size)
{
	return DIV_ROUND_UP(size, EDU_CHUNK);
}

static size_t edu_chunk_len(size_t size, unsigned int i)
{
	return min_t(size_t, EDU_CHUNK, size - (size_t)i * EDU_CHUNK);
}

/*
 * The device writes the stream @seed into every chunk of @m, but only the
 * first half of the middle chunk: the rest of it must keep what was there.
 * @want tracks what the mapping should hold.
 */
static int edu_dev_write_all(struct edu_dev *edu, struct edu_map *m, u8 *want,
			     u32 seed)
{
	unsigned int i, nr = edu_chunks(m->size);
	int ret;

	for (i = 0; i < nr; i++) {
		size_t pos = (size_t)i * EDU_CHUNK;
		size_t len = edu_chunk_len(m->size, i);

		if (i == nr / 2 && len > 1)
			len /= 2;
		edu_fill(edu->src, len, seed, pos);
		ret = edu_dma(edu, edu->src_dma, 0, len, false);
		if (!ret)
			ret = edu_dma_map(edu, m, pos, len, 0, true);
		if (ret)
			return ret;
		edu_fill(want + pos, len, seed, pos);
		cond_resched();
	}
	return 0;
}

/*
 * Bidirectional: the device first returns the last chunk (it must see what
 * the CPU put there), then moves chunk i - 1 into chunk i from the top down,
 * then loads chunk 0 with the stream @seed. @want holds what the mapping
 * held and is updated to what it must hold.
 */
static int edu_dev_shift(struct edu_dev *edu, struct edu_map *m, u8 *want,
			 u32 seed)
{
	unsigned int i, last = edu_chunks(m->size) - 1;
	size_t lpos = (size_t)last * EDU_CHUNK;
	size_t len = edu_chunk_len(m->size, last);
	int ret;

	ret = edu_dma_map(edu, m, lpos, len, 0, false);
	if (!ret)
		ret = edu_dma(edu, edu->chk_dma, 0, len, true);
	if (!ret)
		ret = edu_verify_mem(edu, "read by device", edu->chk,
				     want + lpos, len);
	for (i = last; i > 0 && !ret; i--) {
		size_t pos = (size_t)i * EDU_CHUNK;

		len = edu_chunk_len(m->size, i);
		ret = edu_dma_map(edu, m, pos - EDU_CHUNK, len, 0, false);
		if (!ret)
			ret = edu_dma_map(edu, m, pos, len, 0, true);
		memmove(want + pos, want + pos - EDU_CHUNK, len);
		cond_resched();
	}
	if (ret)
		return ret;
	len = edu_chunk_len(m->size, 0);
	edu_fill(edu->src, len, seed, 0);
	ret = edu_dma(edu, edu->src_dma, 0, len, false);
	if (!ret)
		ret = edu_dma_map(edu, m, 0, len, 0, true);
	edu_fill(want, len, seed, 0);
	return ret;
}

/* To the device: it reads @a through one mapping and writes into @b's. */
static int edu_xfer_to(struct edu_dev *edu, const struct edu_args *a,
		       struct edu_buf *ba, struct edu_buf *bb, struct edu_map *shape)
{
	u32 seed = edu_next_seed(edu), gseed = ~seed;
	struct edu_map ma, mb;
	unsigned int i;
	int ret;

	edu_guard_fill(ba, a->off, a->size, gseed);
	edu_fill(ba->cpu + a->off, a->size, seed, 0);
	edu_guard_fill(bb, a->off, a->size, gseed);
	edu_fill(bb->cpu + a->off, a->size, gseed, a->off);

	ret = edu_map(edu, &ma, ba, a->api, DMA_TO_DEVICE, a->off, a->size);
	if (ret)
		return ret;
	ret = edu_map(edu, &mb, bb, a->api, DMA_FROM_DEVICE, a->off, a->size);
	if (ret) {
		edu_unmap(edu, &ma);
		return ret;
	}
	*shape = ma;
	for (i = 0; i < edu_chunks(a->size) && !ret; i++) {
		size_t pos = (size_t)i * EDU_CHUNK;
		size_t len = edu_chunk_len(a->size, i);

		ret = edu_dma_map(edu, &ma, pos, len, 0, false);
		if (!ret)
			ret = edu_dma_map(edu, &mb, pos, len, 0, true);
		cond_resched();
	}
	if (edu->broken)
		return ret;
	edu_unmap(edu, &mb);
	edu_unmap(edu, &ma);
	if (ret)
		return ret;

	ret = edu_verify_pat(edu, "written by device", bb->cpu + a->off,
			     a->size, seed, 0);
	if (!ret)
		ret = edu_verify_pat(edu, "source", ba->cpu + a->off, a->size,
				     seed, 0);
	if (!ret)
		ret = edu_guard_check(edu, ba, a->off, a->size, gseed);
	if (!ret)
		ret = edu_guard_check(edu, bb, a->off, a->size, gseed);
	return ret;
}

/* From the device, or both ways, through one mapping of @b. */
static int edu_xfer_from(struct edu_dev *edu, const struct edu_args *a,
			 struct edu_buf *b, u8 *want, struct edu_map *shape)
{
	u32 seed = edu_next_seed(edu), gseed = ~seed;
	u8 *cpu = b->cpu + a->off;
	struct edu_map m;
	int ret;

	edu_guard_fill(b, a->off, a->size, gseed);
	edu_fill(cpu, a->size, seed, 0);
	memcpy(want, cpu, a->size);

	ret = edu_map(edu, &m, b, a->api, a->dir, a->off, a->size);
	if (ret)
		return ret;
	*shape = m;
	if (a->dir == DMA_FROM_DEVICE)
		ret = edu_dev_write_all(edu, &m, want, seed ^ 0x5a5a5a5a);
	else
		ret = edu_dev_shift(edu, &m, want, seed ^ 0x5a5a5a5a);
	if (edu->broken)
		return ret;
	edu_unmap(edu, &m);
	if (ret)
		return ret;

	ret = edu_verify_mem(edu, "after unmap", cpu, want, a->size);
	if (!ret)
		ret = edu_guard_check(edu, b, a->off, a->size, gseed);
	return ret;
}

/*
 * The result of a transfer that worked: its arguments, the shape of its
 * mapping, engine commands and bytes beyond the device's reach since @cmds
 * and @oor were read, and the time since @t0.
 */
static void edu_ok(struct edu_dev *edu, const char *verb,
		   const struct edu_args *a, const struct edu_map *m, u64 cmds,
		   u64 oor, ktime_t t0)
{
	scnprintf(edu->result, sizeof(edu->result),
		  "ok %s api=%s dir=%s size=%zu off=%zu iters=%u rounds=%u segs=%u maxseg=%zu dma_cmds=%llu out_of_reach=%llu us=%lld",
		  verb, edu_api_names[a->api], edu_dir_names[a->dir], a->size,
		  a->off, a->iters, a->rounds, m->nsegs, m->maxseg,
		  edu->st.dma_cmds - cmds, edu->st.bytes_out_of_reach - oor,
		  ktime_us_delta(ktime_get(), t0));
}

static int edu_cmd_xfer(struct edu_dev *edu, const struct edu_args *a)
{
	u64 oor = edu->st.bytes_out_of_reach, cmds = edu->st.dma_cmds;
	struct edu_buf ba = {}, bb = {};
	ktime_t t0 = ktime_get();
	struct edu_map shape = {};
	u8 *want = NULL;
	unsigned int i;
	int ret;

	ret = edu_buf_alloc(edu, &ba, a->off, a->size);
	if (!ret && a->dir == DMA_TO_DEVICE)
		ret = edu_buf_alloc(edu, &bb, a->off, a->size);
	if (!ret && a->dir != DMA_TO_DEVICE) {
		want = vmalloc(a->size);
		if (!want)
			ret = -ENOMEM;
	}
	if (ret) {
		ret = edu_no_memory(edu, a->size);
		goto out;
	}

	for (i = 0; i < a->iters && !ret; i++) {
		if (a->dir == DMA_TO_DEVICE)
			ret = edu_xfer_to(edu, a, &ba, &bb, &shape);
		else
			ret = edu_xfer_from(edu, a, &ba, want, &shape);
		if (!ret) {
			edu->st.transfers++;
			edu->st.bytes += a->size;
		}
	}
	if (!ret)
		edu_ok(edu, "xfer", a, &shape, cmds, oor, t0);
out:
	vfree(want);
	/* After a timeout the device may still write into these. */
	if (!edu->broken) {
		edu_buf_free(&bb);
		edu_buf_free(&ba);
	}
	return ret;
}

static void edu_sync_for_device(struct edu_dev *edu, struct edu_map *m)
{
	struct device *dev = edu_to_dev(edu);

	if (m->api == EDU_SG)
		dma_sync_sgtable_for_device(dev, &m->sgt, m->dir);
	else
		dma_sync_single_for_device(dev, m->dma, m->size, m->dir);
}

/*
 * Hand the mapping back to the CPU: whole, or on odd rounds in three pieces
 * at odd offsets inside it, checking the first piece before syncing the
 * rest (an sg table only syncs whole).
 */
static int edu_sync_for_cpu(struct edu_dev *edu, struct edu_map *m,
			    const u8 *want, unsigned int round)
{
	struct device *dev = edu_to_dev(edu);
	size_t a = (m->size / 3) | 1, b = (2 * m->size / 3) | 1;
	u8 *cpu = m->buf->cpu + m->off;
	int ret;

	if (m->api == EDU_SG) {
		dma_sync_sgtable_for_cpu(dev, &m->sgt, m->dir);
		return 0;
	}
	if (!(round & 1) || m->size < 8) {
		dma_sync_single_for_cpu(dev, m->dma, m->size, m->dir);
		return 0;
	}
	dma_sync_single_range_for_cpu(dev, m->dma, a, b - a, m->dir);
	ret = edu_verify_mem(edu, "after range sync", cpu + a, want + a, b - a);
	dma_sync_single_range_for_cpu(dev, m->dma, b, m->size - b, m->dir);
	dma_sync_single_range_for_cpu(dev, m->dma, 0, a, m->dir);
	return ret;
}

/* One mapping, several rounds of device work and syncs each way. */
static int edu_cmd_sync(struct edu_dev *edu, const struct edu_args *a)
{
	u64 oor = edu->st.bytes_out_of_reach, cmds = edu->st.dma_cmds;
	u32 seed = edu_next_seed(edu), gseed = ~seed;
	ktime_t t0 = ktime_get();
	struct edu_buf b = {};
	unsigned int r;
	struct edu_map m;
	u8 *want, *cpu;
	int ret;

	want = vmalloc(a->size);
	if (!want || edu_buf_alloc(edu, &b, a->off, a->size)) {
		vfree(want);
		return edu_no_memory(edu, a->size);
	}
	cpu = b.cpu + a->off;
	edu_guard_fill(&b, a->off, a->size, gseed);
	edu_fill(cpu, a->size, seed, 0);
	memcpy(want, cpu, a->size);

	ret = edu_map(edu, &m, &b, a->api, a->dir, a->off, a->size);
	if (ret)
		goto out;
	for (r = 0; r < a->rounds && !ret; r++) {
		u32 rseed = edu_next_seed(edu);

		/* After the first round the CPU owns the buffer again. */
		if (r && a->dir == DMA_BIDIRECTIONAL) {
			edu_fill(cpu, a->size, rseed, 0);
			memcpy(want, cpu, a->size);
		}
		if (r)
			edu_sync_for_device(edu, &m);
		if (a->dir == DMA_FROM_DEVICE)
			ret = edu_dev_write_all(edu, &m, want, ~rseed);
		else
			ret = edu_dev_shift(edu, &m, want, ~rseed);
		if (!ret)
			ret = edu_sync_for_cpu(edu, &m, want, r);
		if (!ret)
			ret = edu_verify_mem(edu, "after sync", cpu, want,
					     a->size);
	}
	if (edu->broken) {
		vfree(want);
		return ret;
	}
	edu_unmap(edu, &m);
	if (!ret)
		ret = edu_verify_mem(edu, "after unmap", cpu, want, a->size);
	if (!ret)
		ret = edu_guard_check(edu, &b, a->off, a->size, gseed);
	if (!ret) {
		edu->st.transfers++;
		edu->st.bytes += a->size;
		edu_ok(edu, "sync", a, &m, cmds, oor, t0);
	}
out:
	edu_buf_free(&b);
	vfree(want);
	return ret;
}

static int edu_cmd_hold(struct edu_dev *edu, const struct edu_args *a)
{
	struct edu_map *m = &edu->hold_map;
	int ret;

	if (edu->holding)
		return edu_fail(edu, -EBUSY, "already holding a mapping");
	if (edu_buf_alloc(edu, &edu->hold_buf, a->off, a->size))
		return edu_no_memory(edu, a->size);
	edu->hold_seed = edu_next_seed(edu);
	edu_fill(edu->hold_buf.cpu + a->off, a->size, edu->hold_seed, 0);
	ret = edu_map(edu, m, &edu->hold_buf, EDU_SINGLE, DMA_BIDIRECTIONAL,
		      a->off, a->size);
	if (ret) {
		edu_buf_free(&edu->hold_buf);
		return ret;
	}
	edu->holding = true;
	scnprintf(edu->result, sizeof(edu->result),
		  "ok hold size=%zu off=%zu dma=%pad out_of_reach=%llu",
		  a->size, a->off, &m->dma,
		  edu_bytes_beyond(edu, edu->hold_buf.cpu + a->off, a->size));
	return 0;
}

static int edu_cmd_release(struct edu_dev *edu)
{
	struct edu_map *m = &edu->hold_map;
	int ret;

	if (!edu->holding)
		return edu_fail(edu, -EINVAL, "no mapping held");
	edu_unmap(edu, m);
	edu->holding = false;
	ret = edu_verify_pat(edu, "held buffer", m->buf->cpu + m->off, m->size,
			     edu->hold_seed, 0);
	edu_buf_free(&edu->hold_buf);
	if (!ret)
		scnprintf(edu->result, sizeof(edu->result),
			  "ok release size=%zu", m->size);
	return ret;
}

/* One word for the result of a command that returned @err. */
static const char *edu_outcome(struct edu_dev *edu, int err)
{
	if (!err)
		return "ok";
	if (str_has_prefix(edu->result, "fail: map error"))
		return "map-error";
	if (str_has_prefix(edu->result, "fail: no "))
		return "no-memory";
	return "fail";
}

static int edu_cmd_pisizes(struct edu_dev *edu, const struct edu_args *a)
{
	char list[EDU_RESULT_LEN], first[EDU_RESULT_LEN] = "";
	ktime_t t0 = ktime_get();
	struct edu_args one = *a;
	unsigned int i, good = 0;
	size_t n = 0;
	int ret = 0;

	list[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(edu_pi_sizes); i++) {
		int err;

		one.size = edu_pi_sizes[i];
		err = edu_cmd_xfer(edu, &one);
		if (!err)
			good++;
		else if (!ret)
			strscpy(first, edu->result, sizeof(first));
		n += scnprintf(list + n, sizeof(list) - n, " %zu:%s",
			       one.size, edu_outcome(edu, err));
		ret = ret ?: err;
		if (edu->broken)
			break;
	}
	if (ret)
		return edu_fail(edu, ret, "%s; pisizes api=%s dir=%s %u/%zu ok:%s",
				first + strlen("fail: "), edu_api_names[a->api],
				edu_dir_names[a->dir], good,
				ARRAY_SIZE(edu_pi_sizes), list);
	scnprintf(edu->result, sizeof(edu->result),
		  "ok pisizes api=%s dir=%s off=%zu %u/%zu ok:%s us=%lld",
		  edu_api_names[a->api], edu_dir_names[a->dir], a->off, good,
		  ARRAY_SIZE(edu_pi_sizes), list,
		  ktime_us_delta(ktime_get(), t0));
	return 0;
}

static int edu_parse_arg(struct edu_args *a, char *key, char *val)
{
	char *end;
	int i;

	if (!strcmp(key, "api")) {
		i = match_string(edu_api_names, ARRAY_SIZE(edu_api_names), val);
		a->api = i;
		return i < 0 ? i : 0;
	}
	if (!strcmp(key, "dir")) {
		i = match_string(edu_dir_names, ARRAY_SIZE(edu_dir_names), val);
		a->dir = i;
		return i < 0 ? i : 0;
	}
	if (!strcmp(key, "iters"))
		return kstrtouint(val, 0, &a->iters);
	if (!strcmp(key, "rounds"))
		return kstrtouint(val, 0, &a->rounds);
	if (!strcmp(key, "size")) {
		a->size = memparse(val, &end);
		return *end ? -EINVAL : 0;
	}
	if (!strcmp(key, "off")) {
		a->off = memparse(val, &end);
		return *end ? -EINVAL : 0;
	}
	return -EINVAL;
}

static int edu_parse(char *s, struct edu_args *a)
{
	char *tok, *val;

	while ((tok = strsep(&s, " \t\n"))) {
		if (!*tok)
			continue;
		val = strchr(tok, '=');
		if (!val)
			return -EINVAL;
		*val++ = '\0';
		if (edu_parse_arg(a, tok, val))
			return -EINVAL;
	}
	if (!a->size || a->size > EDU_MAX_SIZE || a->off > SZ_1M ||
	    !a->iters || a->iters > 1000 || !a->rounds || a->rounds > 1000)
		return -EINVAL;
	return 0;
}

/* Run command @s; -EINVAL only if it cannot be parsed. */
static int edu_run(struct edu_dev *edu, char *s)
{
	struct edu_args a = {
		.api = EDU_SINGLE, .dir = DMA_BIDIRECTIONAL, .size = EDU_CHUNK,
		.iters = 1, .rounds = 4,
	};
	char *verb;
	int ret;

	s = strim(s);
	verb = strsep(&s, " \t");
	if (edu_parse(s, &a))
		goto bad;

	if (edu->broken)
		ret = edu_fail(edu, -EIO, "device broken by an earlier timeout");
	else if (!strcmp(verb, "xfer"))
		ret = edu_cmd_xfer(edu, &a);
	else if (!strcmp(verb, "sync") && a.dir != DMA_TO_DEVICE)
		ret = edu_cmd_sync(edu, &a);
	else if (!strcmp(verb, "hold"))
		ret = edu_cmd_hold(edu, &a);
	else if (!strcmp(verb, "release"))
		ret = edu_cmd_release(edu);
	else if (!strcmp(verb, "pisizes"))
		ret = edu_cmd_pisizes(edu, &a);
	else
		goto bad;
	if (ret)
		edu->st.failed++;
	return 0;
bad:
	edu->st.failed++;
	edu_fail(edu, -EINVAL, "bad command");
	return -EINVAL;
}

static ssize_t edu_run_write(struct file *file, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	struct edu_dev *edu = file->private_data;
	char *cmd;
	int ret;

	if (count >= EDU_CMD_LEN)
		return -EINVAL;
	cmd = memdup_user_nul(ubuf, count);
	if (IS_ERR(cmd))
		return PTR_ERR(cmd);
	ret = mutex_lock_interruptible(&edu->lock);
	if (!ret) {
		edu->st.commands++;
		ret = edu_run(edu, cmd);
		mutex_unlock(&edu->lock);
	}
	kfree(cmd);
	return ret ?: count;
}

static ssize_t edu_run_read(struct file *file, char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	struct edu_dev *edu = file->private_data;
	ssize_t ret;
	char *buf;
	int len;

	buf = kmalloc(EDU_RESULT_LEN + 1, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	mutex_lock(&edu->lock);
	len = scnprintf(buf, EDU_RESULT_LEN + 1, "%s\n", edu->result);
	mutex_unlock(&edu->lock);
	ret = simple_read_from_buffer(ubuf, count, ppos, buf, len);
	kfree(buf);
	return ret;
}

static const struct file_operations edu_run_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = edu_run_read,
	.write = edu_run_write,
	.llseek = default_llseek,
};

static int edu_stats_show(struct seq_file *s, void *unused)
{
	struct edu_dev *edu = s->private;
	struct edu_stats *st = &edu->st;

	mutex_lock(&edu->lock);
	seq_printf(s, "commands: %llu\n", st->commands);
	seq_printf(s, "failed: %llu\n", st->failed);
	seq_printf(s, "transfers: %llu\n", st->transfers);
	seq_printf(s, "segments: %llu\n", st->segments);
	seq_printf(s, "map_errors: %llu\n", st->map_errors);
	seq_printf(s, "reach_errors: %llu\n", st->reach_errors);
	seq_printf(s, "data_errors: %llu\n", st->data_errors);
	seq_printf(s, "timeouts: %llu\n", st->timeouts);
	seq_printf(s, "no_memory: %llu\n", st->no_memory);
	seq_printf(s, "dma_cmds: %llu\n", st->dma_cmds);
	seq_printf(s, "bytes: %llu\n", st->bytes);
	seq_printf(s, "bytes_out_of_reach: %llu\n", st->bytes_out_of_reach);
	seq_printf(s, "holding: %d\n", edu->holding);
	seq_printf(s, "stashed_bytes: %lu\n", edu->nstash * EDU_BLOCK_BYTES);
	seq_printf(s, "dma_bits: %u\n", dma_bits);
	mutex_unlock(&edu->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(edu_stats);

static int edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct device *dev = &pdev->dev;
	struct edu_dev *edu;
	u32 ident;
	int ret;

	if (dma_bits < 24 || dma_bits > 64)
		return dev_err_probe(dev, -EINVAL, "dma_bits=%u is not 24..64\n",
				     dma_bits);
	edu = devm_kzalloc(dev, sizeof(*edu), GFP_KERNEL);
	if (!edu)
		return -ENOMEM;
	edu->pdev = pdev;
	edu->reach = DMA_BIT_MASK(dma_bits);
	mutex_init(&edu->lock);

	ret = pci_enable_device(pdev);
	if (ret)
		return ret;
	ret = pci_request_region(pdev, 0, KBUILD_MODNAME);
	if (ret)
		goto err_disable;
	edu->bar = pci_iomap(pdev, 0, 0);
	if (!edu->bar) {
		ret = -ENOMEM;
		goto err_release;
	}
	ident = readl(edu->bar + EDU_REG_ID);
	if ((ident & 0xff) != 0xed) {
		ret = dev_err_probe(dev, -ENODEV, "not an edu device (id %#x)\n",
				    ident);
		goto err_unmap;
	}
	ret = dma_set_mask_and_coherent(dev, edu->reach);
	if (ret) {
		dev_err_probe(dev, ret, "cannot set a %u-bit DMA mask\n",
			      dma_bits);
		goto err_unmap;
	}
	/*
	 * Its scatterlists have segments of up to 1 MiB (edu_sg_lens), and
	 * the engine takes any extent in 4 KiB commands: the PCI default of
	 * 64 KiB is not its limit (DMA-API debug checks every segment).
	 */
	dma_set_max_seg_size(dev, UINT_MAX);
	pci_set_master(pdev);

	ret = -ENOMEM;
	edu->src = dma_alloc_coherent(dev, EDU_CHUNK, &edu->src_dma, GFP_KERNEL);
	if (!edu->src)
		goto err_master;
	edu->chk = dma_alloc_coherent(dev, EDU_CHUNK, &edu->chk_dma, GFP_KERNEL);
	if (!edu->chk)
		goto err_src;

	pci_set_drvdata(pdev, edu);
	edu->dir = debugfs_create_dir(pci_name(pdev), edu_root);
	debugfs_create_file("run", 0600, edu->dir, edu, &edu_run_fops);
	debugfs_create_file("stats", 0400, edu->dir, edu, &edu_stats_fops);
	scnprintf(edu->result, sizeof(edu->result), "ok ready");
	dev_info(dev, "edu %u.%u, %u-bit DMA\n", ident >> 24,
		 (ident >> 16) & 0xff, dma_bits);
	return 0;

err_src:
	dma_free_coherent(dev, EDU_CHUNK, edu->src, edu->src_dma);
err_master:
	pci_clear_master(pdev);
err_unmap:
	pci_iounmap(pdev, edu->bar);
err_release:
	pci_release_region(pdev, 0);
err_disable:
	pci_disable_device(pdev);
	return ret;
}

static void edu_remove(struct pci_dev *pdev)
{
	struct edu_dev *edu = pci_get_drvdata(pdev);
	struct device *dev = &pdev->dev;

	/* Waits for a command in progress. */
	debugfs_remove_recursive(edu->dir);
	if (edu->holding && !edu->broken) {
		edu_unmap(edu, &edu->hold_map);
		edu_buf_free(&edu->hold_buf);
	}
	while (edu->nstash)
		__free_pages(edu->stash[--edu->nstash], EDU_BLOCK_ORDER);
	pci_clear_master(pdev);
	dma_free_coherent(dev, EDU_CHUNK, edu->chk, edu->chk_dma);
	dma_free_coherent(dev, EDU_CHUNK, edu->src, edu->src_dma);
	pci_iounmap(pdev, edu->bar);
	pci_release_region(pdev, 0);
	pci_disable_device(pdev);
	mutex_destroy(&edu->lock);
}

static const struct pci_device_id edu_ids[] = {
	{ PCI_DEVICE(0x1234, 0x11e8) },
	{ }
};
MODULE_DEVICE_TABLE(pci, edu_ids);

static struct pci_driver edu_driver = {
	.name = KBUILD_MODNAME,
	.id_table = edu_ids,
	.probe = edu_probe,
	.remove = edu_remove,
};

static int __init edu_init(void)
{
	int ret;

	edu_root = debugfs_create_dir(KBUILD_MODNAME, NULL);
	ret = pci_register_driver(&edu_driver);
	if (ret)
		debugfs_remove_recursive(edu_root);
	return ret;
}

static void __exit edu_exit(void)
{
	pci_unregister_driver(&edu_driver);
	debugfs_remove_recursive(edu_root);
}

module_init(edu_init);
module_exit(edu_exit);

MODULE_DESCRIPTION("DMA API test driver for QEMU's edu device");
MODULE_LICENSE("GPL");
