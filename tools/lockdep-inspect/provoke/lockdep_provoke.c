// SPDX-License-Identifier: GPL-2.0
/*
 * lockdep_provoke: takes two mutexes in both orders at load time, so lockdep
 * reports a possible circular locking dependency.  It never deadlocks (one
 * thread, sequential), it only teaches lockdep the inverted order.  Used to
 * show that a splat in the guest fails `make check`, and to capture a real
 * splat as a lockdep-inspect fixture.
 */
#include <linux/module.h>
#include <linux/mutex.h>

static DEFINE_MUTEX(provoke_lock_a);
static DEFINE_MUTEX(provoke_lock_b);

static int __init provoke_init(void)
{
	mutex_lock(&provoke_lock_a);
	mutex_lock(&provoke_lock_b);
	mutex_unlock(&provoke_lock_b);
	mutex_unlock(&provoke_lock_a);

	mutex_lock(&provoke_lock_b);
	mutex_lock(&provoke_lock_a);
	mutex_unlock(&provoke_lock_a);
	mutex_unlock(&provoke_lock_b);
	pr_info("lockdep_provoke: took A->B and B->A\n");
	return 0;
}

static void __exit provoke_exit(void)
{
}

module_init(provoke_init);
module_exit(provoke_exit);
MODULE_DESCRIPTION("lockdep-inspect test: deliberate AB-BA lock inversion");
MODULE_LICENSE("GPL");
