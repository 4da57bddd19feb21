// SPDX-License-Identifier: GPL-2.0
/*
 * match.c - the devices= list: which devices dynbounce attaches to.
 *
 * Entries are separated by ';' or white space (so compatibles keep their
 * commas). Each is one of:
 *   0000:00:04.0, fec00000.v3d	a device name as under /sys/bus/<bus>/devices
 *   pci:1234:11e8		a PCI vendor:device pair, hex
 *   of:brcm,2711-v3d		a devicetree compatible
 * The list is parsed once at load; it is read-only afterwards, so matching
 * needs no lock.
 */
#include "dynbounce_int.h"

#include <linux/of.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/string.h>

#define DYNB_MAX_ENTRIES	32

enum dynb_match_kind {
	DYNB_BY_NAME,
	DYNB_BY_PCI_ID,
	DYNB_BY_OF,
};

struct dynb_entry {
	enum dynb_match_kind kind;
	u16 vendor;
	u16 device;
	const char *str;	/* name or compatible, or the whole entry */
	char *text;		/* the entry as written */
};

static struct dynb_entry dynb_entries[DYNB_MAX_ENTRIES];
static unsigned int dynb_nr_entries;

/* Exactly four hex digits. */
static int dynb_parse_hex4(const char *s, size_t len, u16 *out)
{
	char tmp[5];

	if (len != 4)
		return -EINVAL;
	memcpy(tmp, s, 4);
	tmp[4] = '\0';
	return kstrtou16(tmp, 16, out);
}

static int dynb_parse_entry(struct dynb_entry *e, char *text)
{
	char *colon;

	e->text = text;
	e->str = text;
	if (!strncmp(text, "pci:", 4)) {
		e->kind = DYNB_BY_PCI_ID;
		colon = strchr(text + 4, ':');
		if (!colon ||
		    dynb_parse_hex4(text + 4, colon - (text + 4), &e->vendor) ||
		    dynb_parse_hex4(colon + 1, strlen(colon + 1), &e->device))
			return -EINVAL;
		return 0;
	}
	if (!strncmp(text, "of:", 3)) {
		e->kind = DYNB_BY_OF;
		e->str = text + 3;
		return *e->str ? 0 : -EINVAL;
	}
	/* A device name: what the driver core accepts in a name. */
	e->kind = DYNB_BY_NAME;
	return strchr(text, '/') ? -EINVAL : 0;
}

/* Process context, at load. -EINVAL (and the entry named) on a bad entry. */
int dynb_match_parse(const char *list)
{
	char *copy, *cur, *tok;
	int ret = 0;

	if (!list)
		return 0;
	copy = kstrdup(list, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	cur = copy;
	while ((tok = strsep(&cur, "; \t\n"))) {
		if (!*tok)
			continue;
		if (dynb_nr_entries == DYNB_MAX_ENTRIES) {
			pr_err("devices: more than %d entries\n",
			       DYNB_MAX_ENTRIES);
			ret = -EINVAL;
			break;
		}
		tok = kstrdup(tok, GFP_KERNEL);
		if (!tok) {
			ret = -ENOMEM;
			break;
		}
		if (dynb_parse_entry(&dynb_entries[dynb_nr_entries], tok)) {
			pr_err("devices: malformed entry '%s' (want a device name, pci:VVVV:DDDD or of:<compatible>)\n",
			       tok);
			kfree(tok);
			ret = -EINVAL;
			break;
		}
		dynb_nr_entries++;
	}
	kfree(copy);
	if (ret)
		dynb_match_free();
	return ret;
}

void dynb_match_free(void)
{
	while (dynb_nr_entries)
		kfree(dynb_entries[--dynb_nr_entries].text);
}

static bool dynb_entry_matches(const struct dynb_entry *e, struct device *dev)
{
	struct pci_dev *pdev;

	switch (e->kind) {
	case DYNB_BY_PCI_ID:
		if (!dev_is_pci(dev))
			return false;
		pdev = to_pci_dev(dev);
		return pdev->vendor == e->vendor && pdev->device == e->device;
	case DYNB_BY_OF:
		return dev->of_node &&
		       of_device_is_compatible(dev->of_node, e->str);
	default:
		return !strcmp(dev_name(dev), e->str);
	}
}

/* Process context. Is @dev on the list? */
bool dynb_match(struct device *dev)
{
	unsigned int i;

	for (i = 0; i < dynb_nr_entries; i++)
		if (dynb_entry_matches(&dynb_entries[i], dev))
			return true;
	return false;
}

static int dynb_match_one(struct device *dev, void *data)
{
	return dynb_entry_matches(data, dev);
}

struct dynb_attach_ctx {
	struct dynb_entry *entry;
	int found;
	int err;
};

static int dynb_attach_matching(struct device *dev, void *data)
{
	struct dynb_attach_ctx *ctx = data;
	int ret;

	if (!dynb_entry_matches(ctx->entry, dev))
		return 0;
	ctx->found++;
	mutex_lock(&dynb_lock);
	ret = dynb_attach(dev);
	mutex_unlock(&dynb_lock);
	if (ret && ret != -EEXIST)
		ctx->err = ret;
	return 0;
}

/*
 * Process context (a write to the attach parameter). Attach every present
 * device that @text, one list entry, names. -EINVAL for a malformed entry,
 * -ENODEV when no device matches; the list given at load is not changed.
 */
int dynb_match_attach(const char *text, DYNB_BUS_CONST struct bus_type *const *buses,
		      int nr)
{
	struct dynb_entry entry;
	struct dynb_attach_ctx ctx = { .entry = &entry };
	char *copy;
	int b;

	copy = kstrndup(text, strcspn(text, "\n"), GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	if (!*strim(copy) || dynb_parse_entry(&entry, strim(copy))) {
		pr_err("attach: malformed entry '%s' (want a device name, pci:VVVV:DDDD or of:<compatible>)\n",
		       copy);
		kfree(copy);
		return -EINVAL;
	}
	for (b = 0; b < nr; b++)
		bus_for_each_dev(buses[b], NULL, &ctx, dynb_attach_matching);
	if (!ctx.found) {
		pr_err("attach: no device matches '%s'\n", entry.text);
		ctx.err = -ENODEV;
	}
	kfree(copy);
	return ctx.err;
}

/*
 * Process context, at load, after the initial attach: name the entries that
 * matched no present device, so a user sees they are waited for.
 */
void dynb_match_report(DYNB_BUS_CONST struct bus_type *const *buses, int nr)
{
	unsigned int i;
	int b;

	for (i = 0; i < dynb_nr_entries; i++) {
		for (b = 0; b < nr; b++)
			if (bus_for_each_dev(buses[b], NULL, &dynb_entries[i],
					     dynb_match_one))
				break;
		if (b == nr)
			pr_info("devices: no device matches '%s' yet; it will be attached when it appears\n",
				dynb_entries[i].text);
	}
}
