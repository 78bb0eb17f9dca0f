// SPDX-License-Identifier: GPL-2.0
/*
 * odebug_provoke: frees a timer that is still pending at load time, so
 * debugobjects reports "ODEBUG: free active ... object type: timer_list"
 * (and fixes it up by deleting the timer first: nothing is left armed).
 * Test-only: run by fixtures-guest.sh to capture a real ODEBUG report as a
 * lockdep-inspect fixture; never loaded by `make check`.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/timer.h>

struct odebug_provoke {
	struct timer_list timer;
};

static void odebug_provoke_timer(struct timer_list *t)
{
}

static int __init odebug_provoke_init(void)
{
	struct odebug_provoke *p = kzalloc(sizeof(*p), GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	timer_setup(&p->timer, odebug_provoke_timer, 0);
	mod_timer(&p->timer, jiffies + 100 * HZ);
	kfree(p);
	pr_info("odebug_provoke: freed a pending timer\n");
	return 0;
}

static void __exit odebug_provoke_exit(void)
{
}

module_init(odebug_provoke_init);
module_exit(odebug_provoke_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Provokes an ODEBUG report (test-only)");
