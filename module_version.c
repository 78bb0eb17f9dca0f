// SPDX-License-Identifier: GPL-2.0
/*
 * rloop's module version (modinfo's `version:`), which must match
 * PACKAGE_VERSION in dkms.conf.  DKMS refuses to install a module whose
 * version equals the kernel's own module of that name, and the C loop.ko has
 * none: without a version of its own, `dkms install` would keep the C
 * loop.ko.  (C, because 6.12's `module!` macro has no version field.)
 */
#include <linux/module.h>

MODULE_VERSION("0.1.0");
